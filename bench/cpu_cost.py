"""CPU time per statement through the whole LRS application (issue 16), measured in one process
with the Flask test client: POST /xapi/statements with batches and with single statements, on
a fresh embedded SQLite store, with a profile of where the time goes.

    .venv/bin/python -m bench.cpu_cost --statements 20000 --batch 100
    .venv/bin/python -m bench.cpu_cost --statements 3000 --batch 1 --profile 25

It counts the process's own CPU time (time.process_time), not wall time, so that a figure taken
while other work shares the machine still compares with one taken on a quiet machine. What it
leaves out: gunicorn's request parsing and socket I/O, and the fsync wait (CPU time does not
include waiting; synchronous NORMAL here). Dividing the cores by this figure bounds what the
server can ingest on the machine: 2 cores / 150 us per statement = 13,300 statements/s at most,
before the clients' own CPU and gunicorn.
"""
import argparse
import base64
import cProfile
import json
import logging
import os
import pstats
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.generate import Generator  # noqa: E402
from lrs.app import create_app  # noqa: E402
from lrs.config import Settings  # noqa: E402

KEY, SECRET = "bench", "bench-secret-0123456789"


def make_client(folder, synchronous):
    settings = Settings(database_url="sqlite:///" + os.path.join(folder, "lrs.sqlite3"), admin_key=KEY,
                        admin_secret=SECRET, secret_hash_iterations=1000, sqlite_synchronous=synchronous)
    app = create_app(settings, announce=lambda message: None)
    return app, app.test_client()


def bodies(count, batch, seed):
    generator = Generator(seed=seed) if seed is not None else Generator()
    statements = [generator.statement(number) for number in range(count)]
    return [json.dumps(statements[start:start + batch]).encode() for start in range(0, count, batch)]


def post_all(client, payloads):
    headers = {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (KEY, SECRET)).encode()).decode(),
               "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
    for payload in payloads:
        answer = client.post("/xapi/statements", data=payload, headers=headers)
        if answer.status_code != 200:
            raise SystemExit("POST answered %d: %s" % (answer.status_code, answer.get_data(as_text=True)[:300]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=100, help="statements per POST (1: single statements)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds on fresh stores; the best is reported")
    parser.add_argument("--synchronous", default="NORMAL", help="SQLite synchronous (CPU time excludes fsync)")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions (cProfile)")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)                                  # the access log is not what is measured
    payloads = bodies(args.statements, args.batch, args.seed)
    best = None
    for round_number in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="lrs-cpu-cost-") as folder:
            app, client = make_client(folder, args.synchronous)
            post_all(client, payloads[:2])                     # warm caches and the first connection
            started = time.process_time()
            post_all(client, payloads[2:])
            used = time.process_time() - started
            app.extensions["lrs"].storage.close()
        per_statement = used / (args.statements - 2 * args.batch) * 1e6
        print("round %d: %.1f us CPU per statement (batches of %d)" % (round_number + 1, per_statement, args.batch))
        best = per_statement if best is None else min(best, per_statement)
    print("best: %.1f us CPU per statement; 2 cores at this cost: at most %d statements/s"
          % (best, 2e6 / best))
    if args.profile:
        with tempfile.TemporaryDirectory(prefix="lrs-cpu-cost-") as folder:
            app, client = make_client(folder, args.synchronous)
            post_all(client, payloads[:2])
            profiler = cProfile.Profile()
            profiler.enable()
            post_all(client, payloads[2:])
            profiler.disable()
            app.extensions["lrs"].storage.close()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
