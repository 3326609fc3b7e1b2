"""`audit verify` hashes bodies and links in worker processes on a large chain (issue 13: >= 100,000
entries/s, lrs/audit/hashes.py) and still names the first entry that differs, whichever process
found it; a worker's own failure is raised, never taken for "verifies"."""
import os
import sqlite3

import pytest

from lrs.audit import hashes
from lrs.audit.verify import verify_store
from lrs.store import InsertBatch, open_storage
from lrs.store.chain import content_hash, entry_hash

from .conftest import make_record
from .test_audit_tampering import open_database

# several pages of chain_walk on SQLite (4096 entries a page); one on mongomock, where inserting
# thousands of statements takes minutes
STATEMENTS = {"sqlite": 10000, "mongomock": 500, "mongodb": 10000}


@pytest.fixture
def large(opener, storage, store):
    """A store of many statements, in batches; returns their ids in seq order."""
    ids = []
    for _ in range(0, STATEMENTS[opener.backend], 500):
        stored = storage.insert_statements(store, InsertBatch(statements=[make_record() for _ in range(500)]))
        ids += [s.id for s in stored]
    return ids


@pytest.fixture
def database(opener, storage, store, large):
    return open_database(opener, storage, store)


def _changed(database, seq):
    body = database.body(seq)
    position = body.index(b"learner")
    database.set_body(seq, body[:position] + b"L" + body[position + 1:])


def test_a_large_untouched_store_verifies_in_workers_as_inline(storage, store, large):
    in_workers, inline = verify_store(storage, store, workers=2), verify_store(storage, store, workers=0)
    assert in_workers.ok and inline.ok
    assert (in_workers.entries, in_workers.head) == (inline.entries, inline.head)
    assert in_workers.entries == len(large)


def test_a_large_chain_is_checked_in_workers_by_default(storage):
    large, small = (hashes.HashCheck.for_chain(storage.read_kept_body, entries)
                    for entries in (hashes.WORKERS_FROM, hashes.WORKERS_FROM - 1))
    assert large.pool is not None and small.pool is None
    large.close()


def test_a_body_changed_deep_in_a_large_store_is_named_before_later_problems(storage, store, large, database):
    """Two changed bodies and a deleted statement after them: the walk meets the deletion first,
    the workers the bodies; the first in chain order is named."""
    first, last = len(large) * 3 // 4, len(large)
    _changed(database, last - 10)
    _changed(database, first)
    database.delete_statement(last - 5)
    problem = verify_store(storage, store, workers=2).problem
    assert (problem.n, problem.seq, problem.statement_id) == (first, first, large[first - 1])
    assert "content changed" in problem.what


def test_a_broken_link_found_by_a_worker_is_named_before_a_later_problem_of_the_walk(storage, store, large, database):
    """A statement rewritten with its own hashes recomputed breaks the next entry's link."""
    seq = len(large) // 2
    body = database.body(seq).replace(b"learner@", b"someone@")
    database.set_body(seq, body)
    content = content_hash(body)
    database.set_entry(seq, content, entry_hash(database.entry(seq - 1)[0], seq, "statement", seq, large[seq - 1], "",
                                                content))
    database.delete_statement(len(large) - 10)
    result = verify_store(storage, store, workers=2)
    assert (result.problem.n, result.problem.seq, result.problem.statement_id) == (seq + 1, seq + 1, large[seq])
    assert "entry hash differs" in result.problem.what
    assert result.entries == seq                  # verified before it


def test_a_problem_of_the_walk_before_any_changed_body_is_named(storage, store, large, database):
    database.delete_statement(100)
    _changed(database, len(large) - 10)
    problem = verify_store(storage, store, workers=2).problem
    assert (problem.n, problem.seq) == (100, 100) and "statement missing" in problem.what


def test_a_kept_body_that_does_not_read_back_is_changed_content(tmp_path):
    """A byte flipped inside a deflated body (the SQLite backend keeps bodies deflated, issue 16)."""
    storage = open_storage("sqlite:///" + str(tmp_path / "lrs.sqlite3"))
    store = storage.create_store("department").id
    ids = [s.id for s in storage.insert_statements(store, InsertBatch(statements=[make_record() for _ in range(3)]))]
    conn = sqlite3.connect(storage.path, isolation_level=None)
    pk = conn.execute("SELECT sid FROM stores WHERE id = ?", (store,)).fetchone()[0] << 40 | 2
    kept = conn.execute("SELECT body FROM statements WHERE pk = ?", (pk,)).fetchone()[0]
    conn.execute("UPDATE statements SET body = ? WHERE pk = ?", (kept[:40] + b"\xff\xff" + kept[42:], pk))
    for workers in (2, 0):
        problem = verify_store(storage, store, workers=workers).problem
        assert (problem.n, problem.statement_id) == (2, ids[1])
        assert "content changed" in problem.what
    storage.close()


def _fails(kept):
    raise RuntimeError("a worker broke")


def _dies(kept):
    os._exit(3)


def test_a_worker_error_is_raised_not_taken_for_verifies(storage, store, large, monkeypatch):
    monkeypatch.setattr(storage, "read_kept_body", _fails)
    with pytest.raises(RuntimeError, match="a worker broke"):
        verify_store(storage, store, workers=2)


def test_a_worker_that_dies_is_raised_not_taken_for_verifies(storage, store, large, monkeypatch):
    from concurrent.futures.process import BrokenProcessPool
    monkeypatch.setattr(storage, "read_kept_body", _dies)
    with pytest.raises(BrokenProcessPool):
        verify_store(storage, store, workers=2)
