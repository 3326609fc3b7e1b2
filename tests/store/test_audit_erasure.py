"""Erasure of a learner in the store (issue 13, "Erasure of a learner"): the statements whose own
index keys name the learner lose their content but keep their rows and chain entries, the
learner's documents go, one erasure entry records it, and `verify_store` still passes while
saying which entries were erased; content removed behind the LRS's back is not mistaken for an
erasure. On both backends, editing the SQLite file and the MongoDB collections directly."""
import json

import pytest

from lrs.audit.verify import verify_store
from lrs.store import Document, DocumentKey, StatementQuery
from lrs.store.chain import DOCUMENT_DELETED, ERASURE, erased_ids_hash

from .conftest import make_record
from .test_audit_tampering import open_database
from .test_store_forwarding import outbox_seqs, rule_of

LEARNER = "mbox:mailto:learner@example.gov"
OTHER = "mbox:mailto:colleague@example.gov"
VERB = ("verb", "http://adlnet.gov/expapi/verbs/completed")
FACTS = {"at": "2026-12-01T00:00:00.000Z", "by": "cli"}


def _keys(*agents, related=()):
    return [("agent", a) for a in agents] + [("related_agent", a) for a in agents + tuple(related)] + [VERB]


def _doc(content):
    return Document(content=content, content_type="application/json", etag='"e"', updated_ms=1_700_000_000_000)


@pytest.fixture
def stored(storage, store, put):
    """[as actor, someone else's, as instructor only, someone else's referring to the first]"""
    mine = put(make_record(keys=_keys(LEARNER)))[0]
    other = put(make_record(keys=_keys(OTHER)))[0]
    instructed = put(make_record(keys=_keys(OTHER, related=(LEARNER,))))[0]
    referrer = put(make_record(keys=_keys(OTHER), ref=mine.id))[0]
    return mine, other, instructed, referrer


@pytest.fixture
def documents(storage, store):
    keys = [DocumentKey(kind="state", doc_id="bookmark", activity_id="http://example.gov/a", agent_key=LEARNER),
            DocumentKey(kind="agent_profile", doc_id="preferences", agent_key=LEARNER),
            DocumentKey(kind="state", doc_id="bookmark", activity_id="http://example.gov/a", agent_key=OTHER),
            DocumentKey(kind="activity_profile", doc_id="settings", activity_id="http://example.gov/a")]
    for key in keys:
        storage.write_document(store, key, lambda current: _doc(b"{}"))
    storage.delete_document(store, keys[1], lambda current: None)       # a deleted one names the learner too
    storage.write_document(store, keys[1], lambda current: _doc(b'{"lang": "fr"}'))
    return keys


def _erase(storage, store):
    return storage.erase_agent(store, LEARNER, FACTS)


def test_the_statements_naming_the_learner_lose_their_content_and_keep_their_rows(storage, store, stored):
    mine, other, instructed, referrer = stored
    entry = _erase(storage, store)
    rows = storage.get_statements(store, [s.id for s in stored])
    assert {i for i, row in rows.items() if row.erased} == {mine.id, instructed.id}
    for erased in (mine, instructed):
        assert rows[erased.id].body == b"" and rows[erased.id].erased == entry.n and rows[erased.id].voided
    assert rows[other.id].body == other.body and rows[referrer.id].body == referrer.body


def test_the_erasure_is_one_entry_recording_who_when_and_how_many(storage, store, stored, documents):
    entry = _erase(storage, store)
    assert (entry.kind, entry.id) == (ERASURE, "learner") and entry.n == storage.chain_head(store).n
    assert json.loads(entry.target) == dict(FACTS, statements=2, documents=2)
    assert entry.content == erased_ids_hash([stored[0].id, stored[2].id])
    assert LEARNER not in entry.target


def test_erased_statements_are_found_by_no_query(storage, store, stored, ids_of):
    mine, other, instructed, referrer = stored
    _erase(storage, store)
    assert ids_of(storage.query_statements(store, StatementQuery(ascending=True))) == [other.id, referrer.id]
    assert ids_of(storage.query_statements(store, StatementQuery(filters=[VERB], ascending=True))) == \
        [other.id, referrer.id]


def test_a_referring_statement_is_no_longer_found_by_the_learner_it_inherited(storage, store, stored, ids_of):
    """QRY-24 made the referrer match agent=learner through its target; the target is erased."""
    referrer = stored[3]
    assert referrer.id in ids_of(storage.query_statements(store, StatementQuery(filters=[("agent", LEARNER)])))
    _erase(storage, store)
    assert ids_of(storage.query_statements(store, StatementQuery(filters=[("agent", LEARNER)]))) == []
    assert ids_of(storage.query_statements(store, StatementQuery(filters=[("agent", OTHER)]))) == \
        [referrer.id, stored[1].id]


def test_the_learners_documents_go_and_their_keys_leave_the_chain(storage, store, documents):
    state, profile, others_state, activity_profile = documents
    before = storage.chain_head(store).n
    entry = _erase(storage, store)
    assert storage.get_document(store, state) is None and storage.get_document(store, profile) is None
    assert storage.get_document(store, others_state) is not None
    assert storage.get_document(store, activity_profile) is not None
    entries = list(storage.chain_entries(store, entry.n))
    assert [e.kind for e in entries[before:]] == [DOCUMENT_DELETED, DOCUMENT_DELETED, ERASURE]
    assert not any(LEARNER in e.detail for e in entries)
    assert sum(1 for e in entries if e.detail == "") == 4 + 2 + 1       # 4 of the learner's, 2 deletes, the erasure


def test_the_learners_names_go(storage, store, put):
    put(make_record(keys=_keys(LEARNER)), agent_names={LEARNER: ["Lee Learner"], OTHER: ["Cole League"]})
    _erase(storage, store)
    assert storage.get_agent_names(store, LEARNER) == []
    assert storage.get_agent_names(store, OTHER) == ["Cole League"]


def test_outbox_entries_of_erased_statements_are_dropped(storage, store, put):
    rule = rule_of(store)
    storage.add_forwarding_rule(rule)
    mine = put(make_record(keys=_keys(LEARNER)))[0]
    other = put(make_record(keys=_keys(OTHER)))[0]
    _erase(storage, store)
    assert outbox_seqs(storage, rule.id) == [(other.seq, other.id)]
    assert mine.seq != other.seq


def test_the_chain_verifies_after_an_erasure_and_says_which_entries_were_erased(storage, store, stored, documents):
    entry = _erase(storage, store)
    result = verify_store(storage, store)
    assert result.ok, result.problem
    (erasure,) = result.erasures
    assert erasure.n == entry.n and erasure.entries == [1, 3] and erasure.facts["statements"] == 2
    assert result.blanked == 6          # the learner's 4 document entries and the 2 deletes of the erasure


def test_a_second_erasure_of_the_same_learner_erases_nothing_more(storage, store, stored):
    _erase(storage, store)
    again = _erase(storage, store)
    assert json.loads(again.target)["statements"] == 0
    assert verify_store(storage, store).ok


def test_statements_of_the_learner_sent_after_the_erasure_are_kept(storage, store, stored, put):
    _erase(storage, store)
    later = put(make_record(keys=_keys(LEARNER)))[0]
    assert storage.get_statements(store, [later.id])[later.id].body == later.body
    assert verify_store(storage, store).ok


@pytest.fixture
def erased(opener, storage, store, stored):
    entry = _erase(storage, store)
    return entry, open_database(opener, storage, store)


def test_content_removed_behind_the_lrss_back_under_the_erasures_name_is_detected(storage, store, stored, erased):
    entry, database = erased
    database.fake_erasure(2, entry.n)                       # someone else's statement
    problem = verify_store(storage, store).problem
    assert problem is not None and problem.n == entry.n and "not the ones it recorded" in problem.what


def test_content_removed_under_no_erasure_is_detected(storage, store, stored, erased):
    entry, database = erased
    database.fake_erasure(2, entry.n - 1)
    problem = verify_store(storage, store).problem
    assert problem is not None and (problem.n, problem.seq) == (2, 2) and "no erasure entry" in problem.what


def test_an_erased_row_given_other_content_is_detected(storage, store, stored, erased):
    entry, database = erased
    database.set_body(1, b'{"forged": true}')
    problem = verify_store(storage, store).problem
    assert problem is not None and (problem.n, problem.seq) == (1, 1)
