"""`audit verify` checks a large chain range by range, each range read and checked by a worker
process from its own connection (issue 13: >= 100,000 entries/s, lrs/audit/ranges.py), and still
names the first entry that differs, whichever range found it or whether it lies on the boundary
between two ranges; a worker's own failure is raised, never taken for "verifies".

On mongomock the storage cannot be opened from another process (the double lives in the test
process), so the same ranges are checked in this process: the joining of ranges is tested on both
backends, the worker processes on SQLite."""
import multiprocessing
import os
import sqlite3
from concurrent.futures import ProcessPoolExecutor

import pytest

from lrs.audit import ranges
from lrs.audit.verify import verify_store
from lrs.store import InsertBatch, open_storage
from lrs.store.chain import Checkpoint, content_hash, entry_hash

from .conftest import make_record
from .test_audit_tampering import open_database

# more than a page of chain_walk on SQLite (4096 entries a page); fewer on mongomock, where inserting
# thousands of statements takes minutes
STATEMENTS = {"sqlite": 5000, "mongomock": 500, "mongodb": 5000}
WORKERS = 2


def _insert(storage, store, count):
    ids = []
    for _ in range(0, count, 500):
        stored = storage.insert_statements(store, InsertBatch(statements=[make_record() for _ in range(500)]))
        ids += [s.id for s in stored]
    return ids


@pytest.fixture
def large(opener, storage, store):
    """A store of many statements, in batches; returns their ids in seq order."""
    return _insert(storage, store, STATEMENTS[opener.backend])


@pytest.fixture
def database(opener, storage, store, large):
    return open_database(opener, storage, store)


@pytest.fixture
def boundary(large):
    """The last entry of the third range of a verification in WORKERS processes."""
    return ranges.plan(len(large), WORKERS)[2][1]


def _changed(database, seq):
    body = database.body(seq)
    position = body.index(b"learner")
    database.set_body(seq, body[:position] + b"L" + body[position + 1:])


def _rewritten(database, ids, seq):
    """Statement `seq` rewritten with its own entry's hashes recomputed: the next link breaks."""
    body = database.body(seq).replace(b"learner@", b"someone@")
    database.set_body(seq, body)
    content = content_hash(body)
    database.set_entry(seq, content, entry_hash(database.entry(seq - 1)[0], seq, "statement", seq, ids[seq - 1], "",
                                                content))


def _same_problem_in_ranges_as_inline(storage, store):
    in_ranges, inline = verify_store(storage, store, workers=WORKERS), verify_store(storage, store, workers=0)
    assert not inline.ok, "the tampering was not detected"
    assert (in_ranges.problem, in_ranges.entries) == (inline.problem, inline.entries)
    return in_ranges.problem


def test_a_large_untouched_store_verifies_in_ranges_as_inline(storage, store, large):
    in_ranges, inline = verify_store(storage, store, workers=WORKERS), verify_store(storage, store, workers=0)
    assert in_ranges.ok and inline.ok
    assert (in_ranges.entries, in_ranges.head, in_ranges.statements) == (inline.entries, inline.head, inline.statements)
    assert in_ranges.entries == len(large)


def test_a_large_chain_is_checked_in_worker_processes_by_default():
    cores = os.cpu_count() or 1
    assert ranges.workers_for(ranges.WORKERS_FROM) == (min(ranges.MOST_WORKERS, cores) if cores > 1 else 0)
    assert ranges.workers_for(ranges.WORKERS_FROM - 1) == 0
    assert ranges.workers_for(10, workers=3) == 3


def test_the_ranges_cover_the_chain_once_in_order():
    for entries in (1, 7, 8, 9, 1000, 1_000_003):
        parts = ranges.plan(entries, WORKERS)
        assert parts[0][0] == 0 and parts[-1][1] == entries
        assert all(upto == after for (_, upto), (after, _) in zip(parts, parts[1:]))
        assert all(after < upto for after, upto in parts)
    assert len(ranges.plan(1000, WORKERS)) == WORKERS * ranges.RANGES_PER_WORKER


def test_sqlite_ranges_are_read_from_worker_processes_mongomock_ones_here(opener, storage):
    reader = storage.chain_reader()
    assert (reader is not None) == (opener.backend != "mongomock")


def _rows(pages):
    return [row for page in pages for row in page]


def test_chain_walk_reads_the_entries_of_a_range(storage, store, put):
    for _ in range(3):
        put(make_record(), make_record())
    rows = _rows(storage.chain_walk(store, 5, 2))
    assert [row[0] for row in rows] == [3, 4, 5]
    assert rows == _rows(storage.chain_walk(store, 6))[2:5]


def _read_in_another_process(reader, store):
    return _rows(reader(store, 5, 2))


def test_a_chain_reader_reads_in_another_process_what_chain_walk_reads(opener, storage, store, put):
    """What the workers of `audit verify` use (StorageBackend.chain_reader): picklable, opening
    its own connection in the worker."""
    for _ in range(3):
        put(make_record(), make_record())
    reader = storage.chain_reader()
    if reader is None:                            # mongomock: the double lives in this process only
        assert opener.backend == "mongomock"
        return
    with ProcessPoolExecutor(1, multiprocessing.get_context(ranges.START)) as pool:
        rows = pool.submit(_read_in_another_process, reader, store).result()
    assert [tuple(row) for row in rows] == [tuple(row) for row in _rows(storage.chain_walk(store, 5, 2))]


def test_a_body_changed_deep_in_a_large_store_is_named_before_later_problems(storage, store, large, database):
    """Two changed bodies and a deleted statement after them, in later ranges: the first in chain
    order is named."""
    first, last = len(large) * 3 // 4, len(large)
    _changed(database, last - 10)
    _changed(database, first)
    database.delete_statement(last - 5)
    problem = verify_store(storage, store, workers=WORKERS).problem
    assert (problem.n, problem.seq, problem.statement_id) == (first, first, large[first - 1])
    assert "content changed" in problem.what


def test_a_broken_link_is_named_before_a_later_problem(storage, store, large, database):
    """A statement rewritten with its own hashes recomputed breaks the next entry's link."""
    seq = len(large) // 2
    _rewritten(database, large, seq)
    database.delete_statement(len(large) - 10)
    result = verify_store(storage, store, workers=WORKERS)
    assert (result.problem.n, result.problem.seq, result.problem.statement_id) == (seq + 1, seq + 1, large[seq])
    assert "entry hash differs" in result.problem.what
    assert result.entries == seq                  # verified before it


def test_a_problem_in_an_early_range_is_named_before_a_changed_body_in_a_later_one(storage, store, large, database):
    database.delete_statement(100)
    _changed(database, len(large) - 10)
    problem = verify_store(storage, store, workers=WORKERS).problem
    assert (problem.n, problem.seq) == (100, 100) and "statement missing" in problem.what


def test_a_statement_rewritten_at_the_end_of_a_range_breaks_the_first_link_of_the_next(
        storage, store, large, database, boundary):
    _rewritten(database, large, boundary)
    problem = _same_problem_in_ranges_as_inline(storage, store)
    assert (problem.n, problem.statement_id) == (boundary + 1, large[boundary])
    assert "entry hash differs" in problem.what


def test_a_deleted_last_entry_of_a_range_names_the_next_entry_kept(storage, store, large, database, boundary):
    database.delete_entry(boundary)
    problem = _same_problem_in_ranges_as_inline(storage, store)
    assert problem.n == boundary and "the next entry kept is %d" % (boundary + 1) in problem.what


def test_the_last_entries_of_a_range_deleted_are_named_from_the_first(storage, store, large, database, boundary):
    for n in range(boundary - 3, boundary + 1):
        database.delete_entry(n)
    problem = _same_problem_in_ranges_as_inline(storage, store)
    assert problem.n == boundary - 3 and "the next entry kept is %d" % (boundary + 1) in problem.what


def test_the_first_entry_of_a_range_out_of_order_is_named_as_out_of_order(storage, store, large, database, boundary):
    """Its seq repeats the last one of the range before: the order is what the single walk named
    first, before its statement's id and its link."""
    database.set_entry_seq(boundary + 1, boundary)
    problem = _same_problem_in_ranges_as_inline(storage, store)
    assert (problem.n, problem.seq) == (boundary + 1, boundary) and "out of order" in problem.what


def test_two_statements_swapped_across_a_range_boundary_are_detected(storage, store, large, database, boundary):
    database.swap_statements(boundary, boundary + 1)
    problem = _same_problem_in_ranges_as_inline(storage, store)
    assert (problem.n, problem.statement_id) == (boundary, large[boundary - 1])


def test_a_checkpoint_in_a_later_range_is_checked_against_the_whole_chain_before_it(
        storage, store, large, database, boundary):
    n = boundary + 7
    kept = database.entry(n)[0]
    signed = Checkpoint(store_id=store, n=n, seq=n, hash=kept, made_ms=1_700_000_000_000, signature=b"")
    assert verify_store(storage, store, [signed], workers=WORKERS).ok
    for other in (Checkpoint(store, n, n, bytes(32), signed.made_ms, b""),         # another hash
                  Checkpoint(store, n, n - 1, kept, signed.made_ms, b"")):          # another seq
        in_ranges = verify_store(storage, store, [other], workers=WORKERS)
        inline = verify_store(storage, store, [other], workers=0)
        assert in_ranges.problem == inline.problem
        assert in_ranges.problem.n == n and "checkpoint" in in_ranges.problem.what


def test_a_voiding_committed_while_the_ranges_are_read_is_not_a_difference(storage, store, put):
    """The ranges are read one after the other: a voiding written after the head was read flags
    its target before a later range reads it. Simulated by verifying up to the head before the
    voiding; a flag set behind the LRS's back is still found (test_audit_tampering)."""
    target = put(make_record(), make_record())[0]
    head, committed = storage.chain_head(store), storage.committed_order(store)
    put(make_record(void=target.id, ref=target.id))
    assert storage.get_statements(store, [target.id])[target.id].voided
    storage.chain_head = lambda store_id: head
    storage.committed_order = lambda store_id: committed
    result = verify_store(storage, store)
    assert result.ok, result.problem
    assert result.entries == head.n == 2


# worker processes themselves: SQLite (mongomock cannot be opened from another process)

@pytest.fixture
def sqlite_store(tmp_path):
    storage = open_storage("sqlite:///" + str(tmp_path / "lrs.sqlite3"))
    store = storage.create_store("department").id
    yield storage, store
    storage.close()


def test_a_kept_body_that_does_not_read_back_is_changed_content(sqlite_store):
    """A byte flipped inside a deflated body (the SQLite backend keeps bodies deflated, issue 16)."""
    storage, store = sqlite_store
    ids = [s.id for s in storage.insert_statements(store, InsertBatch(statements=[make_record() for _ in range(3)]))]
    conn = sqlite3.connect(storage.path, isolation_level=None)
    pk = conn.execute("SELECT sid FROM stores WHERE id = ?", (store,)).fetchone()[0] << 40 | 2
    kept = conn.execute("SELECT body FROM statements WHERE pk = ?", (pk,)).fetchone()[0]
    conn.execute("UPDATE statements SET body = ? WHERE pk = ?", (kept[:40] + b"\xff\xff" + kept[42:], pk))
    for workers in (WORKERS, 0):
        problem = verify_store(storage, store, workers=workers).problem
        assert (problem.n, problem.statement_id) == (2, ids[1])
        assert "content changed" in problem.what


def _fails(kept):
    raise RuntimeError("a worker broke")


def _dies(kept):
    os._exit(3)


def test_a_worker_error_is_raised_not_taken_for_verifies(sqlite_store, monkeypatch):
    storage, store = sqlite_store
    _insert(storage, store, 1000)
    monkeypatch.setattr(storage, "read_kept_body", _fails)
    with pytest.raises(RuntimeError, match="a worker broke"):
        verify_store(storage, store, workers=WORKERS)


def test_a_worker_that_dies_is_raised_not_taken_for_verifies(sqlite_store, monkeypatch):
    from concurrent.futures.process import BrokenProcessPool
    storage, store = sqlite_store
    _insert(storage, store, 1000)
    monkeypatch.setattr(storage, "read_kept_body", _dies)
    with pytest.raises(BrokenProcessPool):
        verify_store(storage, store, workers=WORKERS)
