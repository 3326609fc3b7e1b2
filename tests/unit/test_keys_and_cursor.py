"""Index keys computed at write time (QRY-14..QRY-19) and the more cursor (QRY-46, QRY-51)."""
import pytest

from lrs.errors import BadRequest
from lrs.xapi.keys import index_keys
from lrs.xapi.query import CursorCodec, StatementRequest

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


CODEC = CursorCodec(b"k" * 32, page_limit=500)


def test_a_cursor_round_trips_the_query_QRY_43():
    request = StatementRequest(filters=[("verb", "http://x.gov/v")], since_ms=5, limit=10, format="ids")
    decoded = CODEC.decode(CODEC.encode(request, after_seq=42, max_seq=99, store_id="s1"), "s1")
    assert (decoded.filters, decoded.since_ms, decoded.limit, decoded.format) == ([("verb", "http://x.gov/v")], 5, 10, "ids")
    assert (decoded.after_seq, decoded.max_seq) == (42, 99)


def test_a_since_or_until_of_the_epoch_itself_round_trips_QRY_43():
    """0 ms (1970-01-01T00:00:00Z) is a bound, not an absent one: later pages keep it."""
    request = StatementRequest(since_ms=0, until_ms=0)
    decoded = CODEC.decode(CODEC.encode(request, after_seq=1, max_seq=9, store_id="s1"), "s1")
    assert (decoded.since_ms, decoded.until_ms) == (0, 0)


def test_a_cursor_carries_the_limit_capped_at_the_page_limit_QRY_8():
    decoded = CODEC.decode(CODEC.encode(StatementRequest(limit=10_000), 1, 9, "s1"), "s1")
    assert decoded.limit == 500


def test_a_cursor_is_short_QRY_46():
    assert len(CODEC.encode(StatementRequest(), after_seq=123456, max_seq=123999, store_id="s1")) < 60


def test_a_cursor_issued_to_one_store_is_refused_for_another_QRY_52():
    token = CODEC.encode(StatementRequest(), after_seq=1, max_seq=2, store_id="s1")
    with pytest.raises(BadRequest, match="not a cursor this LRS issued"):
        CODEC.decode(token, "s2")


def test_a_cursor_made_with_another_key_is_refused():
    token = CursorCodec(b"o" * 32, page_limit=500).encode(StatementRequest(), 1, 2, "s1")
    with pytest.raises(BadRequest, match="not a cursor this LRS issued"):
        CODEC.decode(token, "s1")


@pytest.mark.parametrize("token", ["", "!!", "eyJ9", "bnVsbA", "bnVsbA.", ".AAAA", "eyJuIjoxfQ.!!!", "a.b.c"])
def test_a_token_the_lrs_did_not_issue_is_rejected(token):
    with pytest.raises(BadRequest):
        CODEC.decode(token, "s1")
