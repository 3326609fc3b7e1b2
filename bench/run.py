"""The LRS benchmark: ingest, query and read figures of the real server, every answer checked.

    .venv/bin/python -m bench.run            # full: 1,000,000 statements (about 10-15 minutes)
    .venv/bin/python -m bench.run --quick    # 100,000 statements (about 2 minutes)

It starts gunicorn (`-c deploy/gunicorn.conf.py wsgi:app`) on 127.0.0.1 with a fresh SQLite
database in a temporary directory (or, with LRS_BENCH_MONGODB_URL set, on that MongoDB), or
drives a server already running on 127.0.0.1 (`--url`), from separate client processes over
HTTP. See bench/README.md for what each figure means.
"""
import argparse
import datetime
import json
import os
import resource
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

if __package__ in (None, ""):          # `python bench/run.py`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import floor, hotspots                                            # noqa: E402
from bench.checker import Checker, count_keys                                # noqa: E402
from bench.client import Client, Endpoint                                    # noqa: E402
from bench.generate import Generator                                         # noqa: E402
from bench.report import TARGETS, build_rows, print_table                    # noqa: E402
from bench.sampler import Profiler, RssSampler, cpu_seconds, mongo_size, sqlite_at_rest, sqlite_size  # noqa: E402
from bench.server import ROOT, Server, drop_mongo, prepare_mongo             # noqa: E402
from bench.workload import (QUERY_KINDS, run_get_by_id, run_ingest, run_known_subsets,  # noqa: E402
                            run_queries_concurrent, run_read_all)


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="Benchmark the LRS over HTTP against the issue-6 targets; every answer is checked.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smaller run: store of 100,000, fewer statements per phase and queries")
    p.add_argument("--store-size", type=int, default=None,
                   help="statements in the store for the query and read phases (default 1,000,000; quick 100,000)")
    p.add_argument("--batch-statements", type=int, default=None,
                   help="statements sent by the batch-ingest phase (default 100,000; quick 30,000)")
    p.add_argument("--batch-size", type=int, default=100, help="statements per POST in batch phases")
    p.add_argument("--single-statements", type=int, default=None,
                   help="statements sent one per POST (default 10,000; quick 4,000)")
    p.add_argument("--final-batch-statements", type=int, default=None,
                   help="statements batch-ingested into the full store at the end (default 20,000; quick 10,000; 0 skips)")
    p.add_argument("--clients", type=int, default=4, help="concurrent client processes for batch ingest")
    p.add_argument("--single-clients", type=int, default=8,
                   help="concurrent client processes for single-statement ingest (issue 16: 8)")
    p.add_argument("--query-clients", type=int, default=4,
                   help="concurrent client processes of the filtered-query phase (issue 16: 4)")
    p.add_argument("--rw-writers", type=int, default=4,
                   help="reads during writes: writer processes sending batches at --rw-rate of the measured batch rate (0 skips)")
    p.add_argument("--rw-rate", type=float, default=0.5,
                   help="reads during writes: the writers' rate as a fraction of the batch-ingest figure")
    p.add_argument("--sizes", default="",
                   help="comma-separated store sizes (e.g. 100000,1000000,3000000): bulk load to each in turn and "
                        "measure the ingest rate and the filtered-query p95 there (the largest is the store size)")
    p.add_argument("--soak-seconds", type=int, default=0,
                   help="at the end, batch ingest from --clients writers (paced at --rw-rate) and queries for this "
                        "long, sampling each worker's RSS every 10 s (memory must stay bounded)")
    p.add_argument("--floor-statements", type=int, default=None,
                   help="statements of the in-process floor's batch part (default 20,000; quick 10,000; 0 skips)")
    p.add_argument("--queries", type=int, default=None, help="queries of each kind (default 200; quick 100)")
    p.add_argument("--gets", type=int, default=None, help="GETs by statementId (default 1000; quick 300)")
    p.add_argument("--query-limit", type=int, default=100, help="limit parameter of the latency queries")
    p.add_argument("--check-inline", action="store_true",
                   help="query clients check each answer in full as it arrives, on the clock, instead of once "
                        "all clients have their answers (the measurement before 2026-12-02)")
    p.add_argument("--page-limit", type=int, default=500,
                   help="limit of the read-all pages (the server's maximum by default: LRS_STATEMENT_PAGE_LIMIT)")
    p.add_argument("--subsets", type=int, default=None,
                   help="known subsets paged to the end per filter kind (default 5; quick 3)")
    p.add_argument("--content-every", type=int, default=97,
                   help="in the full read, compare the content of every N-th statement (all ids are checked)")
    p.add_argument("--skip", default="",
                   help="comma-separated phases to skip: floor,single,read,subsets,final,rw")
    p.add_argument("--seed", type=int, default=1, help="generator seed")
    p.add_argument("--url", help="drive a running server on 127.0.0.1 instead of starting one "
                                 "(needs --key/--secret or LRS_BENCH_KEY/LRS_BENCH_SECRET; its store must be empty)")
    p.add_argument("--key", default=os.environ.get("LRS_BENCH_KEY"), help="credential key for --url")
    p.add_argument("--secret", default=os.environ.get("LRS_BENCH_SECRET"), help="credential secret for --url")
    p.add_argument("--server-pid", type=int, help="with --url: gunicorn master pid, to measure worker RSS")
    p.add_argument("--db-path", help="with --url: the SQLite file, to measure its size")
    p.add_argument("--workers", type=int, help="gunicorn workers (default: deploy/gunicorn.conf.py)")
    p.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                   help="extra environment for the started server, e.g. LRS_SQLITE_SYNCHRONOUS=NORMAL")
    p.add_argument("--mongo-drop", action="store_true",
                   help="with LRS_BENCH_MONGODB_URL: drop that database before and after the run")
    p.add_argument("--profile", default="",
                   help="comma-separated phases to record with py-spy: batch,single,bulk,queries,read")
    p.add_argument("--profile-rate", type=int, default=200, help="py-spy samples per second")
    p.add_argument("--phase-timeout", type=int, default=1800, help="seconds after which an ingest phase gives up")
    p.add_argument("--json", default=os.path.join(ROOT, "bench", "results", "latest.json"),
                   help="where to write the results as JSON")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (database, server log)")
    args = p.parse_args(argv)
    quick = args.quick
    defaults = {"store_size": (1_000_000, 100_000), "batch_statements": (100_000, 30_000),
                "single_statements": (10_000, 4_000), "final_batch_statements": (20_000, 10_000),
                "queries": (200, 100), "gets": (1000, 300), "subsets": (5, 3),
                "floor_statements": (20_000, 10_000)}
    for name, (full, small) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, small if quick else full)
    args.skip = {s for s in args.skip.split(",") if s}
    args.profile = {s for s in args.profile.split(",") if s}
    args.sizes = sorted({int(x.replace("_", "")) for x in args.sizes.split(",") if x.strip()})
    if args.sizes:
        args.store_size = args.sizes[-1]
    return args


def git_commit():
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""



def _children_cpu_seconds():
    """User + system CPU seconds of this process's children that were waited for (the clients)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

def main(argv=None):
    args = parse_args(argv)
    mongo_url = os.environ.get("LRS_BENCH_MONGODB_URL")
    gen = Generator(args.seed)
    batch_n = args.batch_statements
    single_n = 0 if "single" in args.skip else args.single_statements
    store_size = max(args.store_size, batch_n + single_n)
    final_n = 0 if "final" in args.skip else args.final_batch_statements
    workdir = tempfile.mkdtemp(prefix="lrs-bench-")
    server = None
    backend = "sqlite"
    db_path = args.db_path
    extra_env = dict(item.split("=", 1) for item in args.server_env)
    floors = {}
    if args.floor_statements and "floor" not in args.skip:
        # before the server starts, so that nothing else of the run competes for the cores
        for synchronous in ("FULL", "NORMAL"):
            floors[synchronous] = floor.measure(args.seed, args.floor_statements, args.batch_size,
                                                max(200, args.floor_statements // 10), synchronous, workdir)
            print("in-process floor (synchronous=%s): batch %.0f statements/s, single %.0f statements/s"
                  % (synchronous, floors[synchronous]["batch_per_s"], floors[synchronous]["single_per_s"]),
                  flush=True)
    if args.url:
        if not (args.key and args.secret):
            raise SystemExit("--url needs --key and --secret (or LRS_BENCH_KEY / LRS_BENCH_SECRET)")
        endpoint = Endpoint(args.url, args.key, args.secret)
        master_pid = args.server_pid
        backend = "external"
    else:
        if mongo_url:
            backend = "mongodb"
            prepare_mongo(mongo_url, args.mongo_drop)
            database_url = mongo_url
        else:
            db_path = os.path.join(workdir, "lrs.sqlite3")
            database_url = "sqlite:///" + db_path
        server = Server(database_url, workdir, extra_env, args.workers)
        print("server: %s (log %s)" % (" ".join(server.command[1:]), server.log_path), flush=True)
        server.wait_ready()
        endpoint = Endpoint(server.url, server.key, server.secret)
        master_pid = server.pid
    status, data, _ = Client(endpoint).request("GET", endpoint.statements_path({"limit": "1"}))
    if status != 200:
        raise SystemExit("GET /xapi/statements answered %s: %s" % (status, data[:300]))
    if json.loads(data).get("statements"):
        raise SystemExit("the store already holds statements; the benchmark needs an empty one")
    sampler = None
    if master_pid:
        sampler = RssSampler(master_pid)
        sampler.start()
    results = {"meta": {
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git_commit(), "backend": backend, "machine": platform.platform(),
        "cpus": os.cpu_count(), "python": platform.python_version(), "quick": args.quick,
        "seed": args.seed, "store_size": store_size, "clients": args.clients, "batch_size": args.batch_size,
        "query_limit": args.query_limit, "page_limit": args.page_limit, "server_env": extra_env,
        "workers": len(sampler.workers()) if sampler else None,
        "bytes_per_statement_sent": len(gen.batch_body(0, 1000)) / 1000.0,
    }, "phases": {}, "floor": floors,
        "targets": {k: {"op": v[0], "target": v[1], "unit": v[2]} for k, v in TARGETS.items()}}
    phases = results["phases"]
    profiles = results.setdefault("profiles", {})
    interrupted = False
    written_elsewhere = []          # statements of the reads-during-writes and soak phases

    def profiled(tag, fn):
        prof = Profiler(workdir if args.keep else os.path.dirname(args.json) or ".", master_pid,
                        args.profile_rate, tag) if tag in args.profile and master_pid else None
        if prof:
            os.makedirs(prof.outdir, exist_ok=True)
        server_cpu = cpu_seconds(master_pid) if master_pid else None
        clients_cpu = _children_cpu_seconds()
        out = fn(prof.start if prof else None)
        if isinstance(out, dict) and out.get("statements"):
            # CPU per statement: unlike the rate, it hardly moves when other work shares the machine
            # (the clients are joined by now, py-spy not yet)
            if server_cpu is not None:
                out["server_cpu_us"] = (cpu_seconds(master_pid) - server_cpu) / out["statements"] * 1e6
            out["clients_cpu_us"] = (_children_cpu_seconds() - clients_cpu) / out["statements"] * 1e6
        if prof:
            profiles[tag] = prof.stop()
        return out

    def say(text):
        print("[%s] %s" % (time.strftime("%H:%M:%S"), text), flush=True)

    try:
        # 1. batch ingest (bodies generated before the clock starts)
        say("batch ingest: %d statements in POSTs of %d from %d clients" % (batch_n, args.batch_size, args.clients))
        phases["batch_ingest"] = profiled("batch", lambda hook: run_ingest(
            endpoint, args.seed, 0, batch_n, args.batch_size, args.clients, False, True,
            args.phase_timeout, hook))
        say("  %.0f statements/s" % phases["batch_ingest"]["statements_per_s"])
        # 2. single ingest, inside a time window nothing else writes in (a known since/until subset)
        time.sleep(0.05)
        single_window = (int(time.time() * 1000) - 1, None)
        time.sleep(0.05)
        if single_n:
            say("single ingest: %d statements, one per POST, from %d clients" % (single_n, args.single_clients))
            phases["single_ingest"] = profiled("single", lambda hook: run_ingest(
                endpoint, args.seed, batch_n, batch_n + single_n, 1, args.single_clients, True, True,
                args.phase_timeout, hook))
            say("  %.0f statements/s" % phases["single_ingest"]["statements_per_s"])
        time.sleep(0.05)
        single_window = (single_window[0], int(time.time() * 1000) + 1)
        time.sleep(0.05)
        # 3. bulk load up to the store size (generated on the fly by the clients)
        loaded = batch_n + single_n
        checker = Checker(gen, loaded)
        windows = [(int(phases["batch_ingest"]["t0"] * 1000), int(phases["batch_ingest"]["t1"] * 1000))]
        processes = max(1, min(4, os.cpu_count() or 1))

        def queries(n, counts, upto):
            """Filtered queries from --query-clients at once; counts None: writes go on meanwhile,
            statements up to number `upto` may come back and result sizes are not checked."""
            checker.loaded = max(checker.loaded, upto)
            return run_queries_concurrent(endpoint, gen, checker, counts,
                                          QUERY_KINDS, n, args.query_limit, loaded, windows,
                                          args.seed * 7 + len(phases), args.query_clients, args.check_inline)

        for size in [x for x in args.sizes if x < store_size] + [store_size]:
            if size <= loaded:
                continue
            say("bulk load: %d statements to reach %d" % (size - loaded, size))
            part = profiled("bulk", lambda hook: run_ingest(
                endpoint, args.seed, loaded, size, args.batch_size, args.clients, False, False,
                args.phase_timeout, hook))
            say("  %.0f statements/s over %.0f s" % (part["statements_per_s"], part["seconds"]))
            windows.append((int(part["t0"] * 1000), int(part["t1"] * 1000)))
            if "bulk_load" in phases:          # the figures of all parts together
                b = phases["bulk_load"]
                b["statements"] += part["statements"]
                b["seconds"] += part["seconds"]
                b["errors"] += part["errors"]
                b["statements_per_s"] = b["statements"] / b["seconds"]
            else:
                phases["bulk_load"] = part
            loaded = size
            if size < store_size:                     # a step of --sizes: rate and p95 at this size
                counts = count_keys(args.seed, [(0, loaded)], processes)
                checker = Checker(gen, loaded)
                phases.setdefault("scaling", {})[str(size)] = {
                    "ingest_per_s": part["statements_per_s"],
                    "queries": queries(args.queries, counts, loaded)}
                say("  at %d: query p95 %s ms" % (size, ", ".join(
                    "%s %.1f" % (k, v["p95_ms"]) for k, v in phases["scaling"][str(size)]["queries"].items())))
        # 4. expected result sizes (not timed)
        say("counting the expected size of every filter's result (client side, not timed)")
        counts = count_keys(args.seed, [(0, loaded)], processes)
        checker = Checker(gen, loaded)
        rng = random.Random(args.seed * 7 + 1)
        # 5. GET by id
        say("GET by statementId: %d" % args.gets)
        phases["get_by_id"] = run_get_by_id(endpoint, gen, checker, args.gets, loaded, rng)
        # 6. filtered queries
        say("filtered queries: %d of each kind, limit %d, from %d clients at once"
            % (args.queries, args.query_limit, args.query_clients))
        queries_started = time.time()
        phases["queries"] = profiled("queries", lambda hook: (hook and hook(), queries(
            args.queries, counts, loaded))[1])
        queries_seconds = time.time() - queries_started
        if args.sizes and "bulk_load" in phases:
            phases.setdefault("scaling", {})[str(loaded)] = {"ingest_per_s": part["statements_per_s"], "queries": phases["queries"]}
        for kind in QUERY_KINDS:
            q = phases["queries"][kind]
            say("  %-17s p50 %6.2f  p95 %6.2f  p99 %6.2f ms" % (kind, q["p50_ms"], q["p95_ms"], q["p99_ms"]))
        # 7. known subsets paged to their end
        if "subsets" not in args.skip:
            say("known subsets: paging whole results and comparing with what was sent")
            phases["known_subsets"] = run_known_subsets(
                endpoint, gen, checker, counts, loaded, single_window, (batch_n, batch_n + single_n),
                rng, args.subsets, 5000)
        # 8. the full read through more
        if "read" not in args.skip:
            say("reading all %d statements through more (limit %d)" % (loaded, args.page_limit))
            phases["read_all"] = profiled("read", lambda hook: (hook and hook(), run_read_all(
                endpoint, checker, loaded, args.page_limit, args.content_every))[1])
            say("  %.0f statements/s" % phases["read_all"]["statements_per_s"])
        # 8b. reads while writes go on: paced writers, concurrent queries (result sizes unchecked)
        if args.rw_writers and "rw" not in args.skip:
            rate = args.rw_rate * phases["batch_ingest"]["statements_per_s"]
            reserve = 10 ** 7
            say("reads during writes: %d writers at %.0f statements/s in all, %d query clients"
                % (args.rw_writers, rate, args.query_clients))
            # the writers' bodies are generated before the clock, like the batch phase's: made while
            # sending, they cost ~29 us of CPU per statement on the cores the server and the queries
            # share. Enough for three times the query phase without writes, and 10 s more; the time
            # spent generating any made after that is reported (client_generate_s)
            ahead = int(rate * (3 * queries_seconds + 10))
            rw = run_ingest(endpoint, args.seed, loaded, loaded + reserve, args.batch_size, args.rw_writers,
                            False, ahead, args.phase_timeout, rate=rate,
                            during=lambda: queries(args.queries, None, loaded + reserve))
            rw["queries"] = rw.pop("during")
            rw["target_rate"] = rate
            phases["reads_during_writes"] = rw
            say("  writers %.0f statements/s; query p95 %s ms" % (rw["statements_per_s"], ", ".join(
                "%s %.1f" % (k, v["p95_ms"]) for k, v in rw["queries"].items())))
            written_elsewhere.append(rw["statements"])
            loaded += reserve
        # 9. batch ingest into the full store
        if final_n:
            checker.loaded = loaded + final_n
            say("batch ingest into the full store: %d statements" % final_n)
            phases["batch_ingest_full"] = run_ingest(
                endpoint, args.seed, loaded, loaded + final_n, args.batch_size, args.clients, False, True,
                args.phase_timeout)
            say("  %.0f statements/s" % phases["batch_ingest_full"]["statements_per_s"])
            loaded += final_n
        # 10. soak: memory over a long run of writes and reads
        if args.soak_seconds:
            soak = results["soak"] = {"rss_mb": []}
            t_end = time.time() + args.soak_seconds
            rate = args.rw_rate * phases["batch_ingest"]["statements_per_s"]
            say("soak: %d s of batch writes at %.0f statements/s and queries; worker RSS every 10 s"
                % (args.soak_seconds, rate))

            def soak_reads():
                while time.time() < t_end:
                    queries(max(8, args.query_clients * 2), None, loaded + 10 ** 8)
                    if sampler:
                        sampler.sample()
                        soak["rss_mb"].append([round(time.time() - t_end + args.soak_seconds)] + sorted(
                            round(rss / 1024.0) for rss in sampler.current_kb().values()))
                        say("  %s" % soak["rss_mb"][-1])
                    time.sleep(10)

            w = run_ingest(endpoint, args.seed, loaded, loaded + 10 ** 8, args.batch_size, args.clients, False,
                           False, args.soak_seconds + 600, rate=rate, during=soak_reads)
            soak["statements"] = w["statements"]
            soak["statements_per_s"] = w["statements_per_s"]
            written_elsewhere.append(w["statements"])
        results["checks"] = {"failures": dict(checker.failures), "examples": checker.examples}
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted; reporting what was measured", file=sys.stderr)
    finally:
        if sampler:
            sampler.stop()
            workers = {str(pid): kb / 1024.0 for pid, kb in sampler.peak_kb.items()}
            results["rss"] = {"workers_mb": workers, "max_worker_mb": max(workers.values()) if workers else None,
                              "master_mb": sampler.master_peak_kb / 1024.0}
        total_statements = phases.get("batch_ingest", {}).get("statements", 0) + \
            phases.get("single_ingest", {}).get("statements", 0) + \
            phases.get("bulk_load", {}).get("statements", 0) + \
            phases.get("batch_ingest_full", {}).get("statements", 0) + sum(written_elsewhere)
        try:
            size = None
            if backend == "mongodb":
                size = mongo_size(mongo_url)
            elif db_path:
                size = sqlite_size(db_path)
            if size and total_statements:
                size["statements"] = total_statements
                size["bytes_per_statement"] = size["total"] / total_statements
                results["db_size"] = size
        except Exception as error:          # size is a side figure; never lose the run for it
            results["db_size_error"] = repr(error)
        if server:
            server.stop()
            if server.process.returncode not in (0, -signal.SIGTERM, None):
                results["meta"]["server_exit"] = server.process.returncode
            if backend == "sqlite" and results.get("db_size"):
                try:         # the server's last close checkpointed the WAL into the file
                    at_rest = sqlite_at_rest(db_path)
                    results["db_size"].update(at_rest)
                    results["db_size"]["at_rest_bytes_per_statement"] = at_rest["at_rest"] / total_statements
                except Exception as error:
                    results["db_size_error"] = repr(error)
        if backend == "mongodb" and args.mongo_drop:
            drop_mongo(mongo_url)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print("kept %s" % workdir)
    rows = build_rows(results)
    results["table"] = rows
    print()
    print_table(rows)
    fails = results.get("checks", {}).get("failures", {})
    if fails:
        print("\nWRONG ANSWERS: %s" % ", ".join("%s: %d" % kv for kv in fails.items()))
        for example in results["checks"]["examples"][:10]:
            print("  - " + example)
    for phase in ("batch_ingest", "single_ingest", "bulk_load", "batch_ingest_full"):
        for example in phases.get(phase, {}).get("examples", [])[:3]:
            print("  - %s: %s" % (phase, example))
    for tag, summary in profiles.items():
        print("\nprofile of the %s phase (py-spy, all workers)" % tag)
        if "error" in summary:
            print("  " + summary["error"])
        else:
            print(hotspots.format_summary({k: v[:15] if isinstance(v, list) else v
                                           for k, v in summary.items() if k != "files"}))
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as handle:
        json.dump(results, handle, indent=1, default=str)
    print("\nresults: %s" % args.json)
    wrong = bool(fails) or any(phases.get(p, {}).get("errors") for p in
                               ("batch_ingest", "single_ingest", "bulk_load", "batch_ingest_full"))
    return 2 if interrupted else (1 if wrong else 0)


if __name__ == "__main__":
    sys.exit(main())
