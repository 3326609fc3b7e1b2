"""Document writes and deletes in the audit chain (issue 13, "each document write/delete"): every
State, Activity Profile and Agent Profile write and delete is an entry written in the write's own
transaction, and `verify_store` checks that the documents held now are those the chain's latest
entries describe. Tampering is proved by editing the SQLite file and the MongoDB collections."""
import json

import pytest

from lrs.audit.verify import verify_store
from lrs.errors import PreconditionFailed
from lrs.store import Document, DocumentKey, DocumentScope
from lrs.store.chain import DOCUMENT, DOCUMENT_DELETED, EMPTY, content_hash, key_digest

from .test_audit_tampering import _problem, open_database

LEARNER = "mbox:mailto:learner@example.gov"
ACTIVITY = "http://example.gov/course"
STATE = DocumentKey(kind="state", doc_id="bookmark", activity_id=ACTIVITY, agent_key=LEARNER,
                    registration="6fbd600f-d17c-4c74-801a-2ec2e053e8c2")
PROFILE = DocumentKey(kind="activity_profile", doc_id="settings", activity_id=ACTIVITY)
AGENT_PROFILE = DocumentKey(kind="agent_profile", doc_id="preferences", agent_key=LEARNER)


def _doc(content, content_type="application/json", updated_ms=1_700_000_000_000):
    return Document(content=content, content_type=content_type, etag='"%s"' % content_hash(content).hex()[:16],
                    updated_ms=updated_ms)


def _write(storage, store, key, content, **fields):
    return storage.write_document(store, key, lambda current: _doc(content, **fields))


def _entries(storage, store):
    return list(storage.chain_entries(store, storage.chain_head(store).n))


def _key_text(key):
    return json.dumps([key.kind, key.activity_id or "", key.agent_key or "", key.registration or "", key.doc_id],
                      separators=(",", ":"))


@pytest.fixture
def written(storage, store):
    _write(storage, store, STATE, b'{"page": 3}')
    _write(storage, store, PROFILE, b'{"theme": "dark"}')
    _write(storage, store, AGENT_PROFILE, b"plain text", content_type="text/plain")


@pytest.fixture
def database(opener, storage, store, written):
    return open_database(opener, storage, store)


def test_a_document_write_is_an_entry_naming_its_key_and_the_hash_of_its_content(storage, store):
    kept = _write(storage, store, STATE, b'{"page": 3}')
    (entry,) = _entries(storage, store)
    assert (entry.n, entry.kind, entry.seq) == (1, DOCUMENT, 0)
    assert entry.detail == _key_text(STATE) and entry.id == key_digest(entry.detail)
    assert entry.content == content_hash(b'{"page": 3}')
    assert json.loads(entry.target) == {"etag": kept.etag, "type": "application/json", "updated": kept.updated_ms}
    assert storage.chain_head(store).hash == entry.hash


def test_a_document_delete_is_an_entry_with_the_hash_of_nothing(storage, store, written):
    storage.delete_document(store, PROFILE, lambda current: None)
    entry = _entries(storage, store)[-1]
    assert (entry.kind, entry.id, entry.content, entry.target) == (DOCUMENT_DELETED, key_digest(_key_text(PROFILE)),
                                                                   EMPTY, "")
    assert verify_store(storage, store).ok


def test_deleting_every_state_of_an_activity_and_agent_is_one_entry_per_document(storage, store, written):
    other = DocumentKey(kind="state", doc_id="score", activity_id=ACTIVITY, agent_key=LEARNER)
    _write(storage, store, other, b"7", content_type="text/plain")
    before = storage.chain_head(store).n
    assert storage.delete_documents(store, DocumentScope(kind="state", activity_id=ACTIVITY, agent_key=LEARNER)) == 2
    gone = _entries(storage, store)[before:]
    assert [e.kind for e in gone] == [DOCUMENT_DELETED] * 2
    assert {e.detail for e in gone} == {_key_text(STATE), _key_text(other)}
    assert verify_store(storage, store).ok


def test_a_refused_write_leaves_no_entry(storage, store, written):
    head = storage.chain_head(store)

    def refuse(current):
        raise PreconditionFailed("the ETag does not match")
    with pytest.raises(PreconditionFailed):
        storage.write_document(store, STATE, refuse)
    with pytest.raises(PreconditionFailed):
        storage.delete_document(store, STATE, refuse)
    assert storage.chain_head(store) == head


def test_documents_statements_and_rewrites_interleave_in_one_chain_that_verifies(storage, store, written, put, record):
    put(record())
    _write(storage, store, STATE, b'{"page": 4}')
    storage.delete_document(store, AGENT_PROFILE, lambda current: None)
    put(record())
    result = verify_store(storage, store)
    assert result.ok and (result.entries, result.statements, result.documents) == (7, 2, 5)
    assert [e.seq for e in _entries(storage, store)] == [0, 0, 0, 1, 1, 1, 2]


def test_a_document_edited_in_the_database_is_detected(storage, store, database):
    database.set_document("bookmark", content=b'{"page": 99}')
    problem = _problem(storage, store)
    assert problem.n == 1 and "differs from the chain's latest entry" in problem.what and "bookmark" in problem.what


def test_a_document_whose_content_type_was_changed_in_the_database_is_detected(storage, store, database):
    database.set_document("preferences", content_type="text/html")
    assert "differs from the chain's latest entry" in _problem(storage, store).what


def test_a_document_deleted_in_the_database_is_detected(storage, store, database):
    database.delete_document("settings")
    problem = _problem(storage, store)
    assert problem.n == 2 and "was deleted in the database" in problem.what


def test_a_document_added_in_the_database_is_detected(storage, store, database):
    database.copy_document("settings", "smuggled")
    problem = _problem(storage, store)
    assert problem.n is None and "not in the chain" in problem.what and "smuggled" in problem.what


def test_a_document_restored_in_the_database_after_its_delete_is_detected(storage, store, database):
    database.copy_document("settings", "kept-aside")
    storage.delete_document(store, PROFILE, lambda current: None)
    database.set_document("kept-aside", doc_id="settings")          # put back behind the LRS's back
    problem = _problem(storage, store)
    assert problem.n == 4 and "the chain's latest entry for it is its deletion" in problem.what


def test_a_rewritten_readable_key_is_detected(storage, store, database):
    database.set_detail(1, _key_text(PROFILE))
    problem = _problem(storage, store)
    assert problem.n == 1 and "document key" in problem.what


def test_a_document_entry_rewritten_with_its_hashes_recomputed_is_detected_by_the_next_entry(
        storage, store, database):
    from lrs.store.chain import entry_hash
    forged = content_hash(b'{"page": 99}')
    database.set_document("bookmark", content=b'{"page": 99}')
    entry = _entries(storage, store)[0]
    database.set_entry(1, forged, entry_hash(bytes(32), 1, DOCUMENT, 0, entry.id, entry.target, forged))
    problem = _problem(storage, store)
    assert problem.n == 2 and "entry hash differs" in problem.what
