"""The machine's in-process floor (issue 16): what one Python process does with the same
statements when there is no HTTP, no LRS and no xAPI rules.

It parses each request body (the bytes a client would POST), checks lightly (an object with an
id, actor, verb and object), serialises the statement again with a `stored` time, and inserts it
into an indexed SQLite table (WAL; id unique, indexes on actor, verb, object and registration),
one transaction per request: batches of `batch` statements, then single statements. The ratio of
the server's figure to this one is what a reader can compare across machines.

    .venv/bin/python -m bench.floor --synchronous FULL
"""
import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.generate import Generator  # noqa: E402

SCHEMA = [
    """CREATE TABLE statements (
        id TEXT PRIMARY KEY, actor TEXT NOT NULL, verb TEXT NOT NULL, object TEXT NOT NULL,
        registration TEXT, stored_ms INTEGER NOT NULL, body BLOB NOT NULL)""",
    "CREATE INDEX statements_actor ON statements (actor, stored_ms)",
    "CREATE INDEX statements_verb ON statements (verb, stored_ms)",
    "CREATE INDEX statements_object ON statements (object, stored_ms)",
    "CREATE INDEX statements_registration ON statements (registration, stored_ms)",
]


def _row(statement, stored_ms):
    if not isinstance(statement, dict) or not all(k in statement for k in ("id", "actor", "verb", "object")):
        raise ValueError("not a statement")
    statement["stored"] = stored_ms
    actor = json.dumps(statement["actor"], sort_keys=True, separators=(",", ":"))
    registration = (statement.get("context") or {}).get("registration")
    return (statement["id"].lower(), actor, statement["verb"]["id"], statement["object"].get("id", ""),
            registration, stored_ms, json.dumps(statement, separators=(",", ":")).encode())


def _insert(conn, body):
    statements = json.loads(body)
    if isinstance(statements, dict):
        statements = [statements]
    stored_ms = int(time.time() * 1000)
    rows = [_row(statement, stored_ms) for statement in statements]
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO statements VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    return len(rows)


def measure(seed=1, batch_statements=20000, batch=100, single_statements=2000, synchronous="FULL",
            directory=None):
    """{"batch_per_s", "single_per_s", ...} of one process; bodies generated before the clock."""
    gen = Generator(seed)
    own = directory is None
    directory = directory or tempfile.mkdtemp(prefix="lrs-floor-")
    path = os.path.join(directory, "floor-%s.sqlite3" % synchronous.lower())
    try:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=%s" % synchronous)
        for sql in SCHEMA:
            conn.execute(sql)
        bodies = [gen.batch_body(a, min(a + batch, batch_statements)) for a in range(0, batch_statements, batch)]
        t0 = time.perf_counter()
        done = sum(_insert(conn, body) for body in bodies)
        batch_s = time.perf_counter() - t0
        singles = [gen.statement_json(i).encode() for i in range(batch_statements, batch_statements + single_statements)]
        t0 = time.perf_counter()
        single_done = sum(_insert(conn, body) for body in singles)
        single_s = time.perf_counter() - t0
        conn.close()
        return {"synchronous": synchronous, "batch_per_s": done / batch_s, "single_per_s": single_done / single_s,
                "batch_statements": done, "single_statements": single_done, "batch": batch}
    finally:
        if own:
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.remove(path + suffix)
                except OSError:
                    pass
            os.rmdir(directory)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.split("\n\n")[0])
    p.add_argument("--synchronous", default="FULL", choices=("FULL", "NORMAL"))
    p.add_argument("--batch-statements", type=int, default=20000)
    p.add_argument("--single-statements", type=int, default=2000)
    args = p.parse_args(argv)
    r = measure(batch_statements=args.batch_statements, single_statements=args.single_statements,
                synchronous=args.synchronous)
    print("floor (synchronous=%s): batch %.0f statements/s, single %.0f statements/s"
          % (r["synchronous"], r["batch_per_s"], r["single_per_s"]))


if __name__ == "__main__":
    main()
