"""Forwarding benchmark (issue 12): throughput of the forwarder between two local instances, and
the outbox's cost on batch ingest. Not part of the test suite.

    .venv/bin/python -m bench.forwarding                      # 20,000 statements, about a minute
    .venv/bin/python -m bench.forwarding --statements 100000

The agency is a real server (gunicorn, deploy/gunicorn.conf.py, fresh SQLite in a temporary
directory). The department is two fresh SQLite databases used in this process through the
statement service: one with a forwarding rule to the agency, one without; batches of
--batch-size statements (bench/generate.py) go alternately to each, so both see the same disk and
cache, and the ratio of their ingest rates is the outbox's cost. Then one forwarder
(lrs/federation/forwarder.py, batches of --batch-size) drains the department's outbox to the
agency over HTTP, timed from its first claim to the last delivery; the agency's database is then
checked to hold every statement. Before that, as many clients as the forwarder has batches in
flight (--pipeline) POST other generated statements to the agency directly: the agency's own
ingest rate on this machine, the ceiling any forwarder can reach. Targets: forwarding >= 3,000
statements/s with batches of 100; ingest with one active rule >= 90% of ingest without rules.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.client import Client, Endpoint  # noqa: E402
from bench.generate import Generator  # noqa: E402
from bench.server import Server  # noqa: E402
from lrs.auth import Principal  # noqa: E402
from lrs.config import Settings  # noqa: E402
from lrs.federation.forwarder import Forwarder, ForwarderOptions  # noqa: E402
from lrs.federation.secrets import new_key  # noqa: E402
from lrs.services import build_services  # noqa: E402
from lrs.store import open_storage  # noqa: E402

VERSION = "1.0.3"


def department(path, secret_key):
    settings = Settings(database_url="sqlite:///" + path, secret_key=secret_key)
    storage = open_storage(settings.database_url)
    store = storage.create_store("default")
    services = build_services(settings, storage)
    return services, Principal(key="bench", store_id=store.id, scopes=frozenset(["all"]), name="bench", admin=False)


def direct_ingest_rate(agency, generator, first, count, batch_size, connections):
    """Statements/s the agency stores when `connections` clients POST batches to it directly:
    the ceiling a forwarder with as many batches in flight can reach on this machine."""
    bodies = [json.dumps([generator.statement(i) for i in range(start, min(start + batch_size, first + count))]).encode()
              for start in range(first, first + count, batch_size)]
    endpoint, failures = Endpoint(agency.url, agency.key, agency.secret), []

    def send(mine):
        client = Client(endpoint)
        for body in mine:
            status, answer, _ = client.request("POST", endpoint.statements_path(), body)
            if status != 200:
                failures.append((status, answer[:200]))
        client.close()
    threads = [threading.Thread(target=send, args=(bodies[n::connections],)) for n in range(connections)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit("the agency refused a direct POST: %r" % (failures[0],))
    return count / (time.perf_counter() - began)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--statements", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of the agency")
    parser.add_argument("--max-batch-size", type=int, default=None,
                        help="claims grow up to this many while the backlog fills them (default: --batch-size, "
                             "so every batch has --batch-size statements)")
    parser.add_argument("--pipeline", type=int, default=ForwarderOptions.pipeline,
                        help="batches in flight at once (1: one at a time)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="lrs-forward-bench-")
    agency_url = "sqlite:///" + os.path.join(workdir, "agency.sqlite3")
    agency = Server(agency_url, workdir, {"LRS_SECRET_HASH_ITERATIONS": "1000"}, workers=args.workers)
    try:
        agency.wait_ready()
        key = new_key()
        plain, plain_principal = department(os.path.join(workdir, "plain.sqlite3"), key)
        ruled, ruled_principal = department(os.path.join(workdir, "ruled.sqlite3"), key)
        ruled.forwarding.add("default", "to-agency", endpoint=agency.url + "/xapi/", key=agency.key,
                             secret=agency.secret, version=VERSION)
        generator = Generator(seed=12)
        spent = {"plain": 0.0, "ruled": 0.0}
        for start in range(0, args.statements, args.batch_size):
            batch = [generator.statement(i) for i in range(start, min(start + args.batch_size, args.statements))]
            for name, services, principal in (("plain", plain, plain_principal), ("ruled", ruled, ruled_principal)):
                copy = [dict(s) for s in batch]
                began = time.perf_counter()
                services.statements.store(principal, copy, VERSION)
                spent[name] += time.perf_counter() - began
        ceiling = direct_ingest_rate(agency, generator, args.statements, args.statements, args.batch_size,
                                     max(args.pipeline, 1))
        forwarder = Forwarder(ruled.storage, ruled.settings, ruled.forwarding,
                              ForwarderOptions(batch_size=args.batch_size, timeout_s=60, pipeline=args.pipeline,
                                               max_batch_size=args.max_batch_size or args.batch_size))
        began, cpu_began = time.perf_counter(), time.process_time()
        handled = forwarder.drain(max_wait_s=5)
        forwarding_s, forwarder_cpu_s = time.perf_counter() - began, time.process_time() - cpu_began
        forwarder.close()
        rule = ruled.storage.list_forwarding_rules()[0]
        counts = ruled.storage.forwarding_counts(rule.id, 0)
        check = open_storage(agency_url)
        ids = [generator.statement_id(i) for i in range(args.statements)]
        store = check.get_store("default")
        held = sum(len(check.get_statements(store.id, ids[i:i + 500])) for i in range(0, len(ids), 500))
        check.close()
        plain_rate, ruled_rate = args.statements / spent["plain"], args.statements / spent["ruled"]
        forward_rate = counts.delivered / forwarding_s
        growth = (", forwarded in batches growing to %d" % args.max_batch_size
                  if (args.max_batch_size or 0) > args.batch_size else "")
        print("statements                         %d (batches of %d%s)" % (args.statements, args.batch_size, growth))
        print("batch ingest without rules         %.0f statements/s" % plain_rate)
        print("batch ingest with one active rule  %.0f statements/s  (%.1f%% of without; target >= 90%%)  %s"
              % (ruled_rate, 100 * ruled_rate / plain_rate, "ok" if ruled_rate >= 0.9 * plain_rate else "FAIL"))
        print("forwarding to the agency (HTTP)    %.0f statements/s  (%d delivered, %d dead, %d entries claimed, "
              "%.1f s, %d in flight; target >= 3000)  %s" % (forward_rate, counts.delivered, counts.dead, handled,
                                                              forwarding_s, args.pipeline,
                                                              "ok" if forward_rate >= 3000 else "FAIL"))
        print("the agency's ingest, POSTed directly %.0f statements/s  (%d connections: the ceiling; forwarding is "
              "%.0f%% of it)" % (ceiling, max(args.pipeline, 1), 100 * forward_rate / ceiling))
        print("forwarder's own CPU time           %.0f ms per 1,000 statements" % (1e6 * forwarder_cpu_s / args.statements))
        print("agency holds                       %d of %d  %s" % (held, args.statements,
                                                                    "ok" if held == args.statements else "WRONG"))
        return 0 if held == args.statements and counts.dead == 0 else 1
    finally:
        agency.stop()
        if args.keep:
            print("kept", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
