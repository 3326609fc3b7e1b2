"""What only the MongoDB backend promises (issue 10): a replica set is required, every write is a
transaction retried as the driver documents, the write concern, attachments in chunks, indexes
that serve every query (checked with explain() on a real server when LRS_TEST_MONGODB_URL is set).
"""
import os
import uuid

import mongomock
import pytest
from pymongo.errors import OperationFailure

from lrs.errors import StorageUnavailable
from lrs.store import InsertBatch, StatementQuery, StatementRecord, open_storage
from lrs.store import mongo as mongo_backend
from lrs.store.mongo import MongoStorage
from tests import mongo_double

VERB = ("verb", "http://adlnet.gov/expapi/verbs/completed")


@pytest.fixture
def url():
    return mongo_double.new_url("mongo-test")


def _record(**fields):
    statement_id = str(uuid.uuid4())
    return StatementRecord(id=statement_id, statement={"id": statement_id}, index_keys=[VERB], **fields)


def test_two_instances_on_one_mongomock_name_share_data(url):
    first, second = open_storage(url), open_storage(url)
    store = first.create_store("department")
    assert second.get_store("department") == store


def test_instances_on_different_mongomock_names_are_separate(url):
    open_storage(url).create_store("department")
    assert open_storage(url + "-other").get_store("department") is None


def test_a_transient_transaction_error_at_commit_is_retried_and_stores_the_batch_once(url):
    storage = open_storage(url)
    mongo_double.client_for(url[len("mongomock://"):]).fail_next_commit = ["TransientTransactionError"]
    record = _record()
    stored = storage.insert_statements("s", InsertBatch(statements=[record]))
    assert [s.seq for s in stored] == [1]
    assert list(storage.get_statements("s", [record.id])) == [record.id]
    assert storage.committed_order("s")[0] == 1


def test_an_unknown_commit_result_is_committed_again(url):
    storage = open_storage(url)
    mongo_double.client_for(url[len("mongomock://"):]).fail_next_commit = ["UnknownTransactionCommitResult"]
    record = _record()
    storage.insert_statements("s", InsertBatch(statements=[record]))
    assert list(storage.get_statements("s", [record.id])) == [record.id]


def test_a_transaction_that_keeps_failing_gives_up_as_storage_unavailable(url):
    storage = open_storage(url, transaction_timeout_s=0.05)
    mongo_double.client_for(url[len("mongomock://"):]).fail_next_commit = ["TransientTransactionError"] * 1000
    record = _record()
    with pytest.raises(StorageUnavailable):
        storage.insert_statements("s", InsertBatch(statements=[record]))
    mongo_double.client_for(url[len("mongomock://"):]).fail_next_commit = []
    assert storage.get_statements("s", [record.id]) == {}


def test_an_error_that_is_not_transient_is_not_retried(url):
    storage = open_storage(url)
    client = mongo_double.client_for(url[len("mongomock://"):])
    client.fail_next_commit = ["SomethingElse", "SomethingElse"]
    with pytest.raises(StorageUnavailable):
        storage.insert_statements("s", InsertBatch(statements=[_record()]))
    assert client.fail_next_commit == ["SomethingElse"]


def test_attachment_data_is_kept_in_chunks_below_the_document_limit(url, monkeypatch):
    monkeypatch.setattr(mongo_backend, "CHUNK_BYTES", 1000)
    storage = open_storage(url)
    data = os.urandom(2500)
    record = _record(attachment_hashes=["h1"])
    storage.insert_statements("s", InsertBatch(statements=[record], attachments={"h1": ("image/png", data)}))
    assert storage.get_attachments("s", ["h1"]) == {"h1": ("image/png", data)}
    chunks = list(storage.db.attachment_chunks.find({}))
    assert len(chunks) == 3 and max(len(c["data"]) for c in chunks) == 1000


def test_the_voided_flag_is_set_through_the_primary_key(url):
    """The voiding update addresses statements by _id (indexed), not by an unindexed field."""
    storage = open_storage(url)
    target = _record()
    storage.insert_statements("s", InsertBatch(statements=[target]))
    storage.insert_statements("s", InsertBatch(statements=[_record(void_target=target.id, ref_target=target.id)]))
    assert storage.get_statements("s", [target.id])[target.id].voided


def test_reference_and_voiding_indexes_cover_only_the_statements_that_have_them(url):
    indexes = open_storage(url).db.statements.index_information()
    partial = {tuple(k for k, _ in spec["key"]): spec.get("partialFilterExpression") for spec in indexes.values()}
    assert partial[("store", "ref")] == {"ref": {"$exists": True}}
    assert partial[("store", "void")] == {"void": {"$exists": True}}
    assert not any("pending" in key for key in partial)


def test_an_unreachable_server_is_storage_unavailable():
    with pytest.raises(StorageUnavailable):
        MongoStorage("mongodb://127.0.0.1:9/lrs", server_selection_timeout_ms=200)


class _Hello:
    def __init__(self, answer):
        self.answer = answer
        self.closed = False

    @property
    def admin(self):
        return self

    def command(self, name):
        return self.answer

    def close(self):
        self.closed = True


def test_a_standalone_server_is_refused_with_how_to_make_a_replica_set():
    storage = MongoStorage.__new__(MongoStorage)
    storage._client = _Hello({"isWritablePrimary": True})
    with pytest.raises(ValueError, match="replica set"):
        storage._require_transactions()
    assert storage._client.closed


@pytest.mark.parametrize("hello", [{"setName": "rs0"}, {"msg": "isdbgrid"}])
def test_a_replica_set_or_a_sharded_cluster_is_accepted(hello):
    storage = MongoStorage.__new__(MongoStorage)
    storage._client = _Hello(hello)
    storage._require_transactions()
    assert not storage._client.closed


class _ClientSpy:
    """Stands in for pymongo.MongoClient on a mongodb:// URL, recording the options it gets."""

    def __init__(self, monkeypatch):
        import mongomock
        self.options = {}
        spy = self

        class Client(mongomock.MongoClient):
            def __init__(self, url, **options):
                spy.options = options
                super().__init__(url)
        monkeypatch.setattr("lrs.store.mongo.pymongo.MongoClient", Client)
        monkeypatch.setattr(MongoStorage, "_require_transactions", lambda self: None)


def _name():
    return "lrs-%s" % uuid.uuid4().hex[:8]


def test_writes_default_to_majority_journaled_with_a_time_limit(monkeypatch):
    spy = _ClientSpy(monkeypatch)
    MongoStorage("mongodb://db.example/%s" % _name())
    assert (spy.options["w"], spy.options["journal"]) == ("majority", True)
    assert spy.options["wTimeoutMS"] == mongo_backend.WRITE_TIMEOUT_MS


def test_the_url_overrides_the_write_concern(monkeypatch):
    spy = _ClientSpy(monkeypatch)
    MongoStorage("mongodb://db.example/%s?w=1&journal=false&wtimeoutms=50" % _name())
    assert not {"w", "journal", "wTimeoutMS"} & set(spy.options)


def test_server_selection_timeout_defaults_to_five_seconds(monkeypatch):
    spy = _ClientSpy(monkeypatch)
    MongoStorage("mongodb://db.example/%s" % _name())
    assert spy.options["serverSelectionTimeoutMS"] == 5000


def test_reads_use_majority_read_concern(monkeypatch):
    _ClientSpy(monkeypatch)
    assert MongoStorage("mongodb://db.example/%s" % _name()).db.read_concern.level == "majority"


def test_the_database_name_comes_from_the_url(monkeypatch):
    _ClientSpy(monkeypatch)
    name = _name()
    assert MongoStorage("mongodb://db.example/%s" % name).db.name == name


def test_mongomock_is_not_a_runtime_requirement():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "requirements.txt")) as requirements:
        assert "mongomock" not in requirements.read()


# --- explain(): every query shape is served by an index (a real server only) ---------------

MONGODB_URL = os.environ.get("LRS_TEST_MONGODB_URL")
QUERY_SHAPES = {
    "all": StatementQuery(),
    "agent": StatementQuery(filters=[("agent", "mbox:mailto:a@example.gov")]),
    "verb+activity": StatementQuery(filters=[VERB, ("activity", "http://example.gov/a")]),
    "mine": StatementQuery(authority_key="account:k"),
    "ascending paging": StatementQuery(ascending=True, after_seq=1),
    "descending paging": StatementQuery(after_seq=3, max_seq=5),
}


def _stages(plan):
    yield plan.get("stage")
    for child in [plan.get("inputStage")] + list(plan.get("inputStages", ())):
        if child:
            yield from _stages(child)


def assert_uses_an_index(db, collection, selector, sort=None):
    command = {"find": collection, "filter": selector}
    if sort:
        command["sort"] = dict(sort)
    plan = db.command("explain", command)["queryPlanner"]["winningPlan"]
    plan = plan.get("queryPlan", plan)               # the slot-based engine nests it
    assert "COLLSCAN" not in set(_stages(plan)), (collection, selector, plan)


if MONGODB_URL:          # defined only when a real server is configured: mongomock has no explain()
    @pytest.mark.parametrize("shape", sorted(QUERY_SHAPES))
    def test_every_query_shape_is_served_by_an_index_on_a_real_server(shape):
        database = "lrs_explain_%s" % uuid.uuid4().hex[:8]
        base, _, options = MONGODB_URL.partition("?")
        storage = MongoStorage(base.rstrip("/") + "/" + database + ("?" + options if options else ""))
        try:
            storage.insert_statements("s", InsertBatch(statements=[_record() for _ in range(5)]))
            selector, sort = storage.query_plan("s", QUERY_SHAPES[shape])
            assert_uses_an_index(storage.db, "statements", selector, sort)
            assert_uses_an_index(storage.db, "statements", {"store": "s", "void": {"$in": ["x"]}})
            assert_uses_an_index(storage.db, "statements", {"store": "s", "ref": {"$in": ["x"]}})
            assert_uses_an_index(storage.db, "statements", {"store": "s", "stored_ms": {"$lte": 5}},
                                 [("stored_ms", -1), ("seq", -1)])
        finally:
            storage._client.drop_database(database)
            storage.close()


def test_statement_reads_fetch_only_what_a_stored_statement_is_made_of_issue_16(url, monkeypatch):
    storage = open_storage(url)
    voided = _record()
    storage.insert_statements("s", InsertBatch(statements=[voided, _record(authority_key="mbox:mailto:a@x.gov")]))
    storage.insert_statements("s", InsertBatch(statements=[StatementRecord(
        id=str(uuid.uuid4()), statement={}, index_keys=[VERB], void_target=voided.id)]))
    collection = mongomock.collection.Collection
    projections, real_find = [], collection.find

    def find(self, *args, **kwargs):
        if self.name == "statements":
            projections.append(args[1] if len(args) > 1 else kwargs.get("projection"))
        return real_find(self, *args, **kwargs)

    monkeypatch.setattr(collection, "find", find)
    page = storage.query_statements("s", StatementQuery(filters=[VERB], limit=10))
    found = storage.get_statements("s", [voided.id])
    rows = list(storage.statement_rows("s", 10))
    assert len(page.statements) == 2 and found[voided.id].voided and len(rows) == 3
    assert projections and all(set(p) == {"_id", "id", "seq", "stored_ms", "voided", "voiding", "body", "erased"}
                               for p in projections)
    storage.close()
