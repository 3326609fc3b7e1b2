"""Storage benchmark: insert N synthetic statements, then time queries and a full read.

    .venv/bin/python bench/store_bench.py --statements 1000000 --path /tmp/bench.sqlite3
    .venv/bin/python bench/store_bench.py --statements 100000 --url mongodb://127.0.0.1:27017/lrs_bench?replicaSet=rs0

Re-running on an existing file skips the load when it already holds enough statements.
Times are store time only (no HTTP, no validation).
"""
import argparse
import os
import random
import statistics
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lrs.store import InsertBatch, StatementQuery, StatementRecord, open_storage  # noqa: E402

VERBS = ["http://adlnet.gov/expapi/verbs/%s" % v for v in
         ("completed", "attempted", "passed", "failed", "experienced", "answered", "launched",
          "initialized", "terminated", "progressed")]
AGENTS, ACTIVITIES, COURSES, AUTHORITIES = 10_000, 5_000, 100, 5


def synthetic(rng, number):
    agent = "mbox:mailto:learner%d@example.gov" % rng.randrange(AGENTS)
    verb = VERBS[min(int(rng.expovariate(0.6)), len(VERBS) - 1)]
    activity = "http://example.gov/activities/%d" % rng.randrange(ACTIVITIES)
    course = "http://example.gov/courses/%d" % rng.randrange(COURSES)
    registration = str(uuid.UUID(int=rng.getrandbits(128) % (AGENTS * 20)))
    authority = "account:https://lrs.example.gov/credentials|tool%d" % rng.randrange(AUTHORITIES)
    statement_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    statement = {
        "id": statement_id,
        "actor": {"objectType": "Agent", "mbox": agent.split(":", 1)[1], "name": "Learner"},
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[1]}},
        "object": {"objectType": "Activity", "id": activity,
                   "definition": {"name": {"en-US": "Unit %d" % number}, "type": "http://adlnet.gov/expapi/activities/lesson"}},
        "result": {"completion": True, "success": True, "score": {"scaled": 0.83}, "duration": "PT4M12S"},
        "context": {"registration": registration,
                    "contextActivities": {"parent": [{"id": course}]}, "platform": "Microlearning player"},
        "timestamp": "2026-11-28T10:00:00.000Z", "version": "1.0.3",
        "authority": {"objectType": "Agent", "account": {"homePage": "https://lrs.example.gov/credentials",
                                                         "name": authority.rsplit("|", 1)[1]}},
    }
    keys = [("agent", agent), ("related_agent", agent), ("related_agent", authority), ("verb", verb),
            ("activity", activity), ("related_activity", activity), ("related_activity", course),
            ("registration", registration)]
    return StatementRecord(id=statement_id, statement=statement, index_keys=keys, authority_key=authority)


def percentiles(samples):
    samples = sorted(samples)
    return "p50 %.2f ms  p95 %.2f ms  max %.2f ms" % (
        statistics.median(samples) * 1000, samples[int(len(samples) * 0.95) - 1] * 1000, samples[-1] * 1000)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--path", default="/tmp/lrs-store-bench.sqlite3")
    parser.add_argument("--url", default=None)
    parser.add_argument("--synchronous", default="FULL")
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    url = args.url or "sqlite:///" + args.path
    options = {"synchronous": args.synchronous} if url.startswith("sqlite") else {}
    storage = open_storage(url, **options)
    store = storage.get_store("bench") or storage.create_store("bench")
    have = storage.last_seq(store.id)
    rng = random.Random(have)             # new ids when continuing an existing file
    if have < args.statements:
        print("loading %d statements in batches of %d ..." % (args.statements - have, args.batch), flush=True)
        started, batch_times, number = time.perf_counter(), [], have
        while number < args.statements:
            size = min(args.batch, args.statements - number)
            records = [synthetic(rng, number + i) for i in range(size)]
            t0 = time.perf_counter()
            storage.insert_statements(store.id, InsertBatch(statements=records))
            batch_times.append(time.perf_counter() - t0)
            number += size
            if number % 100_000 == 0:
                print("  %d stored, %.0f statements/s" % (number, (number - have) / (time.perf_counter() - started)),
                      flush=True)
        elapsed = time.perf_counter() - started
        print("insert: %.0f statements/s overall; batch of %d: %s"
              % ((args.statements - have) / elapsed, args.batch, percentiles(batch_times)))
    single = []
    for i in range(args.samples // 4):
        record = synthetic(rng, 10**9 + i)
        t0 = time.perf_counter()
        storage.insert_statements(store.id, InsertBatch(statements=[record]))
        single.append(time.perf_counter() - t0)
    print("single-statement insert: %s" % percentiles(single))

    def timed(name, make_query):
        samples, sizes = [], []
        for _ in range(args.samples):
            query = make_query()
            t0 = time.perf_counter()
            page = storage.query_statements(store.id, query)
            samples.append(time.perf_counter() - t0)
            sizes.append(len(page.statements))
        print("%-42s %s  (avg %d returned)" % (name, percentiles(samples), statistics.mean(sizes)))

    last = storage.last_seq(store.id)
    agent = lambda: ("agent", "mbox:mailto:learner%d@example.gov" % rng.randrange(AGENTS))  # noqa: E731
    verb = lambda: ("verb", VERBS[rng.randrange(len(VERBS))])  # noqa: E731
    activity = lambda: ("activity", "http://example.gov/activities/%d" % rng.randrange(ACTIVITIES))  # noqa: E731
    course = lambda: ("related_activity", "http://example.gov/courses/%d" % rng.randrange(COURSES))  # noqa: E731
    timed("no filter, newest 100", lambda: StatementQuery(limit=100, max_seq=last))
    timed("verb, newest 100", lambda: StatementQuery(filters=[verb()], limit=100, max_seq=last))
    timed("agent, newest 100", lambda: StatementQuery(filters=[agent()], limit=100, max_seq=last))
    timed("agent + verb", lambda: StatementQuery(filters=[agent(), verb()], limit=100, max_seq=last))
    timed("activity + verb", lambda: StatementQuery(filters=[activity(), verb()], limit=100, max_seq=last))
    timed("agent + activity (mostly empty)", lambda: StatementQuery(filters=[agent(), activity()], limit=100))
    timed("related course + rare verb", lambda: StatementQuery(filters=[course(), ("verb", VERBS[-1])], limit=100))
    timed("verb, ascending from a random seq", lambda: StatementQuery(
        filters=[verb()], limit=100, ascending=True, after_seq=rng.randrange(last)))
    timed("read/mine (authority) newest 100", lambda: StatementQuery(
        limit=100, authority_key="account:https://lrs.example.gov/credentials|tool%d" % rng.randrange(AUTHORITIES)))
    page_size, count, after = 1000, 0, None
    t0 = time.perf_counter()
    while True:
        page = storage.query_statements(store.id, StatementQuery(limit=page_size, ascending=True, after_seq=after))
        count += len(page.statements)
        if not page.more:
            break
        after = page.statements[-1].seq
    elapsed = time.perf_counter() - t0
    print("full read in pages of %d: %d statements in %.1f s = %.0f statements/s"
          % (page_size, count, elapsed, count / elapsed))
    storage.close()


if __name__ == "__main__":
    main()
