"""What keeping the reports' facts (issue 13, lrs.store.ReportFacts) costs batch ingest: the same
statements of bench/generate.py written in batches with the facts on and off, alternating rounds
on fresh stores, back to back, in process (no HTTP). "On" includes computing the facts
(lrs/xapi/report_facts.py, done by the statement service in the request) and keeping them; "off"
gives the store records without facts (as before they existed). Also the bytes the facts take at
rest (SQLite: the report_facts column's text per statement, and the file per statement).

    .venv/bin/python bench/facts_cost.py --statements 20000 --batch 100 --rounds 3
"""
import argparse
import os
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.generate import Generator  # noqa: E402
from bench.reports_bench import record  # noqa: E402
from lrs.store import InsertBatch, open_storage  # noqa: E402
from lrs.xapi.report_facts import report_facts  # noqa: E402


def ingest(path, statements, batch, facts):
    """Seconds to compute the facts (when on) and insert the statements in batches."""
    records = [record(dict(statement)) for statement in statements]
    for one in records:
        one.report_facts = None
    storage = open_storage("sqlite:///" + path)
    store = storage.create_store("bench").id
    started = time.perf_counter()
    for start in range(0, len(records), batch):
        chunk = records[start:start + batch]
        if facts:
            for one in chunk:
                one.report_facts = report_facts(one.statement, one.timestamp_from_stored)
        storage.insert_statements(store, InsertBatch(statements=chunk))
    elapsed = time.perf_counter() - started
    storage.close()
    return elapsed


def at_rest(path, count):
    """(bytes of the report_facts texts per statement, bytes of the file per statement)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        text = conn.execute("SELECT sum(length(report_facts)) FROM statements").fetchone()[0] or 0
        pages = conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    return text / count, pages / count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statements", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generator = Generator(args.seed)
    statements = [generator.statement(i) for i in range(args.statements)]
    rates = {"on": [], "off": []}
    with tempfile.TemporaryDirectory() as folder:
        for number in range(args.rounds):
            for mode in ("off", "on") if number % 2 == 0 else ("on", "off"):
                path = os.path.join(folder, "%s-%d.sqlite3" % (mode, number))
                rates[mode].append(args.statements / ingest(path, statements, args.batch, mode == "on"))
                text, total = at_rest(path, args.statements)
                print("round %d facts %-3s %8.0f statements/s   at rest: facts %.0f B, file %.0f B per statement"
                      % (number + 1, mode, rates[mode][-1], text, total), flush=True)
    on, off = sorted(rates["on"])[len(rates["on"]) // 2], sorted(rates["off"])[len(rates["off"]) // 2]
    print("median: facts on %.0f/s, off %.0f/s: %.1f%% of the rate without them" % (on, off, 100 * on / off))


if __name__ == "__main__":
    main()
