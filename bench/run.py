"""The LRS benchmark: ingest, query and read figures of the real server, every answer checked.

    .venv/bin/python -m bench.run            # full: 1,000,000 statements (about 10-15 minutes)
    .venv/bin/python -m bench.run --quick    # 100,000 statements (about 2 minutes)

It starts gunicorn (`-c deploy/gunicorn.conf.py wsgi:app`) on 127.0.0.1 with a fresh SQLite
database in a temporary directory (or, with LRS_BENCH_MONGODB_URL set, on that MongoDB), or
drives a server already running on 127.0.0.1 (`--url`), from separate client processes over
HTTP. See bench/README.md for what each figure means.
"""
import argparse
import base64
import collections
import datetime
import http.client
import json
import multiprocessing
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

if __package__ in (None, ""):          # `python bench/run.py`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from bench.generate import PROFILE_ID, VIDEO_PROFILE, Generator          # noqa: E402
    from bench import hotspots                                               # noqa: E402
else:
    from .generate import PROFILE_ID, VIDEO_PROFILE, Generator
    from . import hotspots

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSION_HEADER = "1.0.3"

TARGETS = {
    # figure: (comparison, target, unit)
    "batch_ingest": (">=", 5000, "statements/s"),
    "single_ingest": (">=", 1000, "statements/s"),
    "get_by_id": ("<=", 5.0, "ms p95"),
    "query_agent": ("<=", 25.0, "ms p95"),
    "query_agent_verb": ("<=", 25.0, "ms p95"),
    "query_activity": ("<=", 25.0, "ms p95"),
    "query_activity_related": ("<=", 50.0, "ms p95"),
    "query_registration": ("<=", 25.0, "ms p95"),
    "query_verb": ("<=", 25.0, "ms p95"),
    "query_since_until": ("<=", 25.0, "ms p95"),
    "read_all": (">=", 20000, "statements/s"),
    "peak_rss": ("<=", 200.0, "MB per worker"),
}

QUERY_KINDS = ["agent", "agent_verb", "activity", "activity_related", "registration", "verb",
               "since_until"]


# --- small helpers ----------------------------------------------------------------------

def percentile(values, p):
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def latency_summary(seconds):
    ms = [x * 1000.0 for x in seconds]
    return {"n": len(ms), "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95),
            "p99_ms": percentile(ms, 99), "max_ms": max(ms) if ms else None}


def parse_instant_ms(text):
    """Milliseconds since the epoch of an xAPI timestamp."""
    t = text.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    if "." in t:                                    # fromisoformat wants 3 or 6 fraction digits
        head, _, rest = t.partition(".")
        digits = ""
        while rest and rest[0].isdigit():
            digits += rest[0]
            rest = rest[1:]
        t = head + "." + (digits + "000000")[:6] + rest
    dt = datetime.datetime.fromisoformat(t)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return int(round(dt.timestamp() * 1000))


def format_ms(ms):
    dt = datetime.datetime.fromtimestamp(ms / 1000.0, tz=datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Endpoint:
    """Where the LRS is and how to talk to it; picklable for the client processes."""

    def __init__(self, url, key, secret):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http":
            raise SystemExit("--url must be http://127.0.0.1:PORT[/base]")
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("the benchmark only drives a server on this machine (127.0.0.1)")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.base = parts.path.rstrip("/")
        self.auth = "Basic " + base64.b64encode(("%s:%s" % (key, secret)).encode()).decode()

    def statements_path(self, query=None):
        path = self.base + "/xapi/statements"
        return path + ("?" + urllib.parse.urlencode(query) if query else "")


class Client:
    """One keep-alive HTTP connection (reopened whenever the server closes it)."""

    def __init__(self, endpoint, timeout=300):
        self.endpoint = endpoint
        self.timeout = timeout
        self.conn = None
        self.headers = {"Authorization": endpoint.auth, "X-Experience-API-Version": VERSION_HEADER}

    def _connect(self):
        self.conn = http.client.HTTPConnection(self.endpoint.host, self.endpoint.port,
                                               timeout=self.timeout)

    def request(self, method, path, body=None):
        """(status, body bytes, headers); one retry on a dropped keep-alive connection."""
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            if self.conn is None:
                self._connect()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.will_close:
                    self.conn.close()
                    self.conn = None
                return response.status, data, response
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, http.client.BadStatusLine):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()


# --- correctness checks ------------------------------------------------------------------

LRS_SET = ("stored", "authority", "version")


def compare_statement(sent, got):
    """None when `got` (as returned, format=exact) is the statement `sent`, else a reason."""
    if not isinstance(got, dict):
        return "not an object"
    for key in ("stored", "authority", "timestamp", "id"):
        if key not in got:
            return "no %s (QRY-29)" % key
    got = {k: v for k, v in got.items() if k not in LRS_SET}
    try:
        if parse_instant_ms(got["timestamp"]) != parse_instant_ms(sent["timestamp"]):
            return "timestamp %s != %s" % (got["timestamp"], sent["timestamp"])
    except ValueError:
        return "unparseable timestamp %r" % got["timestamp"]
    got["timestamp"] = sent["timestamp"]
    if got != sent:
        diff = sorted(k for k in set(got) | set(sent) if got.get(k) != sent.get(k))
        return "differs in %s" % ", ".join(diff)
    return None


class Checker:
    """Checks returned statements against the generator; counts and keeps a few failures."""

    def __init__(self, gen, loaded):
        self.gen = gen
        self.loaded = loaded        # statement numbers 0..loaded-1 were sent
        self.failures = collections.Counter()
        self.examples = []

    def fail(self, where, reason):
        self.failures[where] += 1
        if len(self.examples) < 20:
            self.examples.append("%s: %s" % (where, reason))

    def index(self, where, statement):
        sid = statement.get("id") if isinstance(statement, dict) else None
        i = self.gen.index_of(sid) if isinstance(sid, str) else None
        if i is None or i >= self.loaded:
            self.fail(where, "statement %r was never sent" % (sid,))
            return None
        return i

    def content(self, where, i, statement):
        reason = compare_statement(self.gen.statement(i), statement)
        if reason:
            self.fail(where, "statement %d: %s" % (i, reason))
            return False
        return True

    def matches(self, i, query):
        """Does statement i match the filters of `query` (QRY-13..QRY-24)?"""
        for p in self.gen.key_groups(i):
            if "actor" in query and self.gen.actor_of(p) != query["actor"]:
                continue
            if "verb" in query and p.verb != query["verb"]:
                continue
            if "activity" in query and p.object_id != query["activity"]:
                continue
            if "related" in query and query["related"] not in p.related:
                continue
            if "registration" in query and p.registration != query["registration"]:
                continue
            return True
        return False

    def total(self):
        return sum(self.failures.values())


# --- key counts: the expected size of every filtered result ----------------------------------

def _count_slice(args):
    seed, start, stop = args
    gen = Generator(seed)
    counts = collections.Counter()
    for i in range(start, stop):
        groups = gen.key_groups(i)
        keys = set()
        for p in groups:
            actor = gen.actor_of(p)
            keys.add(("actor", actor))
            keys.add(("verb", p.verb))
            keys.add(("actor_verb", actor, p.verb))
            keys.add(("registration", p.registration))
            if p.object_id:
                keys.add(("activity", p.object_id))
            for a in p.related:
                keys.add(("related", a))
        counts.update(keys)
    return counts


def count_keys(seed, ranges, processes):
    """Counter of every filter key over the statement numbers in `ranges`."""
    chunks = []
    for start, stop in ranges:
        step = max(1, (stop - start) // (processes * 4) + 1)
        chunks += [(seed, a, min(a + step, stop)) for a in range(start, stop, step)]
    total = collections.Counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for c in pool.imap_unordered(_count_slice, chunks):
            total.update(c)
    return total


# --- the server ---------------------------------------------------------------------------

class Server:
    """gunicorn started by the benchmark, in its own process group."""

    def __init__(self, database_url, workdir, extra_env, workers=None):
        self.database_url = database_url
        self.workdir = workdir
        self.port = free_port()
        self.key = "bench-" + secrets.token_hex(6)
        self.secret = secrets.token_urlsafe(24)
        self.log_path = os.path.join(workdir, "gunicorn.log")
        env = dict(os.environ, LRS_DATABASE_URL=database_url, LRS_ADMIN_KEY=self.key,
                   LRS_ADMIN_SECRET=self.secret, **extra_env)
        if workers:
            env["LRS_WORKERS"] = str(workers)
        command = [sys.executable, "-m", "gunicorn", "-c", os.path.join(ROOT, "deploy", "gunicorn.conf.py"),
                   "-b", "127.0.0.1:%d" % self.port]
        if workers:
            command += ["-w", str(workers)]
        command.append("wsgi:app")
        self.command = command
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.process.pid

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("the server exited with %s; its log: %s\n%s" % (
                    self.process.returncode, self.log_path, self.log_tail()))
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/xapi/about")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit("the server did not answer /xapi/about within %d s; log: %s\n%s"
                         % (timeout, self.log_path, self.log_tail()))

    def log_tail(self, n=30):
        try:
            with open(self.log_path, "rb") as handle:
                return b"\n".join(handle.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
            except ProcessLookupError:
                pass
        self._log.close()


def child_pids(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as handle:
            return [int(x) for x in handle.read().split()]
    except OSError:
        pass
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    children.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return children


def proc_memory_kb(pid):
    """(VmRSS, VmHWM) in kB, or None when the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as handle:
            values = {}
            for line in handle:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    name, value = line.split(":", 1)
                    values[name] = int(value.split()[0])
        return values.get("VmRSS", 0), values.get("VmHWM", 0)
    except OSError:
        return None


class RssSampler(threading.Thread):
    """Samples every gunicorn worker's VmRSS/VmHWM twice a second; keeps each pid's peak."""

    def __init__(self, master_pid):
        super().__init__(daemon=True)
        self.master_pid = master_pid
        self.peak_kb = {}        # worker pid -> max VmHWM seen
        self.master_peak_kb = 0
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def sample(self):
        with self.lock:
            m = proc_memory_kb(self.master_pid)
            if m:
                self.master_peak_kb = max(self.master_peak_kb, m[1])
            for pid in child_pids(self.master_pid):
                mem = proc_memory_kb(pid)
                if mem:
                    self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), mem[0], mem[1])

    def run(self):
        while not self.stopping.wait(0.5):
            self.sample()

    def workers(self):
        return child_pids(self.master_pid)

    def stop(self):
        self.stopping.set()
        self.sample()


# --- client processes: ingest -----------------------------------------------------------

def _ingest_client(endpoint, seed, chunks, single, pregenerate, barrier, queue, deadline_s):
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

    work = [make(a, b) for a, b in chunks] if pregenerate else None
    try:
        barrier.wait(600)
    except threading.BrokenBarrierError:
        queue.put(result)
        return
    started = time.time()
    path = endpoint.statements_path()
    for n, (a, b) in enumerate(chunks):
        if time.time() - started > deadline_s:
            result["errors"] += 1
            result["examples"].append("phase deadline of %d s reached" % deadline_s)
            break
        if pregenerate:
            ids, body = work[n]
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
               on_started=None):
    """Send statements start..stop-1 from `clients` processes; returns the phase figures."""
    ctx = multiprocessing.get_context("fork")
    step = 1 if single else batch
    chunks = [(a, min(a + step, stop)) for a in range(start, stop, step)]
    per_client = [chunks[c::clients] for c in range(clients)]
    barrier = ctx.Barrier(clients + 1)
    queue = ctx.Queue()
    procs = [ctx.Process(target=_ingest_client,
                         args=(endpoint, seed, per_client[c], single, pregenerate, barrier, queue,
                               deadline_s))
             for c in range(clients)]
    for p in procs:
        p.start()
    barrier.wait(600)
    if on_started:
        on_started()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    t0 = min(r.get("t0", time.time()) for r in results)
    t1 = max(r.get("t1", time.time()) for r in results)
    sent = sum(r["statements"] for r in results)
    latencies = [x for r in results for x in r["latencies"]]
    return {
        "statements": sent, "expected": stop - start, "requests": sum(r["requests"] for r in results),
        "seconds": t1 - t0, "statements_per_s": sent / (t1 - t0) if t1 > t0 else 0.0,
        "errors": sum(r["errors"] for r in results) + (stop - start - sent > 0),
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


def expected_count(counts, q):
    if "since_ms" in q:
        return None
    if "actor" in q and "verb" in q:
        return counts.get(("actor_verb", q["actor"], q["verb"]), 0)
    for name, key in (("actor", "actor"), ("verb", "verb"), ("activity", "activity"),
                      ("related", "related"), ("registration", "registration")):
        if name in q:
            return counts.get((key, q[name]), 0)
    return None


def check_page(checker, where, data, q, expected, limit, seen=None, last_stored=None):
    """Check one StatementResult page; returns (statements, more, last stored ms)."""
    try:
        page = json.loads(data)
        statements = page["statements"]
        more = page.get("more") or ""
    except (ValueError, KeyError, TypeError):
        checker.fail(where, "not a StatementResult: %r" % data[:200])
        return [], "", last_stored
    if expected is not None:
        want = min(expected, limit)
        if len(statements) != want:
            checker.fail(where, "%d statements on the first page, expected %d (of %d matching)"
                         % (len(statements), want, expected))
        if bool(more) != (expected > limit):
            checker.fail(where, "more=%r with %d matching and limit %d (QRY-42)" % (more, expected, limit))
    for st in statements:
        i = checker.index(where, st)
        if i is None:
            continue
        if seen is not None:
            if seen[i]:
                checker.fail(where, "statement %d returned twice (QRY-45)" % i)
            seen[i] = 1
        if not checker.matches(i, q) and "since_ms" not in q:
            checker.fail(where, "statement %d does not match %s" % (i, q))
        stored = parse_instant_ms(st.get("stored", "1970-01-01T00:00:00Z"))
        if "since_ms" in q and not (q["since_ms"] < stored <= q["until_ms"]):
            checker.fail(where, "statement %d stored %s outside (since, until] (QRY-21)" % (i, st.get("stored")))
        if last_stored is not None and stored > last_stored:
            checker.fail(where, "statement %d out of order: stored after the previous one (QRY-22)" % i)
        last_stored = stored
        checker.content(where, i, st)
    return statements, more, last_stored


def run_queries(endpoint, gen, checker, counts, kinds, n, limit, loaded, windows, rng):
    client = Client(endpoint)
    results = {}
    for kind in kinds:
        queries = draw_queries(gen, rng, kind, n, loaded, windows, limit)
        latencies = []
        returned = 0
        before = checker.total()
        for params, q in queries:
            path = endpoint.statements_path(params)
            t0 = time.perf_counter()
            status, data, _ = client.request("GET", path)
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                checker.fail("query " + kind, "GET %s: %s %s" % (path, status, data[:200]))
                continue
            statements, _, _ = check_page(checker, "query " + kind, data, q, expected_count(counts, q), limit)
            returned += len(statements)
        results[kind] = dict(latency_summary(latencies), returned_per_query=returned / max(1, len(queries)),
                             failures=checker.total() - before)
    client.close()
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


class Sampled(Checker):
    """A Checker that compares the content of only every `every`-th statement (the full read)."""

    def __init__(self, base, every):
        super().__init__(base.gen, base.loaded)
        self.base = base
        self.every = every
        self.failures = base.failures
        self.examples = base.examples

    def content(self, where, i, statement):
        if i % self.every == 0:
            return super().content(where, i, statement)
        return True


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


# --- database size ---------------------------------------------------------------------------

def sqlite_size(path):
    sizes = {}
    for suffix in ("", "-wal", "-shm"):
        try:
            sizes["file" + suffix] = os.path.getsize(path + suffix)
        except OSError:
            sizes["file" + suffix] = 0
    sizes["total"] = sizes["file"] + sizes["file-wal"]
    return sizes


def mongo_size(url):
    import pymongo
    client = pymongo.MongoClient(url, serverSelectionTimeoutMS=5000)
    try:
        stats = client.get_default_database().command("dbStats")
        return {"dataSize": stats.get("dataSize"), "storageSize": stats.get("storageSize"),
                "indexSize": stats.get("indexSize"),
                "total": int(stats.get("storageSize", 0)) + int(stats.get("indexSize", 0))}
    finally:
        client.close()


def prepare_mongo(url, drop):
    import pymongo
    client = pymongo.MongoClient(url, serverSelectionTimeoutMS=5000)
    try:
        try:
            db = client.get_default_database()
        except pymongo.errors.ConfigurationError:
            raise SystemExit("LRS_BENCH_MONGODB_URL must name a database, e.g. "
                             "mongodb://127.0.0.1:27017/lrs_bench")
        names = db.list_collection_names()
        if names and not drop:
            raise SystemExit("database %r is not empty (%s); use a fresh database name or --mongo-drop"
                             % (db.name, ", ".join(sorted(names)[:5])))
        if names:
            client.drop_database(db.name)
    finally:
        client.close()


def drop_mongo(url):
    import pymongo
    client = pymongo.MongoClient(url, serverSelectionTimeoutMS=5000)
    try:
        client.drop_database(client.get_default_database().name)
    finally:
        client.close()


# --- profiling ----------------------------------------------------------------------------

class Profiler:
    """py-spy record (raw collapsed stacks) of every worker while one phase runs."""

    def __init__(self, outdir, master_pid, rate, tag):
        self.outdir = outdir
        self.master_pid = master_pid
        self.rate = rate
        self.tag = tag
        self.procs = []
        self.files = []

    def start(self):
        exe = shutil.which("py-spy", path=os.path.dirname(sys.executable) + os.pathsep
                           + os.environ.get("PATH", ""))
        if not exe:
            print("  (py-spy not found: pip install py-spy into the venv to profile)", flush=True)
            return
        for stale in os.listdir(self.outdir):          # earlier runs' stacks of this phase
            if stale.startswith("pyspy-%s-" % self.tag):
                os.remove(os.path.join(self.outdir, stale))
        for pid in child_pids(self.master_pid):
            out = os.path.join(self.outdir, "pyspy-%s-%d.txt" % (self.tag, pid))
            self.files.append(out)
            self.procs.append(subprocess.Popen(
                [exe, "record", "--pid", str(pid), "--rate", str(self.rate), "--format", "raw",
                 "--nonblocking", "--output", out],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)        # py-spy writes its output on SIGINT
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        files = [f for f in self.files if os.path.exists(f) and os.path.getsize(f)]
        if not files:
            errors = b" ".join((p.stderr.read() or b"")[:300] for p in self.procs if p.stderr)
            return {"error": "no profile written: %s" % errors.decode(errors="replace")}
        summary = hotspots.summarise(hotspots.parse(files), top=25)
        summary["files"] = files
        return summary


# --- the table ----------------------------------------------------------------------------------

def verdict(name, value):
    if value is None or name not in TARGETS:
        return "—"
    op, target, _ = TARGETS[name]
    ok = value >= target if op == ">=" else value <= target
    return "PASS" if ok else "FAIL"


def build_rows(r):
    rows = []

    def add(name, label, value, fmt, failures, extra=""):
        target = TARGETS.get(name)
        target_text = "%s %s" % (target[0].replace(">=", "≥").replace("<=", "≤"),
                                 ("{:,}".format(target[1]) if isinstance(target[1], int) else target[1])) \
            if target else ""
        rows.append((label, fmt % value if value is not None else "n/a", target_text,
                     verdict(name, value), "ok" if not failures else "%d WRONG" % failures, extra))

    ph = r["phases"]
    if "batch_ingest" in ph:
        b = ph["batch_ingest"]
        add("batch_ingest", "batch ingest (%d x %d, %d clients), st/s" % (b["requests"], b["batch"], b["clients"]),
            b["statements_per_s"], "%.0f", b["errors"],
            "POST p50 %.0f / p95 %.0f ms" % (b["request_latency"]["p50_ms"] or 0, b["request_latency"]["p95_ms"] or 0))
    if "single_ingest" in ph:
        s = ph["single_ingest"]
        add("single_ingest", "single ingest (%d clients), st/s" % s["clients"], s["statements_per_s"], "%.0f",
            s["errors"], "POST p50 %.1f / p95 %.1f ms" % (s["request_latency"]["p50_ms"] or 0,
                                                        s["request_latency"]["p95_ms"] or 0))
    if "bulk_load" in ph:
        b = ph["bulk_load"]
        add("bulk_load", "bulk load to %s, st/s (gen. on the fly)" % "{:,}".format(r["meta"]["store_size"]),
            b["statements_per_s"], "%.0f", b["errors"], "%.0f s" % b["seconds"])
    if "get_by_id" in ph:
        g = ph["get_by_id"]
        add("get_by_id", "GET by statementId, p95 ms", g["p95_ms"], "%.2f", g["failures"],
            "p50 %.2f / p99 %.2f" % (g["p50_ms"], g["p99_ms"]))
    for kind in QUERY_KINDS:
        q = ph.get("queries", {}).get(kind)
        if q:
            add("query_" + kind, "query %s, p95 ms" % kind.replace("_", "+" if kind == "agent_verb" else "/")
                .replace("activity/related", "activity+related"),
                q["p95_ms"], "%.2f", q["failures"],
                "p50 %.2f / p99 %.2f, %.0f st/answer" % (q["p50_ms"], q["p99_ms"], q["returned_per_query"]))
    if "known_subsets" in ph:
        k = ph["known_subsets"]
        n = sum(len(v) for key, v in k.items() if isinstance(v, list)) + 1
        rows.append(("known subsets paged to the end (%d)" % n, "", "", "—",
                     "ok" if not k["failures"] else "%d WRONG" % k["failures"], ""))
    if "read_all" in ph:
        a = ph["read_all"]
        add("read_all", "read all %s through more, st/s" % "{:,}".format(a["statements"]),
            a["statements_per_s"], "%.0f", a["failures"],
            "%d pages of %d; %.0f st/s with the client's checks" % (a["pages"], a["page_limit"],
                                                                      a["wall_statements_per_s"]))
    if "batch_ingest_full" in ph:
        b = ph["batch_ingest_full"]
        add("batch_ingest_full", "batch ingest into the full store, st/s", b["statements_per_s"], "%.0f",
            b["errors"], "POST p95 %.0f ms" % (b["request_latency"]["p95_ms"] or 0))
    if r.get("rss"):
        m = r["rss"]
        add("peak_rss", "peak RSS per worker, MB", m["max_worker_mb"], "%.0f", 0,
            "%d workers seen: %s" % (len(m["workers_mb"]), ", ".join("%.0f" % v for v in m["workers_mb"].values())))
    if r.get("db_size"):
        d = r["db_size"]
        add("db_size", "database bytes per statement", d["bytes_per_statement"], "%.0f", 0,
            "%.0f MB for %s statements" % (d["total"] / 1e6, "{:,}".format(d["statements"])))
    return rows


def print_table(rows, out=sys.stdout):
    header = ("figure", "measured", "target", "", "answers", "notes")
    widths = [max(len(str(row[c])) for row in rows + [header]) for c in range(len(header))]
    line = lambda row: "| " + " | ".join(str(v).ljust(widths[c]) for c, v in enumerate(row)) + " |"
    print(line(header), file=out)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|", file=out)
    for row in rows:
        print(line(row), file=out)


# --- main -----------------------------------------------------------------------------------

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
    p.add_argument("--clients", type=int, default=4, help="concurrent client processes for ingest")
    p.add_argument("--queries", type=int, default=None, help="queries of each kind (default 200; quick 100)")
    p.add_argument("--gets", type=int, default=None, help="GETs by statementId (default 1000; quick 300)")
    p.add_argument("--query-limit", type=int, default=100, help="limit parameter of the latency queries")
    p.add_argument("--page-limit", type=int, default=500,
                   help="limit of the read-all pages (the server's maximum by default: LRS_STATEMENT_PAGE_LIMIT)")
    p.add_argument("--subsets", type=int, default=None,
                   help="known subsets paged to the end per filter kind (default 5; quick 3)")
    p.add_argument("--content-every", type=int, default=97,
                   help="in the full read, compare the content of every N-th statement (all ids are checked)")
    p.add_argument("--skip", default="", help="comma-separated phases to skip: single,read,subsets,final")
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
                "queries": (200, 100), "gets": (1000, 300), "subsets": (5, 3)}
    for name, (full, small) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, small if quick else full)
    args.skip = {s for s in args.skip.split(",") if s}
    args.profile = {s for s in args.profile.split(",") if s}
    return args


def git_commit():
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


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
    }, "phases": {}, "targets": {k: {"op": v[0], "target": v[1], "unit": v[2]} for k, v in TARGETS.items()}}
    phases = results["phases"]
    profiles = results.setdefault("profiles", {})
    interrupted = False

    def profiled(tag, fn):
        prof = Profiler(workdir if args.keep else os.path.dirname(args.json) or ".", master_pid,
                        args.profile_rate, tag) if tag in args.profile and master_pid else None
        if prof:
            os.makedirs(prof.outdir, exist_ok=True)
        out = fn(prof.start if prof else None)
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
            say("single ingest: %d statements, one per POST, from %d clients" % (single_n, args.clients))
            phases["single_ingest"] = profiled("single", lambda hook: run_ingest(
                endpoint, args.seed, batch_n, batch_n + single_n, 1, args.clients, True, True,
                args.phase_timeout, hook))
            say("  %.0f statements/s" % phases["single_ingest"]["statements_per_s"])
        time.sleep(0.05)
        single_window = (single_window[0], int(time.time() * 1000) + 1)
        time.sleep(0.05)
        # 3. bulk load up to the store size (generated on the fly by the clients)
        loaded = batch_n + single_n
        if store_size > loaded:
            say("bulk load: %d statements to reach %d" % (store_size - loaded, store_size))
            phases["bulk_load"] = profiled("bulk", lambda hook: run_ingest(
                endpoint, args.seed, loaded, store_size, args.batch_size, args.clients, False, False,
                args.phase_timeout, hook))
            say("  %.0f statements/s over %.0f s" % (phases["bulk_load"]["statements_per_s"],
                                                      phases["bulk_load"]["seconds"]))
        loaded = store_size
        windows = [(int(ph["t0"] * 1000), int(ph["t1"] * 1000))
                   for ph in (phases.get("bulk_load"), phases["batch_ingest"]) if ph]
        # 4. expected result sizes (not timed)
        say("counting the expected size of every filter's result (client side, not timed)")
        counts = count_keys(args.seed, [(0, loaded)], max(1, min(4, os.cpu_count() or 1)))
        checker = Checker(gen, loaded)
        rng = random.Random(args.seed * 7 + 1)
        # 5. GET by id
        say("GET by statementId: %d" % args.gets)
        phases["get_by_id"] = run_get_by_id(endpoint, gen, checker, args.gets, loaded, rng)
        # 6. filtered queries
        say("filtered queries: %d of each kind, limit %d" % (args.queries, args.query_limit))
        phases["queries"] = profiled("queries", lambda hook: (hook and hook(), run_queries(
            endpoint, gen, checker, counts, QUERY_KINDS, args.queries, args.query_limit, loaded, windows,
            rng))[1])
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
        # 9. batch ingest into the full store
        if final_n:
            say("batch ingest into the full store: %d statements" % final_n)
            phases["batch_ingest_full"] = run_ingest(
                endpoint, args.seed, loaded, loaded + final_n, args.batch_size, args.clients, False, True,
                args.phase_timeout)
            say("  %.0f statements/s" % phases["batch_ingest_full"]["statements_per_s"])
            loaded += final_n
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
            phases.get("batch_ingest_full", {}).get("statements", 0)
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
