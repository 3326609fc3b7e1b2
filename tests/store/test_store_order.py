"""One order per store (issue 10): batches become visible whole and in seq order, and no reader
can pass a batch that is still being written. Two writers are interleaved step by step: the
first is held inside its transaction, just before commit, by the backends' before_commit seam.
"""
import threading

import pytest

from lrs.store import InsertBatch, StatementQuery

from .conftest import make_record

VERB = ("verb", "http://adlnet.gov/expapi/verbs/completed")
WAIT_S = 30            # upper bound on any step; a passing run never waits this long


class Writer(threading.Thread):
    """Inserts one batch in a thread; remembers its results or error."""

    def __init__(self, storage, store, records):
        super().__init__(daemon=True)
        self.storage, self.store, self.records = storage, store, records
        self.results = self.error = None

    @property
    def ids(self):
        return [r.id for r in self.records]

    def run(self):
        try:
            self.results = self.storage.insert_statements(self.store, InsertBatch(statements=self.records))
        except Exception as error:                      # reported by the test
            self.error = error


class Gate:
    """A before_commit hook that holds the batch holding `ids` until released."""

    def __init__(self, storage, ids):
        self.ids = set(ids)
        self.reached = threading.Event()
        self.released = threading.Event()
        self.others_reached = threading.Event()
        storage.before_commit = self

    def __call__(self, store_id, ids):
        if set(ids) == self.ids:
            self.reached.set()
            assert self.released.wait(WAIT_S), "the test never released the held batch"
        else:
            self.others_reached.set()


def _visible(storage, store):
    page = storage.query_statements(store, StatementQuery(filters=[VERB], ascending=True, limit=0))
    return [(s.id, s.seq) for s in page.statements]


def _batch(count):
    return [make_record(keys=[VERB]) for _ in range(count)]


@pytest.fixture
def held(storage, store):
    """Writer A (two statements) started and held just before its commit."""
    writer = Writer(storage, store, _batch(2))
    gate = Gate(storage, writer.ids)
    writer.start()
    assert gate.reached.wait(WAIT_S)
    yield writer, gate
    gate.released.set()
    writer.join(WAIT_S)


def test_a_pending_batch_is_invisible_to_readers(storage, store, held):
    writer, _ = held
    assert _visible(storage, store) == []
    assert storage.get_statements(store, writer.ids) == {}
    assert storage.committed_order(store) == (0, 0)


def test_a_second_writer_cannot_commit_while_the_first_is_pending(storage, store, held):
    first, gate = held
    second = Writer(storage, store, _batch(1))
    second.start()
    assert not gate.others_reached.wait(0.5), "the second batch reached its commit while the first was pending"
    assert _visible(storage, store) == []
    gate.released.set()
    first.join(WAIT_S)
    second.join(WAIT_S)
    assert first.error is None and second.error is None
    assert [seq for _, seq in _visible(storage, store)] == [1, 2, 3]
    assert [i for i, _ in _visible(storage, store)] == first.ids + second.ids


def test_a_reader_following_seq_order_never_skips_a_pending_batch(storage, store, held):
    """The loss the issue names: A (seq 1-2) pending, B commits seq 3, a poller passes seq 3 and
    never sees A. Here the poller reads after every step and keeps only what is past its mark."""
    first, gate = held
    seen, mark = [], 0

    def poll():
        nonlocal mark
        page = storage.query_statements(store, StatementQuery(filters=[VERB], ascending=True, after_seq=mark))
        for statement in page.statements:
            seen.append(statement.id)
            mark = statement.seq

    second = Writer(storage, store, _batch(1))
    second.start()
    poll()
    gate.released.set()
    first.join(WAIT_S)
    poll()
    second.join(WAIT_S)
    poll()
    assert seen == first.ids + second.ids


def test_the_committed_order_stays_on_the_last_committed_batch_while_one_is_pending(storage, store, put):
    committed = put(*_batch(1))
    writer = Writer(storage, store, _batch(1))
    gate = Gate(storage, writer.ids)
    writer.start()
    assert gate.reached.wait(WAIT_S)
    try:
        assert storage.committed_order(store) == (committed[0].seq, committed[0].stored_ms)
    finally:
        gate.released.set()
        writer.join(WAIT_S)
    assert writer.results[0].stored_ms > committed[0].stored_ms                    # TIME-11..13
    assert storage.committed_order(store) == (writer.results[0].seq, writer.results[0].stored_ms)


def test_a_batch_that_fails_before_commit_leaves_nothing_and_no_hole(storage, store, put):
    failing = _batch(2)

    def fail(store_id, ids):
        if ids == [r.id for r in failing]:
            raise RuntimeError("writer died before commit")
    storage.before_commit = fail
    with pytest.raises(RuntimeError):
        put(*failing)
    assert storage.get_statements(store, [r.id for r in failing]) == {}
    assert storage.committed_order(store) == (0, 0)
    after = put(*_batch(1))
    assert after[0].seq == 1


def test_voiding_and_definitions_of_a_failed_batch_are_rolled_back_with_it(storage, store, put):
    target = put(make_record(keys=[VERB]))[0]
    voiding = make_record(void=target.id, ref=target.id)

    def fail(store_id, ids):
        if ids == [voiding.id]:
            raise RuntimeError("writer died before commit")
    storage.before_commit = fail
    with pytest.raises(RuntimeError):
        put(voiding, activity_definitions={"http://example.gov/unit": {"name": {"en": "Unit"}}})
    assert storage.get_statements(store, [target.id])[target.id].voided is False
    assert storage.get_activity_definition(store, "http://example.gov/unit") is None
    assert [i for i, _ in _visible(storage, store)] == [target.id]


def test_a_batch_that_cannot_commit_within_the_delay_is_rolled_back(storage, store, put):
    """What lets Consistent-Through say now - lag on an idle store: a batch commits within
    max_commit_delay_ms of its stored time or not at all (503 to the client, which resends)."""
    import time

    from lrs.errors import StorageUnavailable
    storage.max_commit_delay_ms = 50
    slow = _batch(1)
    storage.before_commit = lambda store_id, ids: time.sleep(0.2) if ids == [slow[0].id] else None
    with pytest.raises(StorageUnavailable, match="longer than 50 ms"):
        put(*slow)
    assert storage.get_statements(store, [slow[0].id]) == {}
    assert put(*_batch(1))[0].seq == 1
