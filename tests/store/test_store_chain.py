"""The audit chain (issue 13): every stored statement is an entry of its store's hash chain,
written in the batch's own transaction, in seq order, and recomputable by `audit verify`."""
import hashlib
import threading

import pytest

from lrs.audit.verify import verify_store
from lrs.store import InsertBatch
from lrs.store.chain import GENESIS, STATEMENT, VOIDING, ChainHead, entry_hash

from .conftest import make_record

VERB = ("verb", "http://adlnet.gov/expapi/verbs/completed")


def _entries(storage, store):
    return list(storage.chain_entries(store, storage.chain_head(store).n))


def test_an_empty_store_has_an_empty_chain_that_verifies(storage, store):
    assert storage.chain_head(store) == ChainHead(0, 0, GENESIS)
    assert _entries(storage, store) == []
    assert verify_store(storage, store).ok


def test_each_statement_becomes_one_entry_in_seq_order(storage, store, put):
    first = put(make_record(), make_record())
    second = put(make_record())
    entries = _entries(storage, store)
    assert [(e.n, e.seq, e.id, e.kind) for e in entries] == [
        (1, 1, first[0].id, STATEMENT), (2, 2, first[1].id, STATEMENT), (3, 3, second[0].id, STATEMENT)]


def test_an_entry_covers_the_stored_body_byte_for_byte(storage, store, put):
    stored = put(make_record(timestamp_from_stored=True))[0]
    entry = _entries(storage, store)[0]
    assert entry.content == hashlib.sha256(stored.body).digest()
    assert entry.content == hashlib.sha256(storage.get_statements(store, [stored.id])[stored.id].body).digest()


def test_each_entry_hash_covers_the_previous_hash_its_numbers_and_its_content(storage, store, put):
    put(make_record(), make_record())
    one, two = _entries(storage, store)
    assert one.hash == entry_hash(GENESIS, 1, STATEMENT, 1, one.id, "", one.content)
    assert two.hash == entry_hash(one.hash, 2, STATEMENT, 2, two.id, "", two.content)
    assert storage.chain_head(store) == ChainHead(2, 2, two.hash)


def test_a_voiding_statement_entry_names_its_target(storage, store, put):
    target = put(make_record())[0]
    voiding = put(make_record(void=target.id, ref=target.id))[0]
    entry = _entries(storage, store)[1]
    assert (entry.kind, entry.id, entry.target) == (VOIDING, voiding.id, target.id)
    assert verify_store(storage, store).ok


def test_a_voiding_that_arrives_before_its_target_verifies(storage, store, put):
    """VOID-4: the target stored after its voiding statement is voided, and the chain agrees."""
    target = make_record()
    put(make_record(void=target.id, ref=target.id))
    assert put(target)[0].voided
    assert verify_store(storage, store).ok


def test_stores_keep_separate_chains(storage, store, other_store, put):
    put(make_record())
    put(make_record(), store=other_store)
    assert [e.n for e in _entries(storage, store)] == [1]
    assert [e.n for e in _entries(storage, other_store)] == [1]
    assert _entries(storage, store)[0].hash != _entries(storage, other_store)[0].hash


def test_a_batch_rolled_back_before_commit_leaves_no_entry(storage, store, put):
    kept = put(make_record())
    failing = [make_record(), make_record()]
    storage.before_commit = lambda store_id, ids: 1 / 0 if ids == [r.id for r in failing] else None
    with pytest.raises(ZeroDivisionError):
        put(*failing)
    assert [e.id for e in _entries(storage, store)] == [kept[0].id]
    storage.before_commit = None
    after = put(make_record())
    assert [e.n for e in _entries(storage, store)] == [1, 2]
    assert after[0].seq == 2 and verify_store(storage, store).ok


def test_a_rejected_duplicate_batch_leaves_no_entry(storage, store, put):
    from lrs.store import DuplicateStatements
    first = make_record()
    put(first)
    with pytest.raises(DuplicateStatements):
        put(make_record(), first)
    assert len(_entries(storage, store)) == 1


def test_concurrent_writers_extend_one_chain_that_verifies(storage, store):
    errors = []

    def write():
        try:
            for _ in range(5):
                storage.insert_statements(store, InsertBatch(statements=[make_record(keys=[VERB]) for _ in range(3)]))
        except Exception as error:                     # reported below
            errors.append(error)
    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    entries = _entries(storage, store)
    assert [e.n for e in entries] == list(range(1, 61)) and [e.seq for e in entries] == list(range(1, 61))
    assert verify_store(storage, store).ok


def test_the_chain_survives_reopening(opener, put, storage, store):
    put(make_record(), make_record())
    head = storage.chain_head(store)
    again = opener()
    assert again.chain_head(store) == head
    assert verify_store(again, store).entries == 2
