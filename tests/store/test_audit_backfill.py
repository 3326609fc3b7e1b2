"""Backfill (issue 13): statements and documents a store kept before its chain recorded them get
entries later, after a 'backfill' entry that says so, so an auditor sees they were chained at the
backfill and not when written. A database written without chain entries is made by removing
every entry and the head from the SQLite file or the MongoDB collections."""
import json

import pytest

from lrs.audit.verify import describe, verify_store
from lrs.store import Document, DocumentKey
from lrs.store.chain import BACKFILL, DOCUMENT, STATEMENT, VOIDING

from .conftest import make_record
from .test_audit_tampering import open_database

FACTS = {"at": "2026-12-01T00:00:00.000Z", "by": "cli"}
KEY = DocumentKey(kind="activity_profile", doc_id="settings", activity_id="http://example.gov/a")


def _entries(storage, store):
    return list(storage.chain_entries(store, storage.chain_head(store).n))


@pytest.fixture
def old(opener, storage, store, put):
    """Three statements (the third voiding the first) and a document, kept before the chain."""
    first = put(make_record(), make_record())
    voiding = put(make_record(void=first[0].id, ref=first[0].id))
    storage.write_document(store, KEY, lambda current: Document(b"{}", "application/json", '"e"', 1_700_000_000_000))
    database = open_database(opener, storage, store)
    database.forget_chain()
    return first + voiding, database


def test_a_store_written_before_the_chain_does_not_verify_and_names_the_backfill(storage, store, old):
    problem = verify_store(storage, store).problem
    assert problem is not None and problem.seq == 1 and "audit backfill" in problem.what


def test_the_backfill_chains_every_statement_in_seq_order_then_the_documents(storage, store, old):
    statements, _ = old
    marker = storage.backfill_chain(store, FACTS)
    entries = _entries(storage, store)
    assert marker.n == 1 and (entries[0].kind, entries[0].id) == (BACKFILL, "start")
    assert json.loads(marker.target) == dict(FACTS, statements=3, first_seq=1, last_seq=3, documents=1)
    assert [(e.kind, e.seq, e.id) for e in entries[1:4]] == [
        (STATEMENT, 1, statements[0].id), (STATEMENT, 2, statements[1].id), (VOIDING, 3, statements[2].id)]
    assert entries[3].target == statements[0].id and entries[4].kind == DOCUMENT
    result = verify_store(storage, store)
    assert result.ok, result.problem
    assert result.backfills == [(1, json.loads(marker.target))]
    assert any("backfill: entries 2 to 5 were chained now, not when they were written" in line
               for line in describe(result))


def test_statements_written_after_the_chain_began_are_left_and_the_older_ones_backfilled(storage, store, old, put):
    """A database upgraded to the chain while it held statements: the chain starts at seq 4."""
    statements, _ = old
    newer = put(make_record())[0]
    assert _entries(storage, store)[0].seq == newer.seq == 4
    marker = storage.backfill_chain(store, FACTS)
    assert marker.n == 2
    assert [e.seq for e in _entries(storage, store)] == [4, 4, 1, 2, 3, 4]
    result = verify_store(storage, store)
    assert result.ok, result.problem
    assert result.head.seq == 4 and result.statements == 4


def test_a_second_backfill_finds_nothing_to_chain(storage, store, old):
    storage.backfill_chain(store, FACTS)
    assert storage.backfill_chain(store, FACTS) is None
    assert verify_store(storage, store).ok


def test_a_store_whose_chain_recorded_everything_needs_no_backfill(storage, store, put):
    put(make_record())
    assert storage.backfill_chain(store, FACTS) is None


def test_a_backfilled_statement_changed_afterwards_is_detected(storage, store, old):
    statements, database = old
    storage.backfill_chain(store, FACTS)
    database.set_body(2, database.body(2).replace(b"learner", b"Learner"))
    problem = verify_store(storage, store).problem
    assert problem is not None and (problem.n, problem.seq, problem.statement_id) == (3, 2, statements[1].id)


def test_a_backfilled_statement_deleted_afterwards_is_detected(storage, store, old, put):
    statements, database = old
    put(make_record())
    storage.backfill_chain(store, FACTS)
    database.delete_statement(2)
    problem = verify_store(storage, store).problem
    assert problem is not None and problem.n == 4 and "missing" in problem.what


def test_an_erasure_waits_for_the_backfill_of_an_older_database(storage, store, old):
    """Erasing first would let the backfill chain emptied statements as if they were written so."""
    from lrs.store import UnchainedStatements
    head = storage.chain_head(store)
    with pytest.raises(UnchainedStatements, match="audit backfill"):
        storage.erase_agent(store, "mbox:mailto:learner@example.gov", FACTS)
    assert storage.chain_head(store) == head
    storage.backfill_chain(store, FACTS)
    storage.erase_agent(store, "mbox:mailto:learner@example.gov", FACTS)
    assert verify_store(storage, store).ok
