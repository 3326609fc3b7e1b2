"""Opening, re-opening, ping and concurrent use, on every backend."""
import threading

import pytest

from lrs.store import InsertBatch, StatementQuery, open_storage


def test_ping_succeeds_on_a_reachable_database(storage):
    assert storage.ping() is None


def test_reopening_the_database_keeps_statements_stores_and_credentials(opener, storage, store, put, record):
    stored = put(record(keys=[("verb", "v")]))[0]
    storage.close()
    again = opener()
    assert again.get_statements(store, [stored.id]) == {stored.id: stored}
    assert again.query_statements(store, StatementQuery(filters=[("verb", "v")])).statements == [stored]
    assert [s.id for s in again.list_stores()] == [store]


def test_seq_continues_after_reopening(opener, storage, store, put, record):
    first = put(record())[0]
    storage.close()
    again = opener()
    assert again.insert_statements(store, InsertBatch(statements=[record()]))[0].seq == first.seq + 1


def test_two_open_instances_see_each_others_writes(opener, storage, store, put, record):
    other = opener()
    stored = put(record())[0]
    assert set(other.get_statements(store, [stored.id])) == {stored.id}


def test_concurrent_inserts_from_threads_get_distinct_seqs_and_all_persist(storage, store, record):
    results, errors = [], []

    def worker():
        try:
            for _ in range(15):
                results.extend(storage.insert_statements(store, InsertBatch(statements=[record(), record()])))
        except Exception as error:          # noqa: BLE001 - reported by the assertion below
            errors.append(error)
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({r.seq for r in results}) == 120
    assert len(storage.query_statements(store, StatementQuery(limit=0)).statements) == 120


def test_concurrent_batches_keep_stored_non_decreasing_in_seq_TIME_13(storage, store, record):
    def worker():
        for _ in range(10):
            storage.insert_statements(store, InsertBatch(statements=[record()]))
    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    page = storage.query_statements(store, StatementQuery(ascending=True, limit=0)).statements
    assert [s.stored_ms for s in page] == sorted(s.stored_ms for s in page)


def test_open_storage_rejects_an_unknown_url():
    with pytest.raises(ValueError):
        open_storage("postgres://localhost/lrs")
