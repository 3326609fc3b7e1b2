"""Legitimate latency under a flood of wrong secrets (issue 11, defect 4). Not part of the tests.

    .venv/bin/python -m bench.auth_flood                  # about 1.5 minutes
    .venv/bin/python -m bench.auth_flood --no-limits      # the same with the failure limits off

For each scenario, starts gunicorn (`deploy/gunicorn.conf.py`, `wsgi:app`, 2 workers) on
127.0.0.1 with a fresh SQLite database (so that no failure count carries over from one scenario
to the next) whose admin credential comes from LRS_ADMIN_KEY/LRS_ADMIN_SECRET (so it is hashed
with the full PBKDF2), and adds a credential hashed with PBKDF2 as an earlier release did, which
the server has never seen verified. Then one client sends legitimate requests
(`GET /xapi/statements?limit=1` with the admin credential, one every 20 ms on one keep-alive
connection) while another process floods wrong secrets at `--rate` (50) requests/s from
`--connections` (32) connections:

- baseline: no flood;
- admin key: wrong secrets for the admin key (PBKDF2, verified at start-up);
- legacy key: wrong secrets for the PBKDF2 credential never verified (the slow hash, until the
  failure limit per key stops it);
- unknown keys: a new random key on every attempt (stopped by the limit per address).

Prints, per scenario, the legitimate median and p95 (target: median under 10 ms under the flood),
the flood rate reached and the answers it got. Exit status 1 when a legitimate request failed
or a median missed the target.
"""
import argparse
import base64
import http.client
import itertools
import multiprocessing
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time

if __package__ in (None, ""):          # `python bench/auth_flood.py`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.client import percentile                                          # noqa: E402
from bench.server import ROOT, Server                                        # noqa: E402

TARGET_MEDIAN_MS = 10.0
PATH = "/xapi/statements?limit=1"
HEADERS = {"X-Experience-API-Version": "1.0.3"}


def basic(key, secret):
    return "Basic " + base64.b64encode(("%s:%s" % (key, secret)).encode()).decode()


def add_legacy_credential(database_url):
    """A credential hashed with PBKDF2 (210,000 iterations) as the previous release did; its key."""
    sys.path.insert(0, ROOT)
    from lrs.auth import hash_secret
    from lrs.store import Credential, open_storage
    storage = open_storage(database_url)
    try:
        key = "legacy-" + secrets.token_hex(6)
        storage.add_credential(Credential(
            key=key, secret_hash=hash_secret(secrets.token_urlsafe(24), 210_000),
            store_id=storage.get_store("default").id, scopes=["all"], name="legacy"))
        return key
    finally:
        storage.close()


def _flood(port, target, rate, connections, seconds, results):
    """Wrong secrets at `rate`/s from `connections` threads; puts {status: count} in results."""
    counter = itertools.count()
    lock = threading.Lock()
    statuses = {}
    started = time.monotonic()
    stop = started + seconds

    def attempt_key():
        return target if target else "nobody-" + secrets.token_hex(8)

    def worker():
        conn = None
        while True:
            with lock:
                i = next(counter)
            due = started + i / rate
            if due >= stop:
                break
            time.sleep(max(0.0, due - time.monotonic()))
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", PATH, headers=dict(HEADERS, Authorization=basic(
                    attempt_key(), secrets.token_urlsafe(24))))
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                status = "error"
                conn = None
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((statuses, time.monotonic() - started))


def legitimate(port, key, secret, seconds, interval=0.02):
    """Latencies (s) of paced legitimate requests, and how many were not 200."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = dict(HEADERS, Authorization=basic(key, secret))
    latencies, failures = [], 0
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        began = time.perf_counter()
        try:
            conn.request("GET", PATH, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            ok = False
        latencies.append(time.perf_counter() - began)
        failures += not ok
        time.sleep(max(0.0, interval - (time.perf_counter() - began)))
    conn.close()
    return latencies, failures


def scenario(name, target_of, args, env):
    """One scenario on a server of its own; target_of(server, legacy_key) is the flood's key
    (None: no flood, "": a new random key each time)."""
    workdir = tempfile.mkdtemp(prefix="lrs-auth-flood-")
    database_url = "sqlite:///" + os.path.join(workdir, "lrs.sqlite3")
    server = Server(database_url, workdir, env, workers=args.workers)
    try:
        server.wait_ready()
        return _measure(server, name, target_of(server, add_legacy_credential(database_url)), args)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _measure(server, name, target, args):
    results = multiprocessing.Queue()
    flood = None
    if target is not None:
        flood = multiprocessing.Process(target=_flood, args=(server.port, target, args.rate, args.connections,
                                                             args.seconds + 1.0, results))
        flood.start()
        time.sleep(1.0)                        # measure once the flood runs
    latencies, failures = legitimate(server.port, server.key, server.secret, args.seconds)
    statuses, elapsed = ({}, 0.0)
    if flood is not None:
        statuses, elapsed = results.get(timeout=args.seconds + 120)
        flood.join()
    ms = sorted(x * 1000 for x in latencies)
    row = {"scenario": name, "legit": len(ms), "legit_failed": failures,
           "median_ms": statistics.median(ms), "p95_ms": percentile(ms, 95),
           "flood_rate": sum(statuses.values()) / elapsed if elapsed else 0.0,
           "flood_answers": ", ".join("%s: %d" % kv for kv in sorted(statuses.items(), key=str))}
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.auth_flood", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="wrong-secret requests per second")
    parser.add_argument("--connections", type=int, default=32, help="flood connections")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each scenario")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--no-limits", action="store_true",
                        help="switch the failure limits off (LRS_AUTH_FAILURES_PER_KEY/ADDRESS=0)")
    args = parser.parse_args(argv)

    env = {"LRS_LOG_LEVEL": "WARNING"}
    if args.no_limits:
        env.update(LRS_AUTH_FAILURES_PER_KEY="0", LRS_AUTH_FAILURES_PER_ADDRESS="0")
    rows = [scenario(name, target_of, args, env) for name, target_of in (
        ("baseline (no flood)", lambda server, legacy: None),
        ("admin key (PBKDF2, verified)", lambda server, legacy: server.key),
        ("legacy key (PBKDF2, never verified)", lambda server, legacy: legacy),
        ("unknown keys", lambda server, legacy: ""))]

    print("flood: %.0f wrong-secret requests/s from %d connections, %d workers, failure limits %s; "
          "legitimate: GET %s every 20 ms" % (args.rate, args.connections, args.workers,
                                               "off" if args.no_limits else "on (defaults)", PATH))
    print("%-38s %7s %7s %10s %8s %11s  %s" % ("scenario", "legit", "failed", "median ms", "p95 ms",
                                               "flood req/s", "flood answers"))
    bad = False
    for row in rows:
        missed = row["median_ms"] >= TARGET_MEDIAN_MS
        bad = bad or missed or row["legit_failed"] > 0
        print("%-38s %7d %7d %10.2f %8.2f %11.1f  %s%s" % (
            row["scenario"], row["legit"], row["legit_failed"], row["median_ms"], row["p95_ms"],
            row["flood_rate"], row["flood_answers"], "   MISSED (target < 10 ms)" if missed else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
