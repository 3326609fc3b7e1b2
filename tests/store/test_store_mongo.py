"""What only the MongoDB backend promises: shared mongomock clients, the batch journal and its
recovery path (a crashed writer's batch is completed or rolled back, never half visible)."""
import uuid

import pytest

from lrs.errors import StorageUnavailable
from lrs.store import InsertBatch, StatementQuery, StatementRecord
from lrs.store.mongo import MongoStorage

VERB = ("verb", "http://adlnet.gov/expapi/verbs/completed")


@pytest.fixture
def url():
    return "mongomock://mongo-test-%s" % uuid.uuid4().hex


def _record(**fields):
    statement_id = str(uuid.uuid4())
    return StatementRecord(id=statement_id, statement={"id": statement_id}, index_keys=[VERB], **fields)


def _crash_after(storage, monkeypatch, step):
    """Make the writer die at `step` without any clean-up, as kill -9 would."""
    def die(*args, **kwargs):
        raise SystemExit("writer killed")
    monkeypatch.setattr(storage, step, die)
    monkeypatch.setattr(storage, "_roll_back", lambda token: None)


def test_two_instances_with_one_mongomock_name_share_data(url):
    first, second = MongoStorage(url), MongoStorage(url)
    store = first.create_store("department")
    assert second.get_store("department") == store


def test_instances_with_different_mongomock_names_are_separate(url):
    MongoStorage(url).create_store("department")
    assert MongoStorage(url + "-other").get_store("department") is None


def test_a_batch_of_a_writer_that_died_before_committing_is_invisible(url, monkeypatch):
    storage = MongoStorage(url)
    record = _record()
    _crash_after(storage, monkeypatch, "_merge_definitions")
    with pytest.raises(SystemExit):
        storage.insert_statements("s", InsertBatch(statements=[record]))
    assert storage.get_statements("s", [record.id]) == {}
    assert storage.query_statements("s", StatementQuery(filters=[VERB])).statements == []
    assert storage.last_seq("s") == 0


def test_recovery_rolls_back_an_uncommitted_batch_of_a_dead_writer(url, monkeypatch):
    storage = MongoStorage(url)
    _crash_after(storage, monkeypatch, "_merge_definitions")
    with pytest.raises(SystemExit):
        storage.insert_statements("s", InsertBatch(statements=[_record()]))
    MongoStorage(url, pending_timeout_s=0)              # a restarted process recovers at start
    assert storage.db.statements.count_documents({}) == 0 and storage.db.batches.count_documents({}) == 0


def test_recovery_completes_a_committed_batch_of_a_dead_writer(url, monkeypatch):
    storage = MongoStorage(url)
    target = storage.insert_statements("s", InsertBatch(statements=[_record()]))[0]
    voiding = _record(void_target=target.id)
    _crash_after(storage, monkeypatch, "_complete")
    with pytest.raises(SystemExit):
        storage.insert_statements("s", InsertBatch(statements=[voiding]))
    restarted = MongoStorage(url, pending_timeout_s=0)
    assert set(restarted.get_statements("s", [voiding.id])) == {voiding.id}
    assert restarted.get_statements("s", [target.id])[target.id].voided is True


def test_a_retried_batch_replaces_the_stale_leftover_of_a_dead_writer(url, monkeypatch):
    storage = MongoStorage(url, pending_timeout_s=0)
    record = _record()
    with monkeypatch.context() as patch:
        _crash_after(storage, patch, "_merge_definitions")
        with pytest.raises(SystemExit):
            storage.insert_statements("s", InsertBatch(statements=[record]))
    storage._next_recovery = float("inf")              # the collision itself must settle it
    stored = storage.insert_statements("s", InsertBatch(statements=[_record_with_id(record.id)]))
    assert set(storage.get_statements("s", [record.id])) == {stored[0].id}


def _record_with_id(statement_id):
    return StatementRecord(id=statement_id, statement={"id": statement_id}, index_keys=[VERB])


def test_a_batch_colliding_with_a_live_writers_pending_ids_is_asked_to_retry(url, monkeypatch):
    storage = MongoStorage(url, pending_timeout_s=3600)
    record = _record()
    with monkeypatch.context() as patch:
        _crash_after(storage, patch, "_merge_definitions")
        with pytest.raises(SystemExit):
            storage.insert_statements("s", InsertBatch(statements=[record]))
    with pytest.raises(StorageUnavailable):
        storage.insert_statements("s", InsertBatch(statements=[_record_with_id(record.id)]))


def test_an_unreachable_server_is_storage_unavailable():
    with pytest.raises(StorageUnavailable):
        MongoStorage("mongodb://127.0.0.1:9/lrs", server_selection_timeout_ms=200)


class _ClientSpy:
    """Stands in for pymongo.MongoClient on a mongodb:// URL, recording the options it gets."""

    def __init__(self, monkeypatch, replica_set=True):
        import mongomock
        self.options = {}
        spy = self

        class Client(mongomock.MongoClient):
            def __init__(self, url, **options):
                spy.options = options
                super().__init__(url, **options)
        monkeypatch.setattr("lrs.store.mongo.pymongo.MongoClient", Client)
        monkeypatch.setattr(MongoStorage, "_supports_majority_reads", lambda self: replica_set)


def test_writes_default_to_majority_and_journaled(monkeypatch):
    spy = _ClientSpy(monkeypatch)
    MongoStorage("mongodb://db.example/lrs-%s" % uuid.uuid4().hex[:8])
    assert (spy.options["w"], spy.options["journal"]) == ("majority", True)


def test_the_url_overrides_the_write_concern(monkeypatch):
    spy = _ClientSpy(monkeypatch)
    MongoStorage("mongodb://db.example/lrs-%s?w=1&journal=false" % uuid.uuid4().hex[:8])
    assert "w" not in spy.options and "journal" not in spy.options


def test_server_selection_timeout_defaults_to_five_seconds(monkeypatch):
    spy = _ClientSpy(monkeypatch)
    MongoStorage("mongodb://db.example/lrs-%s" % uuid.uuid4().hex[:8])
    assert spy.options["serverSelectionTimeoutMS"] == 5000


def test_reads_use_majority_read_concern_on_a_replica_set(monkeypatch):
    _ClientSpy(monkeypatch, replica_set=True)
    storage = MongoStorage("mongodb://db.example/lrs-%s" % uuid.uuid4().hex[:8])
    assert storage.db.read_concern.level == "majority"


def test_reads_keep_the_default_read_concern_on_a_standalone_server(monkeypatch):
    _ClientSpy(monkeypatch, replica_set=False)
    storage = MongoStorage("mongodb://db.example/lrs-%s" % uuid.uuid4().hex[:8])
    assert storage.db.read_concern.level is None


def test_the_database_name_comes_from_the_url(monkeypatch):
    _ClientSpy(monkeypatch)
    name = "lrs-%s" % uuid.uuid4().hex[:8]
    assert MongoStorage("mongodb://db.example/%s" % name).db.name == name
