"""The storage contract suite: every test runs against every backend.

Backends: sqlite (a file under tmp_path), mongomock (in memory, a fresh NAME per test), and a
real MongoDB when LRS_TEST_MONGODB_URL is set (a fresh database per test, dropped afterwards).
"""
import os
import uuid

import pytest

from lrs.store import InsertBatch, StatementRecord

MONGODB_URL = os.environ.get("LRS_TEST_MONGODB_URL")
BACKENDS = ["sqlite", "mongomock"] + (["mongodb"] if MONGODB_URL else [])


class Opener:
    """Opens the same database again and again (to test re-opening and several instances)."""

    def __init__(self, backend, tmp_path):
        self.backend = backend
        self.opened = []
        if backend == "sqlite":
            self.url = "sqlite:///" + str(tmp_path / "data" / "lrs.sqlite3")
        elif backend == "mongomock":
            self.url = "mongomock://store-test-%s" % uuid.uuid4().hex
        else:
            self.database = "lrs_store_test_%s" % uuid.uuid4().hex[:12]
            base, _, query = MONGODB_URL.partition("?")
            self.url = base.rstrip("/") + "/" + self.database + ("?" + query if query else "")

    def __call__(self, **options):
        from lrs.store import open_storage
        storage = open_storage(self.url, **options)
        self.opened.append(storage)
        return storage

    def cleanup(self):
        if self.backend == "mongodb" and self.opened:
            self.opened[0]._client.drop_database(self.database)
        for storage in self.opened:
            storage.close()


@pytest.fixture(params=BACKENDS)
def opener(request, tmp_path):
    opener = Opener(request.param, tmp_path)
    yield opener
    opener.cleanup()


@pytest.fixture
def storage(opener):
    return opener()


@pytest.fixture
def store(storage):
    """The id of a fresh store (tenant)."""
    return storage.create_store("department").id


@pytest.fixture
def other_store(storage):
    return storage.create_store("agency").id


def new_id():
    return str(uuid.uuid4())


def make_record(keys=(), ref=None, void=None, authority="account:https://lrs.example/credentials|k1",
                statement_id=None, timestamp_from_stored=False, attachments=(), **fields):
    """A StatementRecord as the service layer would prepare it."""
    statement_id = statement_id or new_id()
    statement = {"id": statement_id, "actor": {"mbox": "mailto:learner@example.gov"},
                 "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                 "object": {"id": "http://example.gov/unit"}}
    statement.update(fields)
    return StatementRecord(id=statement_id, statement=statement, index_keys=list(keys), ref_target=ref,
                           void_target=void, authority_key=authority,
                           timestamp_from_stored=timestamp_from_stored, attachment_hashes=list(attachments))


@pytest.fixture
def record():
    return make_record


@pytest.fixture
def put(storage, store):
    """put(*records, store=..., **batch_fields): insert one batch; returns [StoredStatement]."""
    def put(*records, store=store, **batch_fields):
        return storage.insert_statements(store, InsertBatch(statements=list(records), **batch_fields))
    return put


@pytest.fixture
def ids_of():
    def ids_of(page):
        return [s.id for s in page.statements]
    return ids_of
