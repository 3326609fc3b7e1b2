"""An identical re-send never fails and changes nothing (issue 17; SPUT-6, SPOST-4, CMP-2, CMP-3).

A content tool retrying after a lost response, and every forwarder or puller, sends statements it
already sent. The second answer must be the first one (204 for PUT, 200 with the ids for POST),
on both backends (the `client` fixture) and under both versions.
"""
import uuid

import pytest

from .conftest import statement

VERSIONS = ["1.0.3", "2.0.0"]
SUB_TIMESTAMP = "2026-01-01T12:00:00.000Z"


def substatement(**overrides):
    sub = {"objectType": "SubStatement", "actor": {"mbox": "mailto:sub@example.gov"},
           "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
           "object": {"id": "http://example.gov/courses/sub"}, "timestamp": SUB_TIMESTAMP}
    sub.update(overrides)
    return sub


def send(client, method, sent):
    """PUT or POST one statement that carries its id; the status code."""
    if method == "PUT":
        return client.put("/xapi/statements?statementId=" + sent["id"], json=sent).status_code
    return client.post_statements(sent).status_code


def stored(client, statement_id):
    return client.get("/xapi/statements?statementId=" + statement_id).json


SUCCESS = {"PUT": 204, "POST": 200}


def sent_once(client, version, method, **overrides):
    """(client of the version, the statement) after a first send that succeeded."""
    client = client.with_version(version)
    sent = statement(id=str(uuid.uuid4()), object=substatement(**overrides))
    assert send(client, method, sent) == SUCCESS[method]
    return client, sent


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_a_statement_with_a_timestamped_substatement_sent_twice_succeeds_twice_SPUT_6_SPOST_4(
        client, version, method):
    client, sent = sent_once(client, version, method)
    first = stored(client, sent["id"])
    assert send(client, method, sent) == SUCCESS[method]
    assert stored(client, sent["id"]) == first                                  # CMP-2


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_a_substatement_timestamp_of_the_same_instant_in_another_zone_is_the_same_statement_CMP_7(
        client, version, method):
    client, sent = sent_once(client, version, method)
    again = dict(sent, object=substatement(timestamp="2026-01-01T14:00:00.000+02:00"))
    assert send(client, method, again) == SUCCESS[method]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_a_substatement_timestamp_of_another_instant_is_a_conflict_CMP_13(client, version, method):
    client, sent = sent_once(client, version, method)
    first = stored(client, sent["id"])
    other = dict(sent, object=substatement(timestamp="2026-01-01T12:00:00.001Z"))
    assert send(client, method, other) == 409
    assert stored(client, sent["id"]) == first


def _substatement_attachment(display):
    return {"usageType": "http://example.gov/attachment-usage/certificate", "display": {"en-US": display},
            "contentType": "application/pdf", "length": 1, "sha2": "a" * 64,
            "fileUrl": "http://example.gov/certificate.pdf"}


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_substatement_attachments_are_ignored_by_the_2_0_comparison_CMP_12(client20, method):
    client20, sent = sent_once(client20, "2.0.0", method, attachments=[_substatement_attachment("one")])
    again = dict(sent, object=substatement(attachments=[_substatement_attachment("two")]))
    assert send(client20, method, again) == SUCCESS[method]


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_substatement_attachments_are_compared_under_1_0_3_CMP_13(client, method):
    client, sent = sent_once(client, "1.0.3", method, attachments=[_substatement_attachment("one")])
    again = dict(sent, object=substatement(attachments=[_substatement_attachment("two")]))
    assert send(client, method, again) == 409


def timestamped_once(client, version, method):
    """(client of the version, a statement with a timestamp) after a first send that succeeded."""
    client = client.with_version(version)
    sent = statement(id=str(uuid.uuid4()), timestamp="2026-01-01T12:00:00.000Z")
    assert send(client, method, sent) == SUCCESS[method]
    return client, sent


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_a_resend_with_another_timestamp_is_the_same_statement_under_2_0_CMP_12(client20, method):
    client20, sent = timestamped_once(client20, "2.0.0", method)
    first = stored(client20, sent["id"])
    assert send(client20, method, dict(sent, timestamp="2026-03-05T09:30:00.000Z")) == SUCCESS[method]
    assert stored(client20, sent["id"]) == first                                # nothing changed (CMP-2)


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_a_resend_with_another_timestamp_is_a_conflict_under_1_0_3_CMP_7(client, method):
    client, sent = timestamped_once(client, "1.0.3", method)
    assert send(client, method, dict(sent, timestamp="2026-03-05T09:30:00.000Z")) == 409
