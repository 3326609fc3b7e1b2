"""insert_statements, get_statements, last_seq: what is kept and how (TIME-9..TIME-13, SPOST-3)."""
import json

import pytest

from lrs.store import DuplicateStatements, InsertBatch
from lrs.timeutil import format_ms, now_ms


def test_insert_returns_one_stored_statement_per_record_in_batch_order(put, record):
    records = [record() for _ in range(5)]
    stored = put(*records)
    assert [s.id for s in stored] == [r.id for r in records]


def test_seq_strictly_increases_within_and_across_batches_TIME_13(put, record):
    first = put(record(), record(), record())
    second = put(record(), record())
    seqs = [s.seq for s in first + second]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5


def test_stored_is_assigned_by_the_store_and_written_into_the_body_TIME_10(put, record):
    before = now_ms()
    stored = put(record(stored="2001-01-01T00:00:00.000Z"))[0]
    assert before <= stored.stored_ms <= now_ms()
    assert json.loads(stored.body)["stored"] == format_ms(stored.stored_ms)


def test_statements_of_one_batch_share_one_stored_value(put, record):
    stored = put(record(), record(), record())
    assert len({s.stored_ms for s in stored}) == 1


def test_a_later_batch_is_stored_strictly_after_an_earlier_one_TIME_13(put, record):
    first = put(record())[0]
    second = put(record())[0]
    assert second.stored_ms > first.stored_ms


def test_timestamp_is_set_to_stored_when_asked_TIME_9(put, record):
    stored = put(record(timestamp_from_stored=True))[0]
    body = json.loads(stored.body)
    assert body["timestamp"] == body["stored"] == format_ms(stored.stored_ms)


def test_timestamp_is_kept_when_not_taken_from_stored(put, record):
    stored = put(record(timestamp="2020-02-02T02:02:02.222Z"))[0]
    assert json.loads(stored.body)["timestamp"] == "2020-02-02T02:02:02.222Z"


def test_body_is_compact_utf8_json_with_non_ascii_kept(put, record):
    stored = put(record(result={"response": "Größe ✓"}))[0]
    assert "Größe ✓".encode("utf-8") in stored.body
    assert b": " not in stored.body and b", " not in stored.body


def test_get_statements_returns_what_insert_returned(storage, store, put, record):
    stored = put(record(), record())
    found = storage.get_statements(store, [s.id for s in stored])
    assert found == {s.id: s for s in stored}


def test_get_statements_omits_unknown_ids(storage, store, put, record):
    stored = put(record())[0]
    assert set(storage.get_statements(store, [stored.id, record().id])) == {stored.id}


def test_get_statements_finds_an_id_given_in_upper_case(storage, store, put, record):
    stored = put(record())[0]
    assert set(storage.get_statements(store, [stored.id.upper()])) == {stored.id}


def test_duplicate_id_raises_and_names_the_existing_ids(put, record):
    existing = put(record())[0]
    with pytest.raises(DuplicateStatements) as raised:
        put(record(), record(statement_id=existing.id))
    assert raised.value.ids == {existing.id}


def test_a_batch_with_a_duplicate_writes_nothing(storage, store, put, record):
    existing = put(record())[0]
    fresh = record()
    with pytest.raises(DuplicateStatements):
        put(fresh, record(statement_id=existing.id))
    assert storage.get_statements(store, [fresh.id]) == {}
    assert storage.last_seq(store) == existing.seq


def test_a_batch_with_a_duplicate_leaves_definitions_names_and_attachments_unwritten(storage, store, put, record):
    existing = put(record())[0]
    with pytest.raises(DuplicateStatements):
        put(record(statement_id=existing.id), activity_definitions={"http://a": {"type": "http://t"}},
            agent_names={"mbox:mailto:x@example.gov": ["X"]}, attachments={"abc": ("text/plain", b"data")})
    assert storage.get_activity_definition(store, "http://a") is None
    assert storage.get_agent_names(store, "mbox:mailto:x@example.gov") == []
    assert storage.get_attachments(store, ["abc"]) == {}


def test_the_same_id_twice_in_one_batch_is_a_duplicate_and_writes_nothing(storage, store, put, record):
    one = record()
    with pytest.raises(DuplicateStatements):
        put(one, record(statement_id=one.id))
    assert storage.get_statements(store, [one.id]) == {}


def test_last_seq_is_zero_for_an_empty_store(storage, store):
    assert storage.last_seq(store) == 0


def test_last_seq_is_the_highest_committed_seq(storage, store, put, record):
    stored = put(record(), record())
    assert storage.last_seq(store) == stored[-1].seq


def test_an_empty_batch_returns_nothing_and_changes_nothing(storage, store, put):
    assert put() == []
    assert storage.last_seq(store) == 0


def test_a_new_statement_is_not_voided_and_not_voiding(put, record):
    stored = put(record())[0]
    assert (stored.voided, stored.is_voiding) == (False, False)


def test_inserting_many_statements_in_one_batch_keeps_them_all(storage, store, put, record):
    records = [record(keys=[("verb", "v")]) for _ in range(1200)]      # more than one IN (...) chunk
    put(*records)
    assert len(storage.get_statements(store, [r.id for r in records])) == 1200


def test_insert_into_a_store_id_never_created_still_works(storage, record):
    stored = storage.insert_statements("implicit-store", InsertBatch(statements=[record()]))
    assert set(storage.get_statements("implicit-store", [stored[0].id])) == {stored[0].id}
