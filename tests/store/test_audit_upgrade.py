"""A SQLite database written by the release before documents, acts and erasures entered the
audit chain is upgraded on opening (the migration that adds chain.detail, the
chain_marks index and statements.erased) and its chain, statement entries in the unchanged
format, still verifies and grows on (issue 13)."""
import json
import sqlite3
import uuid

from lrs.audit.verify import verify_store
from lrs.store import Document, DocumentKey, InsertBatch, open_storage
from lrs.store.chain import GENESIS, content_hash, entry_hash
from lrs.store.sqlite import MIGRATIONS

from .conftest import make_record

# the schema version before the migration that brought documents, acts and erasures into the chain
BEFORE = next(number for number, migration in enumerate(MIGRATIONS) if any("chain_marks" in sql for sql in migration))
STORE = "0123456789abcdef0123456789abcdef"


def _old_database(path, statements):
    """A file of schema BEFORE holding `statements` bodies, chained as the previous release chained them."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for number, migration in enumerate(MIGRATIONS[:BEFORE], start=1):
        for sql in migration:
            conn.execute(sql)
        conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
    conn.execute("INSERT INTO stores (sid, id, name, created_ms, last_seq, last_stored_ms) VALUES (1, ?, 'old', 0, ?, "
                 "1000)", (STORE, len(statements)))
    previous = GENESIS
    for seq, (statement_id, body) in enumerate(statements, start=1):
        conn.execute("INSERT INTO statements (pk, sid, id, stored_ms, voided, voiding, auth, groups, body) "
                     "VALUES (?, 1, ?, 1000, 0, 0, 0, '[]', ?)", (1 << 40 | seq, statement_id, body))
        content = content_hash(body)
        previous = entry_hash(previous, seq, "statement", seq, statement_id, "", content)
        conn.execute("INSERT INTO chain (sid, n, kind, seq, id, target, content, hash) "
                     "VALUES (1, ?, 'statement', ?, ?, '', ?, ?)", (seq, seq, statement_id, content, previous))
    conn.execute("INSERT INTO chain_heads (sid, n, seq, hash) VALUES (1, ?, ?, ?)", (len(statements), len(statements),
                                                                                     previous))
    conn.close()


def test_an_upgraded_database_verifies_and_its_chain_grows_on(tmp_path):
    path = str(tmp_path / "old.sqlite3")
    ids = [str(uuid.uuid4()) for _ in range(2)]
    _old_database(path, [(i, json.dumps({"id": i, "stored": "2026-01-01T00:00:01.000Z"}).encode()) for i in ids])
    storage = open_storage("sqlite:///" + path)
    try:
        assert storage.schema_version() == len(MIGRATIONS) > BEFORE
        result = verify_store(storage, STORE)
        assert result.ok and result.entries == 2, result.problem
        storage.insert_statements(STORE, InsertBatch(statements=[make_record()]))
        storage.write_document(STORE, DocumentKey(kind="activity_profile", doc_id="p", activity_id="http://e.gov/a"),
                               lambda current: Document(b"{}", "application/json", '"e"', 2000))
        result = verify_store(storage, STORE)
        assert result.ok and (result.entries, result.statements, result.documents) == (4, 3, 1), result.problem
    finally:
        storage.close()
