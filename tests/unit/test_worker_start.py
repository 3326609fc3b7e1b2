"""A worker starts even when the database cannot be opened yet (issue 17).

It answers 503 on /ready and on requests that need the database, keeps trying with back-off, and
serves as soon as the database opens; gunicorn therefore never sees a worker fail to boot.
"""
import threading
import time

import pytest

import lrs.app
from lrs.app import create_app
from lrs.errors import StorageUnavailable
from lrs.services import open_configured_storage
from lrs.store import opening
from lrs.store.opening import OpeningStorage, open_or_retry
from tests.api.conftest import ADMIN_KEY, ADMIN_SECRET, XAPIClient, make_settings, statement


class FlakyOpener:
    """Fails `failures` times with StorageUnavailable, then opens the real database."""

    def __init__(self, url, failures):
        self.url, self.failures, self.calls = url, failures, 0

    def __call__(self, settings=None):
        self.calls += 1
        if self.calls <= self.failures:
            raise StorageUnavailable("database is locked")
        return open_configured_storage(settings or make_settings(self.url))


def _wait_open(storage, timeout=10):
    deadline = time.monotonic() + timeout
    while not storage.is_open:
        assert time.monotonic() < deadline, "the database never opened"
        time.sleep(0.01)


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(opening, "RETRY_DELAYS_S", (0.01, 0.02))


def test_a_database_that_opens_is_returned_as_it_is(tmp_path):
    opener = FlakyOpener("sqlite:///" + str(tmp_path / "lrs.sqlite3"), failures=0)
    storage = open_or_retry(opener)
    assert not isinstance(storage, OpeningStorage)
    storage.close()


def test_until_the_database_opens_every_call_is_unavailable_then_it_is_served(tmp_path, fast_retries):
    opener = FlakyOpener("sqlite:///" + str(tmp_path / "lrs.sqlite3"), failures=10**9)
    prepared = []
    storage = open_or_retry(opener, prepare=prepared.append)
    assert isinstance(storage, OpeningStorage)
    with pytest.raises(StorageUnavailable, match="not open yet"):
        storage.ping()
    with pytest.raises(StorageUnavailable, match="not open yet"):
        storage.get_store("default")
    opener.failures = opener.calls                 # the next attempt opens
    _wait_open(storage)
    storage.ping()
    assert storage.get_store("default") is None
    assert len(prepared) == 1
    storage.close()


def test_close_stops_the_retries(fast_retries):
    def never():
        raise StorageUnavailable("database is locked")
    storage = open_or_retry(never)
    storage.close()
    assert not [t for t in threading.enumerate() if t.name == "lrs-open-database"]


def test_the_first_failure_and_the_recovery_are_logged_once_each(tmp_path, fast_retries, caplog):
    opener = FlakyOpener("sqlite:///" + str(tmp_path / "lrs.sqlite3"), failures=5)
    with caplog.at_level("WARNING", logger="lrs.store"):
        storage = open_or_retry(opener)
        _wait_open(storage)
    messages = [r.getMessage() for r in caplog.records if r.name == "lrs.store"]
    assert len(messages) == 2
    assert "cannot open the database (database is locked)" in messages[0]
    assert "the database is open" in messages[1]
    storage.close()


def test_an_app_whose_database_cannot_be_opened_starts_answers_503_then_serves(tmp_path, monkeypatch, fast_retries):
    settings = make_settings("sqlite:///" + str(tmp_path / "lrs.sqlite3"))
    opener = FlakyOpener(settings.database_url, failures=10**9)
    monkeypatch.setattr(lrs.app, "open_configured_storage", opener)
    app = create_app(settings, announce=lambda message: None)        # before: StorageUnavailable
    client = XAPIClient(app, auth=(ADMIN_KEY, ADMIN_SECRET))
    assert client.get("/health", auth=False, version=False).status_code == 200
    assert client.get("/ready", auth=False, version=False).status_code == 503
    response = client.get("/xapi/statements")
    assert response.status_code == 503 and "retrying" in response.get_json()["error"]["message"]
    opener.failures = 0                                                # the lock is gone
    _wait_open(app.extensions["lrs.storage"])
    assert client.get("/ready", auth=False, version=False).status_code == 200
    assert client.get("/xapi/statements").status_code == 200           # the admin credential was made
    for number in range(2):
        client.post_statements(statement(object={"id": "http://example.gov/%d" % number}))
    more = client.get("/xapi/statements?limit=1").get_json()["more"]     # the cursor key, read late
    assert more and client.get(more).status_code == 200
    app.extensions["lrs.storage"].close()
