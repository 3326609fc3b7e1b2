"""A worker process takes statement batches one at a time (issue 16): batches queue behind one
another, while small POSTs and reads run beside them; while a batch is stored, the worker's
threads take turns on the GIL more often."""
import sys
import threading
import time
import uuid

import pytest

from lrs.api import statements as statements_api
from lrs.app import create_app
from tests.api.conftest import XAPIClient, make_settings, statement


@pytest.fixture
def sqlite_app(tmp_path):
    """How requests share a process does not depend on the backend: the embedded default."""
    app = create_app(make_settings("sqlite:///" + str(tmp_path / "lrs.sqlite3")), announce=lambda message: None)
    yield app
    app.extensions["lrs"].storage.close()


def _watch_concurrent_stores(app, monkeypatch, hold_s=0.3):
    """The most StatementService.store calls seen running at once; each is held `hold_s`."""
    service = app.extensions["lrs"].statements
    original, running, seen, lock = service.store, [0], [0], threading.Lock()

    def store(*args, **kwargs):
        with lock:
            running[0] += 1
            seen[0] = max(seen[0], running[0])
        try:
            time.sleep(hold_s)
            return original(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1
    monkeypatch.setattr(service, "store", store)
    return seen


def _post_at_once(app, bodies):
    answers = []

    def post(body):
        answers.append(XAPIClient(app).post_statements(body).status_code)
    threads = [threading.Thread(target=post, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


def _batch(count):
    return [statement(id=str(uuid.uuid4()), object={"objectType": "Activity", "id": "http://example.gov/a/%d" % n,
                                                     "definition": {"name": {"en-US": "x" * 200}}})
            for n in range(count)]


def test_two_batches_sent_at_once_are_stored_one_after_the_other_issue_16(sqlite_app, monkeypatch):
    seen = _watch_concurrent_stores(sqlite_app, monkeypatch)
    first, second = _batch(100), _batch(100)
    assert min(len(str(b)) for b in (first, second)) > statements_api.BATCH_BYTES
    assert _post_at_once(sqlite_app, [first, second]) == [200, 200]
    assert seen[0] == 1


def test_single_statements_sent_at_once_are_stored_side_by_side_issue_16(sqlite_app, monkeypatch):
    seen = _watch_concurrent_stores(sqlite_app, monkeypatch)
    assert _post_at_once(sqlite_app, [statement(id=str(uuid.uuid4())), statement(id=str(uuid.uuid4()))]) == [200, 200]
    assert seen[0] == 2


def test_a_read_is_answered_while_a_batch_is_being_stored_issue_16(sqlite_app, monkeypatch):
    _watch_concurrent_stores(sqlite_app, monkeypatch, hold_s=1.0)
    writer = threading.Thread(target=lambda: XAPIClient(sqlite_app).post_statements(_batch(100)))
    writer.start()
    time.sleep(0.2)
    started = time.monotonic()
    assert XAPIClient(sqlite_app).get("/xapi/statements?limit=1").status_code == 200
    answered_in = time.monotonic() - started
    writer.join(30)
    assert answered_in < 0.7


@pytest.fixture
def usual():
    """Python's default switch interval for the test, whatever an earlier test left."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    yield 0.005
    sys.setswitchinterval(before)


def _switch_interval_while_storing(app, monkeypatch):
    """The GIL switch interval each StatementService.store call saw."""
    service = app.extensions["lrs"].statements
    original, seen = service.store, []

    def store(*args, **kwargs):
        seen.append(sys.getswitchinterval())
        return original(*args, **kwargs)
    monkeypatch.setattr(service, "store", store)
    return seen


def test_threads_take_turns_every_half_millisecond_while_a_batch_is_stored_issue_16(sqlite_app, monkeypatch, usual):
    seen = _switch_interval_while_storing(sqlite_app, monkeypatch)
    assert XAPIClient(sqlite_app).post_statements(_batch(100)).status_code == 200
    assert seen == [statements_api.BATCH_SWITCH_INTERVAL_S] and statements_api.BATCH_SWITCH_INTERVAL_S < usual
    assert sys.getswitchinterval() == usual


def test_the_switch_interval_is_restored_when_a_batch_is_refused_issue_16(sqlite_app, monkeypatch, usual):
    seen = _switch_interval_while_storing(sqlite_app, monkeypatch)
    batch = _batch(100)
    batch[50]["verb"] = {"id": "not an IRI"}
    assert XAPIClient(sqlite_app).post_statements(batch).status_code == 400
    assert seen == [statements_api.BATCH_SWITCH_INTERVAL_S]
    assert sys.getswitchinterval() == usual


def test_a_single_statement_leaves_the_switch_interval_as_it_is_issue_16(sqlite_app, monkeypatch, usual):
    seen = _switch_interval_while_storing(sqlite_app, monkeypatch)
    assert XAPIClient(sqlite_app).post_statements(statement(id=str(uuid.uuid4()))).status_code == 200
    assert seen == [usual]
