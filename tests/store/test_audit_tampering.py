"""Tampering is detected (issue 13, "Bad input"): the tests edit the SQLite file with the sqlite3
module and the MongoDB collections directly, behind the LRS's back, and `verify_store` names
the first entry that differs."""
import sqlite3

import pytest

from lrs.audit.verify import verify_store
from lrs.store.chain import content_hash, entry_hash
from lrs.store.packing import unpack

from .conftest import make_record


class SQLiteFile:
    """Edits a store's rows in the SQLite file directly."""

    def __init__(self, storage, store):
        self.conn = sqlite3.connect(storage.path, isolation_level=None)
        self.sid = self.conn.execute("SELECT sid FROM stores WHERE id = ?", (store,)).fetchone()[0]

    def pk(self, seq):
        return self.sid << 40 | seq

    def body(self, seq):
        return unpack(self.conn.execute("SELECT body FROM statements WHERE pk = ?", (self.pk(seq),)).fetchone()[0])

    def set_body(self, seq, body):
        self.conn.execute("UPDATE statements SET body = ? WHERE pk = ?", (body, self.pk(seq)))

    def set_voided(self, seq, voided):
        self.conn.execute("UPDATE statements SET voided = ? WHERE pk = ?", (int(voided), self.pk(seq)))

    def delete_statement(self, seq):
        self.conn.execute("DELETE FROM statements WHERE pk = ?", (self.pk(seq),))

    def delete_entry(self, n):
        self.conn.execute("DELETE FROM chain WHERE sid = ? AND n = ?", (self.sid, n))

    def swap_statements(self, seq_a, seq_b):
        """Exchange two rows' places in the order (their ids and bodies trade pks)."""
        rows = {seq: self.conn.execute("SELECT id, body FROM statements WHERE pk = ?", (self.pk(seq),)).fetchone()
                for seq in (seq_a, seq_b)}
        self.conn.execute("UPDATE statements SET id = 'moving' WHERE pk = ?", (self.pk(seq_a),))
        for seq, other in ((seq_b, seq_a), (seq_a, seq_b)):
            self.conn.execute("UPDATE statements SET id = ?, body = ? WHERE pk = ?", (*rows[other], self.pk(seq)))

    def entry(self, n):
        return self.conn.execute("SELECT hash FROM chain WHERE sid = ? AND n = ?", (self.sid, n)).fetchone()

    def set_entry(self, n, content, hash_):
        self.conn.execute("UPDATE chain SET content = ?, hash = ? WHERE sid = ? AND n = ?",
                          (content, hash_, self.sid, n))

    def set_head_hash(self, hash_):
        self.conn.execute("UPDATE chain_heads SET hash = ? WHERE sid = ?", (hash_, self.sid))

    def set_entry_seq(self, n, seq):
        self.conn.execute("UPDATE chain SET seq = ? WHERE sid = ? AND n = ?", (seq, self.sid, n))

    # documents, erasure, backfill (issue 13)
    def set_document(self, which, **columns):
        self.conn.execute("UPDATE documents SET %s WHERE sid = ? AND doc_id = ?" % ", ".join("%s = ?" % c for c in columns),
                          list(columns.values()) + [self.sid, which])

    def delete_document(self, doc_id):
        self.conn.execute("DELETE FROM documents WHERE sid = ? AND doc_id = ?", (self.sid, doc_id))

    def copy_document(self, doc_id, new_doc_id):
        self.conn.execute("INSERT INTO documents SELECT sid, kind, activity_id, agent_key, registration, ?, content, "
                          "content_type, etag, updated_ms FROM documents WHERE sid = ? AND doc_id = ?",
                          (new_doc_id, self.sid, doc_id))

    def set_detail(self, n, detail):
        self.conn.execute("UPDATE chain SET detail = ? WHERE sid = ? AND n = ?", (detail, self.sid, n))

    def fake_erasure(self, seq, erasure_n):
        self.conn.execute("UPDATE statements SET body = x'', voided = 1, erased = ? WHERE pk = ?",
                          (erasure_n, self.pk(seq)))

    def forget_chain(self):
        """What a database written before the chain looks like: no entry, no head."""
        self.conn.execute("DELETE FROM chain WHERE sid = ?", (self.sid,))
        self.conn.execute("DELETE FROM chain_heads WHERE sid = ?", (self.sid,))


class MongoCollections:
    """Edits a store's documents in the MongoDB collections directly (outside any transaction)."""

    def __init__(self, storage, store):
        self.db, self.store = storage.db, store

    def _statement(self, seq):
        return {"store": self.store, "seq": seq}

    def body(self, seq):
        return bytes(self.db.statements.find_one(self._statement(seq))["body"])

    def set_body(self, seq, body):
        self.db.statements.update_one(self._statement(seq), {"$set": {"body": body}})

    def set_voided(self, seq, voided):
        self.db.statements.update_one(self._statement(seq), {"$set": {"voided": voided}})

    def delete_statement(self, seq):
        self.db.statements.delete_one(self._statement(seq))

    def delete_entry(self, n):
        self.db.chain.delete_one({"store": self.store, "n": n})

    def swap_statements(self, seq_a, seq_b):
        self.db.statements.update_one(self._statement(seq_a), {"$set": {"seq": -1}})
        self.db.statements.update_one(self._statement(seq_b), {"$set": {"seq": seq_a}})
        self.db.statements.update_one(self._statement(-1), {"$set": {"seq": seq_b}})

    def entry(self, n):
        doc = self.db.chain.find_one({"store": self.store, "n": n})
        return (bytes(doc["hash"]),) if doc else None

    def set_entry(self, n, content, hash_):
        self.db.chain.update_one({"store": self.store, "n": n}, {"$set": {"content": content, "hash": hash_}})

    def set_head_hash(self, hash_):
        self.db.counters.update_one({"_id": self.store}, {"$set": {"chain.hash": hash_}})

    def set_entry_seq(self, n, seq):
        self.db.chain.update_one({"store": self.store, "n": n}, {"$set": {"seq": seq}})

    # documents, erasure, backfill (issue 13)
    def set_document(self, which, **fields):
        self.db.documents.update_one({"store": self.store, "doc_id": which}, {"$set": fields})

    def delete_document(self, doc_id):
        self.db.documents.delete_one({"store": self.store, "doc_id": doc_id})

    def copy_document(self, doc_id, new_doc_id):
        doc = self.db.documents.find_one({"store": self.store, "doc_id": doc_id})
        doc.update(_id=doc["_id"] + "-copy", doc_id=new_doc_id)
        self.db.documents.insert_one(doc)

    def set_detail(self, n, detail):
        self.db.chain.update_one({"store": self.store, "n": n}, {"$set": {"detail": detail}})

    def fake_erasure(self, seq, erasure_n):
        self.db.statements.update_one(self._statement(seq), {"$set": {"body": b"", "voided": True, "erased": erasure_n}})

    def forget_chain(self):
        """What a database written before the chain looks like: no entry, no head."""
        self.db.chain.delete_many({"store": self.store})
        self.db.counters.update_one({"_id": self.store}, {"$unset": {"chain": ""}})


@pytest.fixture
def stored(storage, store, put):
    """Five statements in three batches, the third voiding the first."""
    first = put(make_record(), make_record())
    second = put(make_record(), make_record())
    voiding = put(make_record(void=first[0].id, ref=first[0].id))
    return first + second + voiding


def open_database(opener, storage, store):
    """The store's rows, to edit behind the LRS's back."""
    return SQLiteFile(storage, store) if opener.backend == "sqlite" else MongoCollections(storage, store)


@pytest.fixture
def database(opener, storage, store, stored):
    return open_database(opener, storage, store)


def _problem(storage, store):
    result = verify_store(storage, store)
    assert not result.ok, "the tampering was not detected"
    return result.problem


def test_an_untouched_store_verifies(storage, store, stored):
    result = verify_store(storage, store)
    assert result.ok and result.entries == 5


def test_one_changed_byte_of_one_statement_is_detected(storage, store, stored, database):
    body = database.body(3)
    position = body.index(b"learner")
    database.set_body(3, body[:position] + b"L" + body[position + 1:])
    problem = _problem(storage, store)
    assert (problem.n, problem.seq, problem.statement_id) == (3, 3, stored[2].id)
    assert "content changed" in problem.what


def test_a_deleted_statement_is_detected(storage, store, stored, database):
    database.delete_statement(2)
    problem = _problem(storage, store)
    assert (problem.n, problem.seq, problem.statement_id) == (2, 2, stored[1].id)
    assert "missing" in problem.what


def test_a_deleted_chain_entry_is_detected(storage, store, stored, database):
    database.delete_entry(4)
    problem = _problem(storage, store)
    assert problem.n == 4 and "entry missing" in problem.what


def test_the_last_entry_deleted_with_its_statement_is_detected_by_the_head(storage, store, stored, database):
    database.delete_entry(5)
    database.delete_statement(5)
    problem = _problem(storage, store)
    assert problem.n == 5 and "entry missing" in problem.what


def test_two_swapped_statements_are_detected(storage, store, stored, database):
    database.swap_statements(2, 3)
    problem = _problem(storage, store)
    assert (problem.n, problem.seq, problem.statement_id) == (2, 2, stored[1].id)


def test_a_rewritten_statement_with_its_own_hashes_recomputed_is_detected_by_the_next_entry(
        storage, store, stored, database):
    """The statement's content hash and entry hash are recomputed from the entry before it: the
    next entry's hash no longer follows."""
    body = database.body(2).replace(b"learner@", b"someone@")
    database.set_body(2, body)
    content = content_hash(body)
    database.set_entry(2, content, entry_hash(database.entry(1)[0], 2, "statement", 2, stored[1].id, "", content))
    problem = _problem(storage, store)
    assert (problem.n, problem.seq, problem.statement_id) == (3, 3, stored[2].id)
    assert "entry hash differs" in problem.what


def test_a_rewritten_last_statement_with_its_hashes_recomputed_is_detected_by_the_head(
        storage, store, stored, database):
    body = database.body(5).replace(b"learner@", b"someone@")
    database.set_body(5, body)
    content = content_hash(body)
    database.set_entry(5, content, entry_hash(database.entry(4)[0], 5, "voiding", 5, stored[4].id, stored[0].id,
                                              content))
    assert "chain head differs" in _problem(storage, store).what


def test_a_rewritten_head_is_detected(storage, store, stored, database):
    database.set_head_hash(bytes(32))
    problem = _problem(storage, store)
    assert "chain head differs" in problem.what


def test_an_unvoided_statement_is_detected(storage, store, stored, database):
    database.set_voided(1, False)
    problem = _problem(storage, store)
    assert (problem.seq, problem.statement_id) == (1, stored[0].id)
    assert "not flagged voided" in problem.what


def test_a_statement_flagged_voided_without_a_voiding_entry_is_detected(storage, store, stored, database):
    database.set_voided(3, True)
    problem = _problem(storage, store)
    assert (problem.seq, problem.statement_id) == (3, stored[2].id)
    assert "no voiding entry" in problem.what
