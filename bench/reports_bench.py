"""The auditors' reports (issue 13) on a large store: a learner's transcript (p95 latency, target
<= 50 ms) and the completions of one activity (statements scanned per second, target >= 50,000/s).

    .venv/bin/python bench/reports_bench.py --statements 1000000 --path /tmp/lrs-reports-bench.sqlite3
    .venv/bin/python bench/reports_bench.py --statements 100000             # a quicker look

The store is filled with the statements of bench/generate.py (a public-sector micro-learning
catalogue: 20,000 learners, 40 courses of 6 modules, sessions of 12 statements), prepared as the
statement service prepares them (index keys, authority) and inserted through the store directly
(no HTTP, no validation), which is much faster than POSTing them. Re-running on an existing file
skips the load when it already holds enough statements. The reports are timed through the
report service (lrs/reports/service.py), JSON serialisation included, without HTTP:

- transcript: `--samples` random learners, one at a time; p50/p95/max.
- completions: every course with include_children=true (the course, its modules, and the videos,
  podcasts and quizzes that name the course as grouping), one after another; statements scanned
  (read from the store and matched) divided by the time. Also one module alone.
- history: the whole period by week (every statement of the store is read): statements/s.

This is a measurement for people, not a test: nothing here fails on a target missed.
"""
import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.generate import N_COURSES, N_LEARNERS, N_MODULES, SITE, Generator  # noqa: E402
from lrs.auth import Principal  # noqa: E402
from lrs.reports.service import ReportService  # noqa: E402
from lrs.store import InsertBatch, StatementRecord, open_storage  # noqa: E402
from lrs.xapi.agents import agent_key  # noqa: E402
from lrs.xapi.keys import index_keys  # noqa: E402
from lrs.xapi.report_facts import report_facts  # noqa: E402

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example.gov", "name": "bench"}}


def record(statement):
    """A StatementRecord as lrs/xapi/statements.py prepares it for a valid 1.0.3 statement (its report
    facts included)."""
    statement["authority"] = AUTHORITY
    statement["version"] = "1.0.3"
    obj = statement["object"]
    target = obj["id"].lower() if obj.get("objectType") == "StatementRef" else None
    return StatementRecord(id=statement["id"].lower(), statement=statement, index_keys=index_keys(statement),
                           ref_target=target, authority_key=agent_key(AUTHORITY), report_facts=report_facts(statement))


def load(storage, store_id, generator, count, batch):
    have = storage.last_seq(store_id)
    if have >= count:
        return
    print("loading statements %d..%d in batches of %d ..." % (have, count, batch), flush=True)
    started, number = time.perf_counter(), have
    defined = set()
    while number < count:
        statements = [generator.statement(i) for i in range(number, min(count, number + batch))]
        definitions = {}
        for statement in statements:
            obj = statement["object"]
            if "definition" in obj and obj["id"] not in defined:
                definitions[obj["id"]] = obj["definition"]
                defined.add(obj["id"])
        storage.insert_statements(store_id, InsertBatch(
            statements=[record(statement) for statement in statements], activity_definitions=definitions,
            merge_definition=lambda current, incoming: incoming if current is None else current))
        number += len(statements)
        if number % 100_000 < batch:
            print("  %d statements, %.0f/s" % (number, (number - have) / (time.perf_counter() - started)), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--path", default=os.path.join(tempfile.gettempdir(), "lrs-reports-bench.sqlite3"))
    parser.add_argument("--url", default=None, help="another database URL (e.g. mongodb://...) instead of --path")
    parser.add_argument("--samples", type=int, default=200, help="learners whose transcript is timed")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    url = args.url or "sqlite:///" + args.path
    storage = open_storage(url, **({"synchronous": "NORMAL"} if url.startswith("sqlite") else {}))
    store = storage.get_store("bench") or storage.create_store("bench")
    generator = Generator(args.seed)
    load(storage, store.id, generator, args.statements, args.batch)
    statements = storage.last_seq(store.id)
    service = ReportService(storage, "1.0.3")
    principal = Principal(key="bench", store_id=store.id, scopes=frozenset({"reports/read"}), name="", admin=False)
    print("store: %d statements (%s)" % (statements, url))

    cpu = [0.0]

    def run(report, params):
        """(wall seconds, the report's text); cpu[0] adds this process's CPU seconds (on a shared
        machine the wall time includes waiting for a core: the CPU figure says what a quiet one gives)."""
        started, started_cpu = time.perf_counter(), time.process_time()
        media_type, chunks = getattr(service, report)(principal, params, None)
        text = "".join(chunks)
        cpu[0] += time.process_time() - started_cpu
        return time.perf_counter() - started, text

    rng = random.Random(args.seed)
    times, lines = [], 0
    for _ in range(args.samples):
        agent = Generator.agent_ifi(generator.learner_agent(rng.randrange(N_LEARNERS)))
        elapsed, text = run("transcript", {"agent": json.dumps(agent)})
        times.append(elapsed)
        lines += len(json.loads(text)["activities"])
    times.sort()
    print("transcript: %d learners, %.1f lines each; p50 %.1f ms, p95 %.1f ms, max %.1f ms (target p95 <= 50 ms)"
          % (len(times), lines / len(times), statistics.median(times) * 1000,
             times[max(0, int(len(times) * 0.95) - 1)] * 1000, times[-1] * 1000))

    scanned, spent, cpu[0] = 0, 0.0, 0.0
    for course in range(N_COURSES):
        elapsed, text = run("completions", {"activity": "%s/courses/c%03d" % (SITE, course),
                                            "include_children": "true"})
        scanned += json.loads(text)["summary"]["statements_scanned"]
        spent += elapsed
    print("completions: %d courses with their children, %d statements scanned in %.2f s: %.0f statements/s "
          "(target >= 50,000/s); CPU %.2f s: %.0f statements per CPU second"
          % (N_COURSES, scanned, spent, scanned / spent, cpu[0], scanned / cpu[0]))
    module = "%s/courses/c000/modules/m%d" % (SITE, N_MODULES - 1)
    elapsed, text = run("completions", {"activity": module})
    summary = json.loads(text)["summary"]
    print("completions of one module alone: %d statements scanned, %d lines, in %.1f ms (%.0f statements/s)"
          % (summary["statements_scanned"], summary["lines"], elapsed * 1000,
             summary["statements_scanned"] / elapsed))
    cpu[0] = 0.0
    elapsed, text = run("history", {"since": "2023-12-01T00:00:00Z", "until": "2030-01-01T00:00:00Z", "by": "week"})
    print("history by week over the whole store: %d statements read in %.2f s: %.0f statements/s; "
          "%.0f per CPU second" % (statements, elapsed, statements / elapsed, statements / cpu[0]))
    storage.close()


if __name__ == "__main__":
    main()
