"""Single-statement inserts at the store level (no HTTP): P processes x T threads, each insert
its own request, on one fresh SQLite file; how commits share fsyncs (issue 16).

    .venv/bin/python -m bench.single_commit --processes 2 --threads 4 --per-thread 200
"""
import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.store_bench import synthetic  # noqa: E402
from lrs.store import InsertBatch  # noqa: E402
from lrs.store.sqlite import SQLiteStorage  # noqa: E402


def _process(path, synchronous, number, threads, per_thread, barrier, queue):
    storage = SQLiteStorage(path, synchronous=synchronous)
    rng = random.Random(number)
    records = [[synthetic(rng, i) for i in range(per_thread)] for _ in range(threads)]
    barrier.wait()
    started, cpu = time.time(), time.process_time()

    def run(mine):
        for record in mine:
            storage.insert_statements("bench", InsertBatch(statements=[record]))

    workers = [threading.Thread(target=run, args=(records[t],)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put((started, time.time(), time.process_time() - cpu))
    storage.close()


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench.single_commit", description=__doc__.split("\n\n")[0])
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--per-thread", type=int, default=200)
    p.add_argument("--synchronous", default="FULL", choices=("FULL", "NORMAL"))
    args = p.parse_args(argv)
    directory = tempfile.mkdtemp(prefix="lrs-single-")
    path = os.path.join(directory, "single.sqlite3")
    SQLiteStorage(path).close()
    ctx = multiprocessing.get_context("fork")
    queue, barrier = ctx.Queue(), ctx.Barrier(args.processes)
    procs = [ctx.Process(target=_process, args=(path, args.synchronous, n, args.threads, args.per_thread,
                                                barrier, queue)) for n in range(args.processes)]
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    total = args.processes * args.threads * args.per_thread
    elapsed = max(r[1] for r in results) - min(r[0] for r in results)
    print("%d processes x %d threads, synchronous=%s: %.0f single statements/s, %.3f ms CPU each"
          % (args.processes, args.threads, args.synchronous, total / elapsed,
             sum(r[2] for r in results) / total * 1000))
    for name in os.listdir(directory):
        os.remove(os.path.join(directory, name))
    os.rmdir(directory)


if __name__ == "__main__":
    main()
