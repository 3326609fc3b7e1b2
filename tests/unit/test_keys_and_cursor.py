"""Index keys computed at write time (QRY-14..QRY-19) and the more cursor (QRY-46, QRY-51)."""
import pytest

from lrs.errors import BadRequest
from lrs.xapi.keys import index_keys
from lrs.xapi.query import StatementRequest, decode_cursor, encode_cursor

STATEMENT = {
    "actor": {"objectType": "Group", "mbox": "mailto:team@x.gov", "member": [{"mbox": "mailto:a@x.gov"}]},
    "verb": {"id": "http://x.gov/v"},
    "object": {"id": "http://x.gov/a"},
    "authority": {"account": {"homePage": "http://lrs.gov", "name": "k"}},
    "context": {"registration": "A7D3E7C1-5A53-4F1B-9F6D-2F0E8D9B1C11",
                "instructor": {"mbox": "mailto:teacher@X.gov"},
                "contextActivities": {"parent": [{"id": "http://x.gov/p"}], "other": [{"id": "http://x.gov/o"}]}},
}


def test_the_actor_and_its_members_are_agent_keys_QRY_14():
    keys = index_keys(STATEMENT)
    assert ("agent", "mbox:mailto:team@x.gov") in keys
    assert ("agent", "mbox:mailto:a@x.gov") in keys


def test_the_instructor_and_authority_are_only_related_agents_QRY_15():
    keys = index_keys(STATEMENT)
    assert ("related_agent", "mbox:mailto:teacher@x.gov") in keys
    assert ("agent", "mbox:mailto:teacher@x.gov") not in keys
    assert ("related_agent", "account:http://lrs.gov|k") in keys


def test_context_activities_are_only_related_activities_QRY_18():
    keys = index_keys(STATEMENT)
    assert ("activity", "http://x.gov/a") in keys
    assert ("related_activity", "http://x.gov/o") in keys
    assert ("activity", "http://x.gov/p") not in keys


def test_the_registration_key_is_lower_case_QRY_19():
    assert ("registration", "a7d3e7c1-5a53-4f1b-9f6d-2f0e8d9b1c11") in index_keys(STATEMENT)


def test_context_agents_are_related_agents_CAG_9():
    statement = dict(STATEMENT, context={"contextAgents": [{"objectType": "contextAgent",
                                                            "agent": {"mbox": "mailto:c@x.gov"}}]})
    assert ("related_agent", "mbox:mailto:c@x.gov") in index_keys(statement)


def test_keys_are_not_repeated():
    keys = index_keys(STATEMENT)
    assert len(keys) == len(set(keys))


def test_a_cursor_round_trips_the_query_QRY_43():
    request = StatementRequest(filters=[("verb", "http://x.gov/v")], since_ms=5, limit=10, format="ids")
    decoded = decode_cursor(encode_cursor(request, after_seq=42, max_seq=99))
    assert (decoded.filters, decoded.since_ms, decoded.limit, decoded.format) == ([("verb", "http://x.gov/v")], 5, 10, "ids")
    assert (decoded.after_seq, decoded.max_seq) == (42, 99)


def test_a_cursor_is_short_QRY_46():
    assert len(encode_cursor(StatementRequest(), after_seq=123456, max_seq=123999)) < 60


@pytest.mark.parametrize("token", ["", "!!", "eyJ9", "bnVsbA"])
def test_a_token_the_lrs_did_not_issue_is_rejected(token):
    with pytest.raises(BadRequest):
        decode_cursor(token)
