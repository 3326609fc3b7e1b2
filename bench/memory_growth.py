"""Resident memory of one process while 4 threads insert batches and query through the SQLite
store (no HTTP): printed every 40,000 statements, so that growth shows (issue 16).

    .venv/bin/python -m bench.memory_growth --statements 240000
"""
import argparse
import os
import random
import sys
import tempfile
import threading

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.store_bench import AGENTS, synthetic  # noqa: E402
from lrs.store import InsertBatch, StatementQuery  # noqa: E402
from lrs.store.sqlite import SQLiteStorage  # noqa: E402


def rss_mb():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return None


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.memory_growth", description=__doc__.split("\n\n")[0])
    p.add_argument("--statements", type=int, default=240_000)
    args = p.parse_args(argv)
    directory = tempfile.mkdtemp(prefix="lrs-memory-")
    storage = SQLiteStorage(os.path.join(directory, "memory.sqlite3"), synchronous="NORMAL")
    done, lock = [0], threading.Lock()

    def worker(number):
        rng = random.Random(number)
        while True:
            with lock:
                if done[0] >= args.statements:
                    return
                done[0] += 100
                n = done[0]
            storage.insert_statements("bench", InsertBatch(statements=[synthetic(rng, n + i) for i in range(100)]))
            for _ in range(3):
                agent = "mbox:mailto:learner%d@example.gov" % rng.randrange(AGENTS)
                storage.query_statements("bench", StatementQuery(filters=[("agent", agent)], limit=100))
            if n % 40_000 == 0:
                print("%d statements: RSS %d MB" % (n, rss_mb()), flush=True)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("final RSS %d MB; interned keys cached: %d" % (rss_mb(), len(storage._kids) + len(storage._old_kids)))
    storage.close()
    for name in os.listdir(directory):
        os.remove(os.path.join(directory, name))
    os.rmdir(directory)


if __name__ == "__main__":
    main()
