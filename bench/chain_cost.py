"""What the audit chain (issue 13) costs batch ingest: the same batches written with the chain
step of the batch rules on and off, alternating rounds on fresh stores, back to back; and how
fast `audit verify` recomputes a chain (entries/s, on each chain-on store).

    .venv/bin/python bench/chain_cost.py --statements 20000 --batch 100 --rounds 3
    .venv/bin/python bench/chain_cost.py --url mongodb://127.0.0.1:27017/lrs_bench?replicaSet=rs0

Without --url each round uses a fresh SQLite file in a temporary folder. "Off" replaces the
chain step with nothing (no entries, no head); it exists only here, to measure.
"""
import argparse
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.store_bench import synthetic  # noqa: E402
from lrs.audit.verify import verify_store  # noqa: E402
from lrs.store import InsertBatch, open_storage, rules  # noqa: E402


def ingest(url, batches, verify):
    """(seconds to insert the batches, entries verified per second or None)."""
    storage = open_storage(url)
    store = storage.create_store("bench-%d" % time.monotonic_ns()).id
    started = time.perf_counter()
    for batch in batches:
        storage.insert_statements(store, InsertBatch(statements=batch))
    elapsed = time.perf_counter() - started
    rate = None
    if verify:
        started = time.perf_counter()
        result = verify_store(storage, store)
        assert result.ok, result.problem
        rate = result.entries / (time.perf_counter() - started)
    storage.close()
    return elapsed, rate


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statements", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    chain_step = rules.append_to_chain
    rates = {"on": [], "off": []}
    with tempfile.TemporaryDirectory() as folder:
        for number in range(args.rounds):
            for mode in ("off", "on") if number % 2 == 0 else ("on", "off"):
                rng = random.Random(number)
                records = [synthetic(rng, i) for i in range(args.statements)]
                batches = [records[i:i + args.batch] for i in range(0, len(records), args.batch)]
                url = args.url or "sqlite:///" + os.path.join(folder, "%s-%d.sqlite3" % (mode, number))
                rules.append_to_chain = chain_step if mode == "on" else (lambda tx, statements: None)
                try:
                    elapsed, verified = ingest(url, batches, verify=mode == "on")
                finally:
                    rules.append_to_chain = chain_step
                rates[mode].append(args.statements / elapsed)
                print("round %d chain %-3s %8.0f statements/s%s" % (
                    number + 1, mode, rates[mode][-1], "   audit verify %.0f entries/s" % verified if verified else ""),
                    flush=True)
    on, off = sorted(rates["on"])[len(rates["on"]) // 2], sorted(rates["off"])[len(rates["off"]) // 2]
    print("median: chain on %.0f/s, off %.0f/s: %.1f%% of the rate without the chain" % (on, off, 100 * on / off))


if __name__ == "__main__":
    main()
