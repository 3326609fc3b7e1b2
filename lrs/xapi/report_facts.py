"""The few values of a statement the reports read (issue 13; lrs.store.ReportFacts), computed once
at write time, like its index keys (lrs/xapi/keys.py): the reports then scan these instead of
inflating and parsing each statement. The same function derives them from a stored body for
statements kept before the store kept facts, so both paths count alike.
"""
import re
from datetime import datetime
from functools import lru_cache

import schemas
from schemas.versions import SUPPORTED_VERSIONS

from ..store import ReportFacts
from ..timeutil import datetime_to_ms
from .agents import agent_key, identifier_only

_NOTHING = {}                              # read only: what .get("result") gives without one
_DURATION = re.compile(r"^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
                       r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_DURATION_UNITS = (604800, 86400, 3600, 60, 1)


@lru_cache(maxsize=65536)                  # reports read millions of durations; far fewer distinct ones
def duration_seconds(text):
    """Seconds of an ISO 8601 duration as xAPI allows it (PnW, PnDTnHnMnS); 0 when unreadable."""
    match = _DURATION.match(text or "")
    if not match:
        return 0.0
    return sum(float(value) * unit for value, unit in zip(match.groups(), _DURATION_UNITS) if value)


def timestamp_ms(text):
    """Milliseconds of a stored statement's timestamp (any supported version's syntax); None if unreadable."""
    try:                                       # the common forms, fast; the stored text was validated
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        moment = None
    if moment is not None and moment.tzinfo is not None:
        return datetime_to_ms(moment)
    for version in SUPPORTED_VERSIONS:         # a stored statement met the syntax of its own version
        try:
            return schemas.parse_timestamp(text, version)
        except schemas.XAPIValidationError:
            continue
    return None


def _learner(agent):
    """(key, identifier, name or None) of an Agent or identified Group, or None without identifier."""
    key = agent_key(agent)
    if not key:
        return None
    identifier = identifier_only(agent)
    identifier.pop("objectType", None)
    return key, identifier, agent.get("name") or None


def learners(actor):
    """The learners a statement of this actor counts for: the actor when an Agent, each member of a
    Group that lists members, else the identified Group itself."""
    members = actor.get("member") if actor.get("objectType") == "Group" else None
    found = (_learner(agent) for agent in (members or (actor,)))
    return tuple(learner for learner in found if learner is not None)


def report_facts(statement, timestamp_from_stored=False):
    """The ReportFacts of a validated, normalised statement (timestamp_from_stored: the store will
    set its timestamp to its stored time, TIME-9)."""
    obj = statement["object"]
    result = statement.get("result", _NOTHING)
    context = statement.get("context", _NOTHING)
    score = result.get("score")
    success = result.get("success")
    lists = context.get("contextActivities", _NOTHING)
    return ReportFacts(
        learners=learners(statement["actor"]),
        verb=statement["verb"]["id"],
        activity=obj["id"] if obj.get("objectType", "Activity") == "Activity" else None,
        timestamp_ms=None if timestamp_from_stored else timestamp_ms(statement.get("timestamp")),
        completion=result.get("completion") is True,
        success=success if isinstance(success, bool) else None,
        scaled=score.get("scaled") if score is not None else None,
        duration=duration_seconds(result["duration"]) if "duration" in result else 0,
        registration=context.get("registration", "").lower(),
        context=tuple(listed["id"] for name in ("parent", "grouping") for listed in lists.get(name, ())))
