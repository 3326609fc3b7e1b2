"""Completions of one activity and completion history (issue 13). No Flask here: the HTTP layer
(lrs/reports/service.py) and the console call `completions` and `history`.

Which statements: those whose object is the activity; with include_children also those whose
context.contextActivities.parent or .grouping names it (a course and its modules, or a goal used as
grouping). They are found through the store's `related_activity` index (QRY-18) and read page by
page in store order. Voided statements never count (the store's queries never return them).

Who: a statement counts for its actor when an Agent, for each member of a Group that lists
members, else for the identified Group itself.

When: a period (since exclusive, until inclusive, as xAPI's) selects statements by `timestamp`,
when the learner did it (see lrs/reports/scan.py for how far back the store is read).

What: the store's completion rule (lrs/reports/rule.py). Each learner and activity is one line
(lrs/reports/transcript.py Line) with a status:
  passed        some statement stated success
  failed        some statement stated failure, none success
  completed     a completion, no outcome stated
  in progress   statements, but neither completion nor outcome
"""
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from ..timeutil import datetime_to_ms, format_ms
from .rule import load_rule
from .scan import CLOCK_SKEW_MS, scan_facts
from .transcript import Line, display_name, iso

STATUSES = ("passed", "failed", "completed", "in progress")
COMPLETION_COLUMNS = ("store", "learner", "learner_name", "activity", "name", "status", "first_attempt",
                      "last_attempt", "completed", "passed", "best_scaled", "latest_scaled", "attempts",
                      "duration_seconds", "seconds_to_complete", "statements", "completed_by", "outcome_by")
BY = ("day", "week", "month")
PER = ("store", "activity")
HISTORY_COLUMNS = ("period", "start", "store", "activity", "completions", "passed", "failed", "learners")


@dataclass(frozen=True)
class Period:
    """Statements with since_ms < timestamp <= until_ms (either bound may be None)."""

    since_ms: int = None
    until_ms: int = None

    def holds(self, when):
        return (self.since_ms is None or when > self.since_ms) and (self.until_ms is None or when <= self.until_ms)

    def stored_after_ms(self):
        return None if self.since_ms is None else max(0, self.since_ms - CLOCK_SKEW_MS)


def shown(identifier, name):
    """The learner as a report shows it: the identifier and the name."""
    view = dict(identifier)
    if name:
        view["name"] = name
    return view


def _statements(storage, store_id, activity, include_children, period):
    """(ReportRow, timestamp ms) of the report's statements in the period: those whose object is `activity`
    (any Activity when None) or, with include_children, whose contextActivities.parent or .grouping names it."""
    filters = [] if activity is None else [("related_activity" if include_children else "activity", activity)]
    bounded = period.since_ms is not None or period.until_ms is not None
    for row in scan_facts(storage, store_id, filters, stored_after_ms=period.stored_after_ms()):
        facts = row.facts
        if facts.activity is None or (activity is not None and facts.activity != activity
                                      and not (include_children and activity in facts.context)):
            continue
        when = facts.timestamp_ms or row.stored_ms
        if not bounded or period.holds(when):
            yield row, when


class CompletionLine:
    """One learner's line of the report. `identifier` and `name` are the learner's as the first of its
    statements names it; `learner`, the learner as the report shows it, and `row()` are made only for the
    lines shown (the summary needs neither)."""

    __slots__ = ("store", "learner_key", "identifier", "name", "line")

    def __init__(self, store, learner_key, identifier, name, line):
        self.store = store               # StoreInfo
        self.learner_key = learner_key
        self.identifier, self.name = identifier, name
        self.line = line                 # Line

    @property
    def learner(self):
        return shown(self.identifier, self.name)

    @property
    def status(self):
        line = self.line
        if line.passed_ms is not None:
            return "passed"
        if line.failures:
            return "failed"
        return "completed" if line.completed_ms is not None else "in progress"

    @property
    def seconds_to_complete(self):
        if self.line.completed_ms is None:
            return None
        return max(0, self.line.completed_ms - self.line.first_ms) / 1000.0

    def row(self):
        """The line as the report shows it (JSON values; times ISO 8601 UTC)."""
        line, learner = self.line, self.learner
        completed = line.completed_ms
        return {"store": self.store.name, "learner": learner, "learner_name": self.name or None,
                "activity": line.activity, "name": line.name, "status": self.status,
                "first_attempt": iso(line.first_ms), "last_attempt": iso(line.last_ms),
                "completed": iso(completed) if completed is not None else None,
                "passed": iso(line.passed_ms) if line.passed_ms is not None else None,
                "best_scaled": line.best_scaled, "latest_scaled": line.latest_scaled,
                "attempts": line.attempt_statements or len(line.registrations),
                "duration_seconds": round(line.duration_seconds, 3),
                "seconds_to_complete": None if completed is None else max(0, completed - line.first_ms) / 1000.0,
                "statements": line.count, "completed_by": line.completed_by, "outcome_by": line.outcome_by}


class Summary:
    """The figures over the lines: counts by status, completion rate (lines with a completion / lines), the
    distribution of the best scaled scores in tenths (from 0.0 to 1.0, the last tenth including 1.0; negative
    scores counted apart), their mean, and the median seconds from first attempt to first completion."""

    def __init__(self):
        self.counts = {status: 0 for status in STATUSES}
        self.buckets, self.below_zero, self.scores, self.score_sum = [0] * 10, 0, 0, 0.0
        self.lines, self.completed, self.times, self.learners = 0, 0, [], set()

    def add(self, entry):
        line = entry.line
        self.lines += 1
        self.counts[entry.status] += 1
        self.learners.add((entry.store.id, entry.learner_key))
        if line.completed_ms is not None:
            self.completed += 1
            self.times.append(entry.seconds_to_complete)
        scaled = line.best_scaled
        if scaled is not None:
            self.scores += 1
            self.score_sum += scaled
            if scaled < 0:
                self.below_zero += 1
            else:
                self.buckets[min(9, int(round(scaled * 1000)) // 100)] += 1

    def as_dict(self, scanned):
        return {"statements_scanned": scanned, "lines": self.lines, "learners": len(self.learners),
                "completed": self.completed, "passed": self.counts["passed"], "failed": self.counts["failed"],
                "in_progress": self.counts["in progress"], "completed_without_outcome": self.counts["completed"],
                "completion_rate": completion_rate(self.completed, self.lines),
                "score_distribution": [{"from": n / 10, "to": (n + 1) / 10, "count": self.buckets[n]}
                                       for n in range(10)],
                "scores_below_zero": self.below_zero,
                "mean_best_scaled": round(self.score_sum / self.scores, 4) if self.scores else None,
                "median_seconds_to_complete": statistics.median(self.times) if self.times else None}


def completion_rate(completed, lines):
    """Lines with a completion / lines, to 4 places (None without lines)."""
    return round(completed / lines, 4) if lines else None


def completion_rates(entries):
    """[(activity name, or its id without one; completion rate)] of the lines of each activity, in the
    order the activities first come, as Summary counts them."""
    counts = {}                           # activity -> [name, lines, lines with a completion]
    for entry in entries:
        line = entry.line
        count = counts.get(line.activity)
        if count is None:
            count = counts[line.activity] = [line.name or line.activity, 0, 0]
        count[1] += 1
        if line.completed_ms is not None:
            count[2] += 1
    return [(name, completion_rate(completed, lines)) for name, lines, completed in counts.values()]


@dataclass
class Completions:
    """The completions report. `lines()` reads the stores (once) and yields a CompletionLine per
    learner and activity, by store, activity and learner; `summary` is filled as they are read."""

    storage: object
    stores: list                      # [StoreInfo]
    activity: str
    include_children: bool = False
    period: Period = Period()
    rules: dict = None                # {store id: CompletionRule}; default: each store's own
    scanned: int = 0
    _summary: Summary = field(default_factory=Summary)

    def lines(self):
        for store in self.stores:
            rule = (self.rules or {}).get(store.id) or load_rule(self.storage, store.id)
            found = {}
            for row, when in _statements(self.storage, store.id, self.activity, self.include_children, self.period):
                self.scanned += 1
                facts = row.facts
                activity = facts.activity
                for key, identifier, name in facts.learners:
                    entry = found.get((activity, key))
                    if entry is None:
                        entry = found[(activity, key)] = CompletionLine(store, key, identifier, name,
                                                                        Line(activity, keep_ids=False))
                    entry.line.add(row.id, row.seq, facts, when, rule)
            names = {}
            order = sorted(found)                          # the activity's own lines first, then its children's
            for (activity, key) in [pair for pair in order if pair[0] == self.activity] + [
                    pair for pair in order if pair[0] != self.activity]:
                entry = found.pop((activity, key))
                if activity not in names:
                    names[activity] = display_name(self.storage.get_activity_definition(store.id, activity))
                entry.line.name = names[activity]
                self._summary.add(entry)
                yield entry

    @property
    def summary(self):
        """The figures over the lines read so far (all of them once lines() is exhausted)."""
        return self._summary.as_dict(self.scanned)


def completions(storage, stores, activity, include_children=False, since_ms=None, until_ms=None, rules=None):
    """The Completions report of `activity` over `stores` ([StoreInfo]); iterate .lines() (CompletionLine,
    .row() for the report's dict), then read .summary."""
    return Completions(storage, list(stores), activity, include_children, Period(since_ms, until_ms), rules)


# --- history --------------------------------------------------------------------------------------

def bucket_start(ms, by):
    """The start (UTC datetime) of the day, ISO week (from Monday) or month holding `ms`."""
    moment = datetime.fromtimestamp(ms / 1000.0, timezone.utc)
    day = datetime(moment.year, moment.month, moment.day, tzinfo=timezone.utc)
    if by == "day":
        return day
    if by == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next_bucket(start, by):
    if by == "day":
        return start + timedelta(days=1)
    if by == "week":
        return start + timedelta(days=7)
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def _label(start, by):
    return start.strftime("%Y-%m") if by == "month" else start.strftime("%Y-%m-%d")


def buckets(since_ms, until_ms, by):
    """[start datetime] of every bucket the period (since_ms, until_ms] touches."""
    start, last, found = bucket_start(since_ms + 1, by), bucket_start(until_ms, by), []
    while start <= last:
        found.append(start)
        start = _next_bucket(start, by)
    return found


def history(storage, stores, since_ms, until_ms, by="month", activity=None, include_children=False, per="store",
            rules=None):
    """Completions in the period (since_ms, until_ms] by day, week or month: [dict] rows of HISTORY_COLUMNS,
    by period, then store (and activity with per="activity"). Each counts distinct learner-and-activity
    pairs with a completion (`completions`), a success (`passed`), a failure (`failed`) timestamped in the
    bucket, and the distinct learners with a completion. With per="store" every bucket of the period has a
    row for every store (zeros included), with per="activity" only the activities that have one.
    Without `activity`, every statement stored in the period is read."""
    period = Period(since_ms, until_ms)
    rows = []
    for store in stores:
        rule = (rules or {}).get(store.id) or load_rule(storage, store.id)
        counted = {}                 # (bucket, activity or None) -> {"completions": set, ...}
        for row, when in _statements(storage, store.id, activity, include_children, period):
            facts = row.facts
            completes, outcome = rule.judge(facts.verb, facts.completion, facts.success)
            if not completes and outcome is None:
                continue
            obj = facts.activity
            cell = counted.setdefault((bucket_start(when, by), obj if per == "activity" else None),
                                      {"completions": set(), "passed": set(), "failed": set()})
            for key, _identifier, _name in facts.learners:
                if completes:
                    cell["completions"].add((key, obj))
                if outcome is not None:
                    cell["passed" if outcome else "failed"].add((key, obj))
        if per == "store":
            for start in buckets(since_ms, until_ms, by):
                counted.setdefault((start, None), {"completions": set(), "passed": set(), "failed": set()})
        for (start, obj), cell in counted.items():
            rows.append({"period": _label(start, by), "start": format_ms(datetime_to_ms(start)), "store": store.name,
                         "activity": obj, "completions": len(cell["completions"]), "passed": len(cell["passed"]),
                         "failed": len(cell["failed"]),
                         "learners": len({key for key, _ in cell["completions"]})})
    order = {store.name: n for n, store in enumerate(stores)}
    rows.sort(key=lambda row: (row["start"], order[row["store"]], row["activity"] or ""))
    return rows

