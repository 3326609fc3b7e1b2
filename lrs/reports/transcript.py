"""A learner's transcript: one line per activity the learner attempted (issue 13).

The learner's statements are those whose actor is the learner (or a Group naming the learner as
a member) and whose object is an Activity; voided statements never count (the store's queries
never return them), xAPI 1.0.3 and 2.0 statements alike. Times are the statements' `timestamp`
(when the learner did it), ties broken by the store's order. Per activity:

  first_attempt, last_attempt   earliest and latest timestamp of any of the learner's statements
  completed                     earliest timestamp of a completion (the store's completion rule,
                                lrs/reports/rule.py; by default verb completed, passed or
                                mastered, or result.completion true)
  success                       the latest outcome stated (by default true for passed/mastered or
                                result.success true, false for failed or result.success false);
                                null when no statement says
  best_scaled, latest_scaled    highest and latest result.score.scaled
  duration_seconds              sum of result.duration
  attempts                      statements with verb attempted, launched or initialized; when
                                there are none, distinct registrations (no registration counts
                                as one)
  statements                    the ids of every statement the line stands on, in store order
"""
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

from ..timeutil import format_ms
from ..xapi.agents import actor_keys
from ..xapi.report_facts import duration_seconds, report_facts  # noqa: F401  (duration_seconds: the reports' own)
from .rule import ADL, DEFAULT_RULE
from .scan import loads, merged, scan

ATTEMPT_VERBS = {ADL + "attempted", ADL + "launched", ADL + "initialized"}
VOIDED = ADL + "voided"
COLUMNS = ("activity", "name", "first_attempt", "last_attempt", "completed", "success", "best_scaled",
           "latest_scaled", "duration_seconds", "attempts", "statements")


@lru_cache(maxsize=4096)
def _day(days):
    """format_ms's "YYYY-MM-DDT" of the day."""
    return format_ms(days * 86_400_000).partition("T")[0] + "T"


_CLOCK = tuple("%02d:%02d:" % divmod(minute, 60) for minute in range(1440))     # "HH:MM:" of each minute
_SECOND = tuple("%02d." % second for second in range(60))
_MILLI = tuple("%03dZ" % milli for milli in range(1000))


def iso(ms):
    """format_ms(ms) (None for None), faster: a report formats a few times per line, millions of times,
    so the parts are looked up (the day cached, the rest from small tables) rather than formatted."""
    if ms is None:
        return None
    days, rest = divmod(ms, 86_400_000)
    minutes, rest = divmod(rest, 60_000)
    return _day(days) + _CLOCK[minutes] + _SECOND[rest // 1000] + _MILLI[rest % 1000]


@dataclass(slots=True)                     # a report makes one per learner and activity: millions
class Line:
    activity: str
    name: Optional[str] = None
    first_ms: Optional[int] = None
    last_ms: Optional[int] = None
    completed_ms: Optional[int] = None
    success: Optional[bool] = None
    success_at: tuple = ()
    best_scaled: Optional[float] = None
    latest_scaled: Optional[float] = None
    latest_at: tuple = ()
    duration_seconds: float = 0.0
    attempt_statements: int = 0
    registrations: set = field(default_factory=set)
    statements: list = field(default_factory=list)
    keep_ids: bool = True                 # False: only count the statements (reports over many)
    count: int = 0
    completed_by: Optional[str] = None    # the id of the first completion
    passed_ms: Optional[int] = None       # the first success
    failures: int = 0
    outcome_by: Optional[str] = None      # the id of the statement of the latest outcome

    @property
    def attempts(self):
        return self.attempt_statements or len(self.registrations)

    def add(self, statement_id, seq, facts, when, rule=DEFAULT_RULE):
        """Count one of the learner's statements: its ReportFacts, `when` its time in ms."""
        verb = facts.verb
        self.count += 1
        if self.keep_ids:
            self.statements.append(statement_id)
        if self.first_ms is None or when < self.first_ms:
            self.first_ms = when
        if self.last_ms is None or when > self.last_ms:
            self.last_ms = when
        completes, outcome = rule.judge(verb, facts.completion, facts.success)
        if completes and (self.completed_ms is None or when < self.completed_ms):
            self.completed_ms, self.completed_by = when, statement_id
        if outcome is not None:
            order = (when, seq)
            if order >= self.success_at:
                self.success, self.success_at, self.outcome_by = outcome, order, statement_id
            if outcome:
                if self.passed_ms is None or when < self.passed_ms:
                    self.passed_ms = when
            else:
                self.failures += 1
        scaled = facts.scaled
        if scaled is not None:
            if self.best_scaled is None or scaled > self.best_scaled:
                self.best_scaled = scaled
            order = (when, seq)
            if order >= self.latest_at:
                self.latest_scaled, self.latest_at = scaled, order
        if facts.duration:
            self.duration_seconds += facts.duration
        if verb in ATTEMPT_VERBS:
            self.attempt_statements += 1
        elif not self.attempt_statements:       # distinct registrations count only without attempt verbs
            self.registrations.add(facts.registration)

    def row(self):
        """The line as the report shows it (JSON values; times as ISO 8601 UTC)."""
        return {"activity": self.activity, "name": self.name, "first_attempt": iso(self.first_ms),
                "last_attempt": iso(self.last_ms), "completed": iso(self.completed_ms), "success": self.success,
                "best_scaled": self.best_scaled, "latest_scaled": self.latest_scaled,
                "duration_seconds": round(self.duration_seconds, 3), "attempts": self.attempts,
                "statements": self.statements}


def display_name(definition):
    names = (definition or {}).get("name") or {}
    return names.get("en-US") or names.get("en") or next(iter(names.values()), None)


def transcript(storage, store_id, learner_keys, rule=DEFAULT_RULE, as_of_ms=None):
    """[Line] of the learner, by first attempt. `learner_keys`: the agent keys (lrs.xapi.agents.agent_key)
    that all name the learner (one IFI, or every IFI of a Person). With `as_of_ms`, what the record showed
    then: the statements stored at or before it, those voided by a voiding stored later included."""
    keys = set(learner_keys)
    scans = [scan(storage, store_id, [("agent", key)], stored_until_ms=as_of_ms) for key in sorted(keys)]
    if as_of_ms is not None:
        scans.append(voided_after(storage, store_id, as_of_ms))
    lines = {}
    for stored in merged(*scans):
        statement = loads(stored.body)
        facts = report_facts(statement)
        if facts.activity is None or keys.isdisjoint(actor_keys(statement["actor"])):
            continue
        line = lines.get(facts.activity)
        if line is None:
            line = lines[facts.activity] = Line(facts.activity)
        line.add(stored.id, stored.seq, facts, facts.timestamp_ms or 0, rule)
    for line in lines.values():
        line.name = display_name(storage.get_activity_definition(store_id, line.activity))
    return sorted(lines.values(), key=lambda line: (line.first_ms, line.activity))


def voided_after(storage, store_id, as_of_ms):
    """The StoredStatements, in seq order, stored at or before as_of_ms and voided only by voiding
    statements stored after it: at that time they still counted."""
    later = {loads(stored.body)["object"]["id"].lower()
             for stored in scan(storage, store_id, [("verb", VOIDED)], stored_after_ms=as_of_ms)}
    if not later:
        return []
    earlier = {loads(stored.body)["object"]["id"].lower()
               for stored in scan(storage, store_id, [("verb", VOIDED)], stored_until_ms=as_of_ms)}
    found = storage.get_statements(store_id, sorted(later - earlier))
    return sorted((stored for stored in found.values() if stored.stored_ms <= as_of_ms and not stored.is_voiding),
                  key=lambda stored: stored.seq)
