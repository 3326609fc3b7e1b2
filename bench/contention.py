"""What ingest costs the server beyond the application itself (issue 16): the same statements
POSTed to gunicorn over HTTP and to the application in one process, side by side.

    .venv/bin/python -m bench.contention --mode single --statements 4000      # 8 clients, 1 per POST
    .venv/bin/python -m bench.contention --mode batch --statements 30000      # 4 clients, 100 per POST
    .venv/bin/python -m bench.contention --mode single --server-env LRS_THREADS=1 --rounds 3

For each round on a fresh SQLite store it prints, under gunicorn (`deploy/gunicorn.conf.py`):
statements/s; the server's CPU per statement split into user and system time; context switches
per statement over every thread of every worker (voluntary: a thread blocked on a lock, the GIL,
a socket or an fsync; involuntary: the scheduler took the core); and per worker the keep-alive
connections it held mid-run and its share of the server's CPU (a connection stays with the worker
that accepted it, so an uneven split leaves one worker, bound to one core by the GIL, with most of
the work). Then, with `--in-process` (the default), the CPU per statement of the same requests
through Flask's test client in one thread (bench/cpu_cost.py; synchronous NORMAL, access log off).
The difference is what serving them concurrently costs: gunicorn, threads and processes taking
turns, the access log and the metrics.

Not part of the test suite. Linux only (it reads /proc).
"""
import argparse
import glob
import logging
import os
import sys
import tempfile
import threading
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import cpu_cost  # noqa: E402
from bench.client import Endpoint  # noqa: E402
from bench.sampler import child_pids  # noqa: E402
from bench.server import Server  # noqa: E402
from bench.workload import run_ingest  # noqa: E402

SEED = 11


def cpu_split(pids):
    """(user, system) CPU seconds of the processes `pids`."""
    user = system = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        user, system = user + int(fields[11]), system + int(fields[12])
    ticks = os.sysconf("SC_CLK_TCK")
    return user / ticks, system / ticks


def context_switches(pids):
    """(voluntary, involuntary) context switches of every thread of the processes `pids`."""
    voluntary = involuntary = 0
    for pid in pids:
        for status in glob.glob("/proc/%d/task/*/status" % pid):
            try:
                with open(status) as handle:
                    for line in handle:
                        if line.startswith("voluntary_ctxt_switches"):
                            voluntary += int(line.split()[1])
                        elif line.startswith("nonvoluntary_ctxt_switches"):
                            involuntary += int(line.split()[1])
            except OSError:
                continue
    return voluntary, involuntary


def _socket_inodes(pid):
    inodes = set()
    for fd in glob.glob("/proc/%d/fd/*" % pid):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def connections_by_worker(workers, port):
    """{worker pid: established connections to `port` it holds} (from /proc/net/tcp and tcp6)."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as handle:
                next(handle)
                for line in handle:
                    fields = line.split()
                    if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                        established.add(fields[9])
        except OSError:
            continue
    return {pid: len(_socket_inodes(pid) & established) for pid in workers}


def served(args, round_number):
    """One round under gunicorn: the figures of the measured phase."""
    with tempfile.TemporaryDirectory(prefix="lrs-contention-") as folder:
        env = dict(pair.split("=", 1) for pair in args.server_env)
        server = Server("sqlite:///" + os.path.join(folder, "lrs.sqlite3"), folder, env, workers=args.workers)
        try:
            server.wait_ready()
            endpoint = Endpoint(server.url, server.key, server.secret)
            single = args.mode == "single"
            per_post = 1 if single else args.batch
            warm = 50 * per_post
            run_ingest(endpoint, SEED, 0, warm, per_post, args.clients, single, True, 600)
            workers = child_pids(server.pid)
            pids = [server.pid] + workers
            held = {}

            def look_at_connections():
                time.sleep(1.0)
                held.update(connections_by_worker(workers, server.port))
            watcher = threading.Thread(target=look_at_connections, daemon=True)
            user0, system0 = cpu_split(pids)
            switches0 = context_switches(pids)
            per_worker0 = [sum(cpu_split([pid])) for pid in workers]
            watcher.start()
            result = run_ingest(endpoint, SEED, warm, warm + args.statements, per_post, args.clients, single,
                                True, 1800)
            user1, system1 = cpu_split(pids)
            switches1 = context_switches(pids)
            per_worker1 = [sum(cpu_split([pid])) for pid in workers]
            watcher.join(5)
        finally:
            server.stop()
    n = result["statements"]
    if result["errors"] or not n:
        raise SystemExit("round %d: %d errors: %s" % (round_number, result["errors"], result["examples"][:3]))
    total = (user1 - user0) + (system1 - system0)
    shares = [(b - a) / total if total else 0.0 for a, b in zip(per_worker0, per_worker1)]
    return {
        "statements_per_s": result["statements_per_s"],
        "user_us": (user1 - user0) / n * 1e6, "system_us": (system1 - system0) / n * 1e6,
        "voluntary": (switches1[0] - switches0[0]) / n, "involuntary": (switches1[1] - switches0[1]) / n,
        "connections": [held.get(pid, 0) for pid in workers], "cpu_shares": shares,
    }


def in_process(args):
    """CPU per statement of the same requests through the app in one thread (no HTTP server)."""
    per_post = 1 if args.mode == "single" else args.batch
    count = min(args.statements, 3000 if per_post == 1 else 20000)
    payloads = cpu_cost.bodies(count + 2 * per_post, per_post, SEED)
    logging.disable(logging.INFO)                  # as bench/cpu_cost.py: the access log is left out
    with tempfile.TemporaryDirectory(prefix="lrs-contention-") as folder:
        app, client = cpu_cost.make_client(folder, "NORMAL")
        cpu_cost.post_all(client, payloads[:2])
        started = time.process_time()
        cpu_cost.post_all(client, payloads[2:])
        used = time.process_time() - started
        app.extensions["lrs"].storage.close()
    logging.disable(logging.NOTSET)
    return used / (len(payloads) - 2) / per_post * 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("single", "batch"), default="single")
    parser.add_argument("--statements", type=int, default=None, help="measured statements (single 4,000; batch 30,000)")
    parser.add_argument("--clients", type=int, default=None, help="client processes (single 8; batch 4)")
    parser.add_argument("--batch", type=int, default=100, help="statements per POST in batch mode")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: the config's)")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="environment of the server, e.g. LRS_THREADS=1 (repeatable)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--no-in-process", dest="in_process", action="store_false",
                        help="skip the in-process comparison")
    args = parser.parse_args(argv)
    args.statements = args.statements or (4000 if args.mode == "single" else 30000)
    args.clients = args.clients or (8 if args.mode == "single" else 4)
    for round_number in range(1, args.rounds + 1):
        r = served(args, round_number)
        print("round %d, %s, %d clients%s: %.0f statements/s; server CPU per statement %.0f us (user %.0f, "
              "system %.0f); context switches per statement %.1f voluntary, %.1f involuntary; connections per "
              "worker %s, share of the server's CPU %s"
              % (round_number, args.mode, args.clients, (" " + " ".join(args.server_env)) if args.server_env else "",
                 r["statements_per_s"], r["user_us"] + r["system_us"], r["user_us"], r["system_us"],
                 r["voluntary"], r["involuntary"], r["connections"],
                 " / ".join("%.0f%%" % (share * 100) for share in r["cpu_shares"])), flush=True)
    if args.in_process:
        print("in one process, one thread (Flask test client, no HTTP server): %.0f us CPU per statement"
              % in_process(args))


if __name__ == "__main__":
    main()
