"""The load: ingest from separate client processes (batches or single statements), filtered
queries, GET by id, the full read through `more` and known subsets; each figure is timed and each
answer handed to the checker."""
import json
import multiprocessing
import threading
import time

from .checker import Sampled, check_page, expected_count
from .client import Client, format_ms, latency_summary
from .generate import PROFILE_ID, VIDEO_PROFILE, Generator

QUERY_KINDS = ["agent", "agent_verb", "activity", "activity_related", "registration", "verb",
               "since_until"]


# --- client processes: ingest -----------------------------------------------------------

def _ingest_client(endpoint, seed, chunks, single, ahead, barrier, queue, deadline_s,
                   pace_s=0.0, stop=None):
    """POST `chunks` ((start, stop) statement numbers); the first `ahead` are generated before the
    clock starts, the rest while sending (their generation time is reported)."""
    gen = Generator(seed)
    client = Client(endpoint)
    result = {"statements": 0, "requests": 0, "errors": 0, "examples": [], "latencies": [],
              "generate_s": 0.0}

    def make(start, stop):
        ids = [gen.statement_id(i) for i in range(start, stop)]
        if single:
            body = gen.statement_json(start).encode()
        else:
            body = gen.batch_body(start, stop)
        return ids, body

    work = [make(a, b) for a, b in chunks[:ahead]]
    try:
        barrier.wait(600)
    except threading.BrokenBarrierError:
        queue.put(result)
        return
    started = time.time()
    path = endpoint.statements_path()
    for n, (a, b) in enumerate(chunks):
        if stop is not None and stop.is_set():
            break
        if pace_s:                                  # at most one POST per pace_s (a paced writer)
            wait = started + n * pace_s - time.time()
            if wait > 0:
                time.sleep(wait)
        if time.time() - started > deadline_s:
            result["errors"] += 1
            result["examples"].append("phase deadline of %d s reached" % deadline_s)
            break
        if n < len(work):
            ids, body = work[n]
            work[n] = None
        else:
            g0 = time.perf_counter()
            ids, body = make(a, b)
            result["generate_s"] += time.perf_counter() - g0
        t0 = time.perf_counter()
        try:
            status, data, _ = client.request("POST", path, body)
        except OSError as error:
            status, data = None, repr(error).encode()
        result["latencies"].append(time.perf_counter() - t0)
        result["requests"] += 1
        ok = False
        if status == 200:
            try:
                ok = json.loads(data) == ids            # SPOST-1: the ids, in order
            except ValueError:
                ok = False
            if not ok and len(result["examples"]) < 5:
                result["examples"].append("POST %d..%d answered ids %s" % (a, b - 1, data[:200]))
        elif len(result["examples"]) < 5:
            result["examples"].append("POST %d..%d: %s %s" % (a, b - 1, status, data[:300]))
        if ok:
            result["statements"] += b - a
        else:
            result["errors"] += 1
    result["t0"] = started
    result["t1"] = time.time()
    client.close()
    queue.put(result)


def run_ingest(endpoint, seed, start, stop, batch, clients, single, pregenerate, deadline_s,
               on_started=None, rate=None, stop_event=None, during=None):
    """Send statements start..stop-1 from `clients` processes; returns the phase figures.

    pregenerate: True (every body generated before the clock starts), False (each generated while
    sending), or how many statements in all to generate before the clock (the rest while sending);
    rate: statements/s of all clients together (paced; None: as fast as they can); stop_event:
    a multiprocessing Event that ends the phase early; during: called once the clients run, the
    phase ends when it returns (with stop_event set by the caller)."""
    ctx = multiprocessing.get_context("fork")
    if during is not None and stop_event is None:
        stop_event = ctx.Event()
    pace_s = (clients * (1 if single else batch) / float(rate)) if rate else 0.0
    step = 1 if single else batch
    chunks = [(a, min(a + step, stop)) for a in range(start, stop, step)]
    per_client = [chunks[c::clients] for c in range(clients)]
    if pregenerate is True or pregenerate is False:
        ahead = len(chunks) if pregenerate else 0
    else:
        ahead = -(-int(pregenerate) // (clients * step))          # chunks per client, rounded up
    barrier = ctx.Barrier(clients + 1)
    queue = ctx.Queue()
    procs = [ctx.Process(target=_ingest_client,
                         args=(endpoint, seed, per_client[c], single, ahead, barrier, queue,
                               deadline_s, pace_s, stop_event))
             for c in range(clients)]
    for p in procs:
        p.start()
    barrier.wait(600)
    if on_started:
        on_started()
    during_result = None
    if during:
        try:
            during_result = during()
        finally:
            stop_event.set()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    t0 = min(r.get("t0", time.time()) for r in results)
    t1 = max(r.get("t1", time.time()) for r in results)
    sent = sum(r["statements"] for r in results)
    latencies = [x for r in results for x in r["latencies"]]
    stopped_early = stop_event is not None and stop_event.is_set()
    return {
        "during": during_result,
        "statements": sent, "expected": sent if stopped_early else stop - start, "requests": sum(r["requests"] for r in results),
        "seconds": t1 - t0, "statements_per_s": sent / (t1 - t0) if t1 > t0 else 0.0,
        "errors": sum(r["errors"] for r in results) + (not stopped_early and stop - start - sent > 0),
        "examples": [e for r in results for e in r["examples"]][:10],
        "request_latency": latency_summary(latencies),
        "client_generate_s": sum(r["generate_s"] for r in results),
        "t0": t0, "t1": t1, "clients": clients, "batch": 1 if single else batch,
    }


# --- queries -------------------------------------------------------------------------------

def draw_queries(gen, rng, kind, n, loaded, windows, limit):
    """n (params, expectation) pairs of one kind, drawn from the statements that were loaded."""
    out = []
    while len(out) < n:
        i = rng.randrange(loaded)
        p = gen.plan(i)
        if p.kind != "statement":
            continue
        actor = gen.actor_of(p)
        agent = json.dumps(gen.agent_ifi(gen.learner_agent(p.learner)), separators=(",", ":"))
        if kind == "agent":
            params, q = {"agent": agent}, {"actor": actor}
        elif kind == "agent_verb":
            params, q = {"agent": agent, "verb": p.verb}, {"actor": actor, "verb": p.verb}
        elif kind == "activity":
            params, q = {"activity": p.object_id}, {"activity": p.object_id}
        elif kind == "activity_related":
            choices = sorted(a for a in p.related if a not in (PROFILE_ID, VIDEO_PROFILE))
            a = rng.choice(choices)
            params, q = {"activity": a, "related_activities": "true"}, {"related": a}
        elif kind == "registration":
            params, q = {"registration": p.registration}, {"registration": p.registration}
        elif kind == "verb":
            params, q = {"verb": p.verb}, {"verb": p.verb}
        elif kind == "since_until":
            lo, hi = rng.choice(windows)
            width = min(60000, max(1, hi - lo))
            since = rng.randrange(lo, max(lo + 1, hi - width))
            params = {"since": format_ms(since), "until": format_ms(since + width)}
            q = {"since_ms": since, "until_ms": since + width}
        else:
            raise ValueError(kind)
        params["limit"] = str(limit)
        out.append((params, q))
    return out


def run_queries(endpoint, gen, checker, counts, kinds, n, limit, loaded, windows, rng, check_inline=False,
                before_check=None):
    """n queries of each kind, one at a time; each answer is read (parsed) as a client would, and
    checked in full (every statement regenerated and compared) once every query is answered, off
    the clock: the check costs the client ~2.7 times the server's CPU for a page of 100 and, on a
    machine the clients share with the server, made the latencies measure the checker (bench/README.md,
    "Answers checked after the clock"). check_inline: check each answer at once (the measurement
    before); before_check: called between the timed queries and the checks (a barrier of the clients)."""
    client = Client(endpoint)
    results, answers = {}, []
    for kind in kinds:
        queries = draw_queries(gen, rng, kind, n, loaded, windows, limit)
        latencies = []
        results[kind] = {"returned": 0, "failures": 0, "latencies": latencies}
        for params, q in queries:
            path = endpoint.statements_path(params)
            t0 = time.perf_counter()
            status, data, _ = client.request("GET", path)
            latencies.append(time.perf_counter() - t0)
            if check_inline:
                _check_answer(results, checker, counts, limit, (kind, path, status, data, q))
            else:
                if status == 200:
                    try:
                        json.loads(data)                  # what any client does with the page
                    except ValueError:
                        pass                              # reported by the check
                answers.append((kind, path, status, data, q))
    client.close()
    if before_check is not None:
        before_check()
    for answer in answers:
        _check_answer(results, checker, counts, limit, answer)
    for kind in kinds:
        figures = results[kind]
        latencies = figures["latencies"]
        results[kind] = dict(latency_summary(latencies), returned_per_query=figures["returned"] / max(1, len(latencies)),
                             failures=figures["failures"], latencies=latencies, returned=figures["returned"])
    return results


def _check_answer(results, checker, counts, limit, answer):
    kind, path, status, data, q = answer
    figures = results[kind]
    before = checker.total()
    if status != 200:
        checker.fail("query " + kind, "GET %s: %s %s" % (path, status, data[:200]))
    else:
        expected = expected_count(counts, q) if counts is not None else None
        statements, _, _ = check_page(checker, "query " + kind, data, q, expected, limit)
        figures["returned"] += len(statements)
    figures["failures"] += checker.total() - before


def _query_client(endpoint, gen, checker, counts, kinds, n, limit, loaded, windows, seed, barrier, queue,
                  check_inline, answered):
    import random
    try:
        barrier.wait(600)
    except threading.BrokenBarrierError:
        queue.put(({}, {}, []))
        return
    def all_answered():
        try:
            answered.wait(600)
        except threading.BrokenBarrierError:    # a client died: check what this one has anyway
            pass
    results = run_queries(endpoint, gen, checker, counts, kinds, n, limit, loaded, windows, random.Random(seed),
                          check_inline, all_answered)
    queue.put((results, dict(checker.failures), checker.examples))


def run_queries_concurrent(endpoint, gen, checker, counts, kinds, n, limit, loaded, windows, seed, clients,
                           check_inline=False):
    """run_queries from `clients` processes at once, n queries of each kind in all (each client
    its own share and draw); latency percentiles over the answers of all clients, whose checks start
    once every client has had all its answers. counts None: the store is being written meanwhile,
    result sizes are not checked (every statement still is)."""
    if clients <= 1:
        import random
        results = run_queries(endpoint, gen, checker, counts, kinds, n, limit, loaded, windows,
                              random.Random(seed), check_inline)
    else:
        ctx = multiprocessing.get_context("fork")
        barrier = ctx.Barrier(clients + 1)
        answered = ctx.Barrier(clients)
        queue = ctx.Queue()
        share = max(1, n // clients)
        procs = [ctx.Process(target=_query_client, args=(endpoint, gen, type(checker)(gen, checker.loaded),
                                                         counts, kinds, share, limit, loaded, windows,
                                                         seed * 1000 + c, barrier, queue, check_inline, answered))
                 for c in range(clients)]
        for p in procs:
            p.start()
        barrier.wait(600)
        parts = [queue.get() for _ in procs]
        for p in procs:
            p.join()
        results = {}
        for kind in kinds:
            latencies = [x for part, _, _ in parts for x in part.get(kind, {}).get("latencies", [])]
            returned = sum(part.get(kind, {}).get("returned", 0) for part, _, _ in parts)
            failures = sum(part.get(kind, {}).get("failures", 0) for part, _, _ in parts)
            results[kind] = dict(latency_summary(latencies), returned_per_query=returned / max(1, len(latencies)),
                                 failures=failures)
        for _, failures, examples in parts:
            checker.failures.update(failures)
            checker.examples.extend(examples[:max(0, 20 - len(checker.examples))])
    for kind in kinds:
        results[kind].pop("latencies", None)
        results[kind].pop("returned", None)
        results[kind]["clients"] = clients
    return results


def run_get_by_id(endpoint, gen, checker, n, loaded, rng):
    client = Client(endpoint)
    latencies = []
    before = checker.total()
    for _ in range(n):
        i = rng.randrange(loaded)
        path = endpoint.statements_path({"statementId": gen.statement_id(i)})
        t0 = time.perf_counter()
        status, data, _ = client.request("GET", path)
        latencies.append(time.perf_counter() - t0)
        if status != 200:
            checker.fail("get by id", "statement %d: %s %s" % (i, status, data[:200]))
            continue
        try:
            st = json.loads(data)
        except ValueError:
            checker.fail("get by id", "statement %d: not JSON" % i)
            continue
        if checker.index("get by id", st) == i:
            checker.content("get by id", i, st)
        else:
            checker.fail("get by id", "asked for %d, got another statement" % i)
    client.close()
    return dict(latency_summary(latencies), failures=checker.total() - before)


def page_through(client, endpoint, checker, where, params, q, expected, seen, max_pages):
    """Follow `more` to the end; returns (statements, pages, seconds, client parse+check seconds,
    seconds waiting for HTTP answers)."""
    path = endpoint.statements_path(params)
    limit = int(params.get("limit", "0")) or 10 ** 9
    total = pages = 0
    parse_s = http_s = 0.0
    last_stored = None
    t0 = time.perf_counter()
    while path and pages < max_pages:
        h0 = time.perf_counter()
        status, data, _ = client.request("GET", path)
        http_s += time.perf_counter() - h0
        pages += 1
        if status != 200:
            checker.fail(where, "GET %s: %s %s" % (path, status, data[:200]))
            break
        p0 = time.perf_counter()
        statements, more, last_stored = check_page(checker, where, data, q, None, limit, seen, last_stored)
        parse_s += time.perf_counter() - p0
        total += len(statements)
        if len(statements) > limit:
            checker.fail(where, "page of %d statements with limit %d (QRY-23)" % (len(statements), limit))
        if more and not more.startswith("/"):
            checker.fail(where, "more %r is not an absolute path (QRY-41)" % more)
            break
        if more and endpoint.base and not more.startswith(endpoint.base + "/"):
            more = endpoint.base + more
        path = more
    elapsed = time.perf_counter() - t0
    if expected is not None and total != expected:
        checker.fail(where, "%d statements through more, expected %d" % (total, expected))
    return total, pages, elapsed, parse_s, http_s


def run_read_all(endpoint, checker, loaded, page_limit, content_every):
    client = Client(endpoint)
    seen = bytearray(loaded)
    sampled = Sampled(checker, content_every)
    before = checker.total()
    total, pages, elapsed, parse_s, http_s = page_through(
        client, endpoint, sampled, "read all", {"limit": str(page_limit)}, {"since_ms": -1, "until_ms": 2 ** 62},
        loaded, seen, max_pages=loaded // max(1, page_limit) + 100)
    missing = loaded - sum(seen)
    if missing:
        checker.fail("read all", "%d statements never returned" % missing)
    client.close()
    # the figure: statements over the time spent waiting for answers (request sent to last byte
    # read). The client's own parsing and checking between requests is excluded: on a small
    # machine it would otherwise be charged to the server (it is reported beside it).
    return {"statements": total, "pages": pages, "seconds": elapsed, "http_seconds": http_s,
            "statements_per_s": total / http_s if http_s else 0.0,
            "wall_statements_per_s": total / elapsed if elapsed else 0.0,
            "client_parse_and_check_s": parse_s, "page_limit": page_limit,
            "content_checked_every": content_every, "failures": checker.total() - before}


def run_known_subsets(endpoint, gen, checker, counts, loaded, single_window, single_range, rng,
                      per_kind, max_expected):
    """Page through whole results whose exact size is known and check each of them."""
    client = Client(endpoint)
    results = {}
    before = checker.total()
    # since/until around the single-ingest phase: exactly those statements (QRY-21)
    lo, hi = single_window
    seen = bytearray(loaded)
    q = {"since_ms": lo, "until_ms": hi}
    total, pages, _, _, _ = page_through(client, endpoint, checker, "subset since/until",
                                      {"since": format_ms(lo), "until": format_ms(hi), "limit": "500"},
                                      q, single_range[1] - single_range[0], seen, 10 ** 6)
    wrong = sum(seen[:single_range[0]]) + sum(seen[single_range[1]:])
    if wrong:
        checker.fail("subset since/until", "%d statements from outside the window" % wrong)
    results["since_until"] = {"expected": single_range[1] - single_range[0], "returned": total}
    for kind in ("agent", "agent_verb", "activity", "activity_related", "registration", "verb"):
        done = 0
        tries = 0
        results[kind] = []
        while done < per_kind and tries < 200:
            tries += 1
            (params, q), = draw_queries(gen, rng, kind, 1, loaded, [(0, 1)], 500)
            expected = expected_count(counts, q)
            if kind == "verb":               # every verb is common: narrow to one registration
                (p2, q2), = draw_queries(gen, rng, "registration", 1, loaded, [(0, 1)], 500)
                params.update(p2)
                q.update(q2)
                expected = None
            if expected is not None and expected > max_expected:
                continue
            seen = bytearray(loaded)
            total, pages, _, _, _ = page_through(client, endpoint, checker, "subset " + kind, params, q,
                                              expected, seen, 10 ** 6)
            if kind == "verb":
                # the full registration result, filtered here, must equal the verb+registration answer
                seen2 = bytearray(loaded)
                rparams = {"registration": q["registration"], "limit": "500"}
                page_through(client, endpoint, checker, "subset verb (registration)", rparams,
                             {"registration": q["registration"]},
                             counts.get(("registration", q["registration"])), seen2, 10 ** 6)
                want = sum(1 for i, v in enumerate(seen2) if v and checker.matches(i, q))
                if total != want:
                    checker.fail("subset verb", "%d statements for verb+registration, expected %d"
                                 % (total, want))
                expected = want
            results[kind].append({"params": {k: v for k, v in params.items() if k != "limit"},
                                  "expected": expected, "returned": total})
            done += 1
    client.close()
    results["failures"] = checker.total() - before
    return results
