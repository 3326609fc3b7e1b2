"""A statement sent again, identical, never fails and changes nothing (issue 17, CMP-2, SPUT-6, SPOST-4).

For every generated statement shape (SubStatements with timestamps included, contexts, results,
attachments with fileUrl or with data in multipart/mixed, signed statements, both versions and
both backends): POST it twice, then PUT it twice; every answer is 2xx (409 would be allowed by
xAPI, a 5xx never), and the stored JSON bytes, stored time and attachment data are those of the
first write.
"""
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import VERSIONS, examples, multipart_body, statements, statements_with_data
from tests.unit.test_signatures import sign, signature_attachment

ACCEPTED = {"POST": (200, 409), "PUT": (204, 409)}


def _send(client, method, statement, parts):
    path = "/xapi/statements" + ("?statementId=" + statement["id"] if method == "PUT" else "")
    sent = statement if method == "PUT" else [statement]
    if parts:
        body, content_type = multipart_body(sent, parts)
        return client.request(method, path, data=body, headers={"Content-Type": content_type})
    return client.request(method, path, json=sent)


def assert_resends_change_nothing(lrs, version, statement, parts=None):
    """POST, POST, PUT, PUT of the same statement: never 5xx, the stored copy never changes."""
    client = lrs.clients[version]
    first = _send(client, "POST", statement, parts)
    assert first.status_code == 200, first.get_data(as_text=True)
    stored = lrs.stored(statement["id"])
    data = {sha2: lrs.attachment(sha2) for sha2 in parts or {}}
    assert stored is not None and all(data.values())
    for method in ("POST", "PUT", "PUT"):
        again = _send(client, method, statement, parts)
        assert again.status_code in ACCEPTED[method], (method, again.status_code, again.get_data(as_text=True))
        assert lrs.stored(statement["id"]) == stored, "the stored statement changed on a re-send by %s" % method
        assert {sha2: lrs.attachment(sha2) for sha2 in parts or {}} == data


def _fresh(statement, data):
    """A new id per example: the app lives for all examples, hypothesis repeats drawn values."""
    value = str(uuid.uuid4())
    statement["id"] = value.upper() if data.draw(st.booleans(), label="upper-case id") else value
    return statement


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=examples(40))
@given(data=st.data())
def test_statement_sent_twice_by_post_and_by_put_changes_nothing_issue_17(lrs, version, data):
    assert_resends_change_nothing(lrs, version, _fresh(data.draw(statements(version)), data))


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=examples(20))
@given(data=st.data())
def test_sub_statement_with_timestamp_sent_twice_changes_nothing_issue_17(lrs, version, data):
    """The shape of the defect of issue 17, drawn on purpose (SubStatement with a timestamp)."""
    statement = _fresh(data.draw(statements(version)), data)
    sub = data.draw(statements(version, with_id=False).filter(lambda s: s["object"].get("objectType") not in
                                                              ("SubStatement", "StatementRef")))
    sub_statement = {"objectType": "SubStatement", "actor": sub["actor"], "verb": sub["verb"],
                     "object": sub["object"], "timestamp": data.draw(st.sampled_from(
                         ["2026-03-02T09:15:42.120Z", "2026-03-02T10:15:42+01:00", "2026-03-02T09:15:42"]))}
    statement["object"] = sub_statement
    statement.get("context", {}).pop("revision", None)
    statement.get("context", {}).pop("platform", None)
    if statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/voided":
        statement["verb"] = sub["verb"]
    assert_resends_change_nothing(lrs, version, statement)


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=examples(25))
@given(data=st.data())
def test_statement_with_attachment_data_sent_twice_in_multipart_changes_nothing_issue_17(lrs, version, data):
    statement, parts = data.draw(statements_with_data(version))
    assert_resends_change_nothing(lrs, version, _fresh(statement, data), parts)


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=examples(15))
@given(data=st.data())
def test_signed_statement_sent_twice_changes_nothing_issue_17_SIG_11(lrs, version, data):
    statement = _fresh(data.draw(statements(version)), data)
    jws = sign(statement, x5c=data.draw(st.booleans(), label="x5c"))
    statement["attachments"] = statement.get("attachments", []) + [signature_attachment(jws)]
    assert_resends_change_nothing(lrs, version, statement, {statement["attachments"][-1]["sha2"]: jws})
