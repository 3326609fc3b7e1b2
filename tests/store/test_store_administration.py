"""Store methods of the administration (issue 14): renaming stores, usage figures, credential updates,
expiry and last use. Every test runs on every backend."""
import pytest

from lrs.store import Credential, DocumentKey, Document, InsertBatch, StatementRecord


def credential(key="k1", store_id="s1", **fields):
    return Credential(key=key, secret_hash="sha256$old", store_id=store_id, scopes=["statements/write"], **fields)


def test_rename_store_changes_the_name_and_keeps_the_id(storage):
    info = storage.create_store("health")
    assert storage.rename_store(info.id, "public-health") is True
    assert storage.get_store("public-health").id == info.id
    assert storage.get_store("health") is None


def test_rename_store_to_a_taken_name_is_refused_and_changes_nothing(storage):
    a, b = storage.create_store("a"), storage.create_store("b")
    with pytest.raises(ValueError):
        storage.rename_store(a.id, "b")
    assert storage.get_store("a") == a and storage.get_store("b") == b


def test_rename_store_of_an_unknown_id_is_false(storage):
    assert storage.rename_store("no-such-id", "x") is False


def test_store_usage_counts_statements_and_documents_of_that_store_only(storage):
    mine, other = storage.create_store("mine").id, storage.create_store("other").id
    for number, store_id in enumerate([mine, mine, other]):
        sid = "00000000-0000-4000-8000-%012d" % number
        storage.insert_statements(store_id, InsertBatch([StatementRecord(id=sid, statement={"id": sid})]))
    storage.write_document(mine, DocumentKey("state", "bookmark", "http://example.gov/a", "agent"),
                           lambda current: Document(b"{}", "application/json", '"e"', 1))
    usage = storage.store_usage(mine)
    assert (usage.statements, usage.documents) == (2, 1)
    assert storage.store_usage(other).statements == 1


def test_store_usage_of_an_empty_store_is_zero(storage):
    usage = storage.store_usage(storage.create_store("empty").id)
    assert (usage.statements, usage.documents) == (0, 0)


def test_a_new_credential_never_expires_and_was_never_used(storage):
    storage.add_credential(credential())
    stored = storage.get_credential("k1")
    assert stored.expires_ms is None and stored.last_used_ms == 0


def test_an_expiry_round_trips(storage):
    storage.add_credential(credential(expires_ms=1_900_000_000_000))
    assert storage.get_credential("k1").expires_ms == 1_900_000_000_000


def test_update_credential_changes_the_given_fields_only(storage):
    storage.add_credential(credential(name="quiz"))
    assert storage.update_credential("k1", {"scopes": ["state", "define"], "expires_ms": 5}) is True
    stored = storage.get_credential("k1")
    assert (stored.scopes, stored.expires_ms, stored.name, stored.secret_hash) == (
        ["state", "define"], 5, "quiz", "sha256$old")


def test_update_credential_replaces_the_secret_hash_and_clears_an_expiry(storage):
    storage.add_credential(credential(expires_ms=5))
    storage.update_credential("k1", {"secret_hash": "sha256$new", "expires_ms": None, "name": "renamed"})
    stored = storage.get_credential("k1")
    assert (stored.secret_hash, stored.expires_ms, stored.name) == ("sha256$new", None, "renamed")


def test_a_revoked_credential_cannot_be_updated(storage):
    storage.add_credential(credential())
    storage.revoke_credential("k1")
    assert storage.update_credential("k1", {"secret_hash": "sha256$new"}) is False
    assert storage.get_credential("k1").secret_hash == "sha256$old"


def test_update_of_an_unknown_credential_is_false(storage):
    assert storage.update_credential("missing", {"name": "x"}) is False


def test_update_credential_refuses_other_fields(storage):
    storage.add_credential(credential())
    with pytest.raises(ValueError, match="store_id"):
        storage.update_credential("k1", {"store_id": "s2"})
    assert storage.get_credential("k1").store_id == "s1"


def test_touch_credential_records_the_last_use(storage):
    storage.add_credential(credential())
    storage.touch_credential("k1", 1000)
    assert storage.get_credential("k1").last_used_ms == 1000


def test_touch_credential_never_moves_the_last_use_back(storage):
    storage.add_credential(credential())
    storage.touch_credential("k1", 2000)
    storage.touch_credential("k1", 1000)
    assert storage.get_credential("k1").last_used_ms == 2000


def test_sqlite_touch_credential_does_not_wait_for_a_writer(tmp_path):
    """A writer holding the lock makes touch_credential give up at once, not after the busy timeout."""
    import sqlite3
    import time

    from lrs.errors import StorageUnavailable
    from lrs.store import open_storage
    storage = open_storage("sqlite:///" + str(tmp_path / "lrs.sqlite3"))
    storage.add_credential(credential())
    writer = sqlite3.connect(str(tmp_path / "lrs.sqlite3"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            storage.touch_credential("k1", 1000)
        assert time.monotonic() - started < 1.0
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        storage.close()
