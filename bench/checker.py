"""Is every answer right? Statements read back are compared with what was sent (regenerated from
their ids), pages are checked against the number of statements each filter must match, which is
counted from the generator in parallel processes before the run."""
import collections
import json
import multiprocessing

from .client import parse_instant_ms
from .generate import Generator

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
