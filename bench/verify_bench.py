"""How fast `audit verify` recomputes a store's chain (issue 13: >= 100,000 entries/s), on a
store of N synthetic statements (bench/store_bench.py's micro-learning mix) plus some documents,
acts and an erasure, so every kind of entry is walked.

    .venv/bin/python bench/verify_bench.py --statements 1000000 --path /tmp/verify-bench.sqlite3
    .venv/bin/python bench/verify_bench.py --url mongodb://127.0.0.1:27017/lrs_bench?replicaSet=rs0
    .venv/bin/python bench/verify_bench.py --workers 0      # in one process (lrs/audit/ranges.py)

The store is built once and kept in --path (SQLite) so that later runs only verify (--rounds
verifications, the median reported). Building 1,000,000 statements takes a few minutes.
"""
import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.store_bench import synthetic  # noqa: E402
from lrs.audit import acts  # noqa: E402
from lrs.auth import create_credential  # noqa: E402
from lrs.audit.ranges import WORKERS_FROM  # noqa: E402
from lrs.audit.verify import verify_store  # noqa: E402
from lrs.store import Document, DocumentKey, InsertBatch, open_storage  # noqa: E402

STORE = "verify-bench"


def build(storage, statements, batch, documents):
    store = storage.create_store(STORE).id
    rng = random.Random(13)
    started = time.perf_counter()
    for first in range(0, statements, batch):
        records = [synthetic(rng, number) for number in range(first, min(first + batch, statements))]
        storage.insert_statements(store, InsertBatch(statements=records))
        if first and first % 100000 == 0:
            print("  %d statements, %.0f/s" % (first, first / (time.perf_counter() - started)), flush=True)
    for number in range(documents):
        key = DocumentKey(kind="state", doc_id="bookmark", activity_id="http://example.gov/activities/%d" % number,
                          agent_key="mbox:learner%d@example.gov" % (number % 50))
        storage.write_document(store, key, lambda current: Document(b'{"page": 3}', "application/json", '"e"',
                                                                     1_700_000_000_000 + number))
    create_credential(storage, store, key="bench", act=acts.act(acts.CREDENTIAL_CREATED, "cli", key="bench"))
    storage.revoke_credential("bench", act=acts.act(acts.CREDENTIAL_REVOKED, "cli", key="bench"))
    storage.erase_agent(store, "mbox:mailto:learner7@example.gov", acts.facts("cli"))
    return store


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statements", type=int, default=200000)
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--path", default="/tmp/lrs-verify-bench.sqlite3", help="the SQLite file (kept)")
    parser.add_argument("--url", default=None, help="a database URL instead of --path")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes checking ranges of the chain (default: as `audit verify`; 0: inline)")
    args = parser.parse_args()
    storage = open_storage(args.url or "sqlite:///" + args.path)
    info = storage.get_store(STORE)
    store = info.id if info else build(storage, args.statements, args.batch, args.documents)
    rates = []
    for number in range(args.rounds):
        started, cpu = time.perf_counter(), time.process_time()
        result = verify_store(storage, store, workers=args.workers)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert result.ok, result.problem
        if args.workers != 0 and result.entries >= WORKERS_FROM:     # the ranges were checked in workers
            cpu += result.range_cpu_s
        rates.append((result.entries / elapsed, result.entries / cpu))
        print("round %d: %d entries (%d statements, %d documents, %d acts, %d erasures) in %.2f s (%.2f s of CPU, "
              "workers included): %.0f entries/s, %.0f per CPU second"
              % (number + 1, result.entries, result.statements, result.documents, len(result.acts),
                 len(result.erasures), elapsed, cpu, rates[-1][0], rates[-1][1]), flush=True)
    print("median: %.0f entries/s (%.0f per CPU second; on 2 cores the wall-clock rate can reach twice the CPU one, "
          "less what the machine's other work takes)"
          % (statistics.median(r[0] for r in rates), statistics.median(r[1] for r in rates)))
    storage.close()


if __name__ == "__main__":
    main()
