"""Issue 16: the SQLite backend keeps statement bodies compressed with a preset dictionary
(lrs/store/packing.py: Zstandard, FORMAT_2), reads them back byte for byte, and still reads the
deflated (FORMAT_1) and JSON bodies of databases written before (the appended migrations only
mark the formats)."""
import json
import sqlite3

import pytest

from lrs.store import InsertBatch, StatementQuery, StatementRecord
from lrs.store import sqlite as sqlite_backend
from lrs.store.packing import FORMAT_2, Packer, deflate, pack, packers, unpack
from lrs.store.sqlite import SQLiteStorage

STATEMENT_ID = "6f1c2d3e-4b5a-4c6d-8e7f-8091a2b3c4d5"


def _record():
    statement = {
        "id": STATEMENT_ID, "version": "1.0.3", "timestamp": "2026-11-30T10:00:00.000Z",
        "actor": {"objectType": "Agent", "name": "Zoë Ångström", "mbox": "mailto:zoe@example.gov"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {"objectType": "Activity", "id": "https://example.gov/courses/7/modules/3",
                   "definition": {"name": {"en-US": "Module 3"}, "type": "http://adlnet.gov/expapi/activities/module"}},
        "result": {"completion": True, "duration": "PT4M12S"},
    }
    return StatementRecord(id=STATEMENT_ID, statement=statement,
                           index_keys=[("verb", "http://adlnet.gov/expapi/verbs/completed")])


def _kept_body(path):
    with sqlite3.connect(path) as conn:
        return bytes(conn.execute("SELECT body FROM statements").fetchone()[0])


def _set_kept_body(path, body):
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE statements SET body = ?", (body,))


def test_a_statement_body_is_kept_compressed_and_read_back_byte_for_byte_issue_16(tmp_path):
    path = str(tmp_path / "lrs.sqlite3")
    storage = SQLiteStorage(path)
    written = storage.insert_statements("s", InsertBatch(statements=[_record()]))[0].body
    read = storage.get_statements("s", [STATEMENT_ID])[STATEMENT_ID].body
    queried = storage.query_statements("s", StatementQuery(limit=10)).statements[0].body
    storage.close()
    kept = _kept_body(path)
    assert kept.startswith(FORMAT_2) and len(kept) < len(written) * 0.75
    assert read == queried == written
    assert json.loads(read)["actor"]["name"] == "Zoë Ångström"


def test_a_json_body_written_before_the_format_is_read_as_it_is_issue_16(tmp_path):
    path = str(tmp_path / "lrs.sqlite3")
    storage = SQLiteStorage(path)
    written = storage.insert_statements("s", InsertBatch(statements=[_record()]))[0].body
    storage.close()
    _set_kept_body(path, written)                   # what every earlier version wrote
    storage = SQLiteStorage(path)
    assert storage.get_statements("s", [STATEMENT_ID])[STATEMENT_ID].body == written
    assert storage.query_statements("s", StatementQuery(limit=10)).statements[0].body == written
    storage.close()


def test_a_body_kept_as_json_by_an_earlier_version_is_read_as_it_is_after_reopening_issue_16(tmp_path):
    """Databases written before bodies were deflated keep JSON bodies; nothing rewrites them."""
    path = str(tmp_path / "lrs.sqlite3")
    first = SQLiteStorage(path)
    written = first.insert_statements("s", InsertBatch(statements=[_record()]))[0].body
    first.close()
    _set_kept_body(path, written)
    storage = SQLiteStorage(path)
    assert storage.schema_version() == len(sqlite_backend.MIGRATIONS)
    assert storage.get_statements("s", [STATEMENT_ID])[STATEMENT_ID].body == written
    storage.close()


def test_a_body_deflated_by_an_earlier_version_is_read_as_it_is_issue_16(tmp_path):
    """Bodies written as FORMAT_1 (deflate) before FORMAT_2 stay readable; nothing rewrites them."""
    path = str(tmp_path / "lrs.sqlite3")
    storage = SQLiteStorage(path)
    written = storage.insert_statements("s", InsertBatch(statements=[_record()]))[0].body
    storage.close()
    _set_kept_body(path, deflate(written))
    storage = SQLiteStorage(path)
    assert storage.get_statements("s", [STATEMENT_ID])[STATEMENT_ID].body == written
    assert storage.query_statements("s", StatementQuery(limit=10)).statements[0].body == written
    storage.close()


def test_the_previous_version_refuses_a_database_with_zstandard_bodies_issue_16(tmp_path, monkeypatch):
    path = str(tmp_path / "lrs.sqlite3")
    SQLiteStorage(path).close()
    monkeypatch.setattr(sqlite_backend, "MIGRATIONS", list(sqlite_backend.MIGRATIONS)[:-1])
    with pytest.raises(Exception, match="newer than this LRS understands"):
        SQLiteStorage(path)


@pytest.mark.parametrize("head, body", [
    (b'{"id":"x"}', b'{"id":"x","stored":"2026-11-30T10:00:00.000Z"}'),
    (b"{}", b'{"stored":"2026-11-30T10:00:00.000Z","timestamp":"2026-11-30T10:00:00.000Z"}'),
])
def test_a_body_compressed_before_the_lock_reads_back_as_the_final_body_issue_16(head, body):
    assert unpack(Packer(head).finish(body)) == body
    assert unpack(pack(body)) == body


@pytest.mark.parametrize("count", [1, 2, 100])
def test_a_batch_compressed_in_one_call_keeps_the_same_bytes_as_one_body_at_a_time_issue_16(count):
    heads = [b'{"id":"%d","verb":{"id":"http://adlnet.gov/expapi/verbs/answered"}%s}' % (n, b" " * n)
             for n in range(count)]
    bodies = [head[:-1] + b',"stored":"2026-11-30T10:00:00.000Z"}' for head in heads]
    kept = [packer.finish(body) for packer, body in zip(packers(heads), bodies)]
    assert kept == [Packer(head).finish(body) for head, body in zip(heads, bodies)]
    assert [unpack(one) for one in kept] == bodies


def test_a_tail_too_long_for_its_length_byte_is_compressed_with_the_whole_body_issue_16():
    head = b'{"id":"x"}'
    body = b'{"id":"x","stored":"' + b"y" * 300 + b'"}'
    assert unpack(Packer(head).finish(body)) == body


def test_a_body_not_made_from_the_prepared_head_is_still_kept_whole_issue_16():
    body = b'{"other":true}'
    assert unpack(Packer(b'{"id":"x"}').finish(body)) == body


@pytest.mark.parametrize("keep", [
    lambda body: pack(body),
    lambda body: Packer(body[:-20] + b"}").finish(body),
    lambda body: deflate(body),
], ids=["zstandard", "zstandard-with-tail", "deflate"])
@pytest.mark.parametrize("cut", [1, 2, 3, 5, 0.5])
def test_a_kept_body_cut_short_is_an_error_not_a_partial_statement_issue_16(keep, cut):
    body = b'{"id":"' + b"x" * 500 + b'","stored":"2026-11-30T10:00:00.000Z"}'
    kept = keep(body)
    length = int(len(kept) * cut) if isinstance(cut, float) else len(kept) - cut
    with pytest.raises(ValueError):
        unpack(kept[:length])


@pytest.mark.parametrize("tail", [b',"stored":"2026-11-30T10:00:00.000Z"}',
                                  b',"stored":"2026-11-30T10:00:00.000Z","timestamp":"2026-11-30T10:00:00.000Z"}'])
def test_a_body_kept_with_its_tail_is_an_error_at_every_length_it_can_be_cut_to_issue_16(tail):
    """Whatever the last byte left (read as the tail's length), the frame or the tail is short."""
    head = b'{"id":"x","actor":{"mbox":"mailto:a@example.gov"}'
    kept = Packer(head + b"}").finish(head + tail)
    for length in range(1, len(kept)):
        with pytest.raises(ValueError):
            unpack(kept[:length])
