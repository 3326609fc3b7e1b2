"""Statement equivalence (CMP): when is an incoming statement 'the same' as a stored one.

Used for id conflicts (SPUT-6, SPOST-4, CMP-3) and for signature checks (SIG-7). The rules are
applied by reducing both statements to a comparable form and comparing those.
"""
import json
import re

from schemas import parse_timestamp
from schemas.versions import LENIENT_TIMESTAMPS

_LRS_ASSIGNED = ("id", "authority", "stored", "version")
# Both sides were validated already; parse them with the most permissive timestamp syntax.
_TIMESTAMP_SYNTAX = LENIENT_TIMESTAMPS
_DURATION_SECONDS = re.compile(r"(\d+)\.(\d+)S$")


def equivalent(incoming, stored, ignore_attachments=False, ignore_timestamp=False):
    """True when the statements are the same under CMP-4..CMP-15.

    `ignore_attachments` is set for signature comparison (CMP-11) and under 2.0 (CMP-12), and
    then holds for a SubStatement's attachments too ("all attachments", CMP-12).
    `ignore_timestamp` is set under 2.0 (CMP-12): the statement's `timestamp` is not compared at
    all. Otherwise a `timestamp` is compared only when both carry one (the LRS fills it in,
    CMP-5). A SubStatement's timestamp is the learner's own data, never filled in by an LRS,
    so it is always compared (CMP-13).
    Neither argument is changed: each property is read once and reduced into a new value.
    """
    skip = set(_LRS_ASSIGNED)
    if ignore_timestamp or "timestamp" not in incoming or "timestamp" not in stored:
        skip.add("timestamp")
    return _comparable(incoming, skip, ignore_attachments) == _comparable(stored, skip, ignore_attachments)


def _comparable(statement, skip, ignore_attachments):
    result = {}
    for name, value in statement.items():
        if name in skip or (ignore_attachments and name == "attachments"):
            continue
        if name == "timestamp":
            result[name] = parse_timestamp(value, _TIMESTAMP_SYNTAX)
        elif name in ("actor", "authority"):
            result[name] = _actor(value)
        elif name == "verb":
            result[name] = value["id"]                 # display ignored (CMP-6, VERB-5)
        elif name == "object":
            result[name] = _object(value, ignore_attachments)
        elif name == "result":
            result[name] = _result(value)
        elif name == "context":
            result[name] = _context(value)
        elif name == "attachments":
            result[name] = sorted(_canonical_json(a) for a in value)
        else:
            result[name] = value
    return result


def _actor(actor):
    reduced = {k: v for k, v in actor.items() if k not in ("objectType", "member")}
    reduced["objectType"] = actor.get("objectType", "Agent")     # CMP-15
    if "mbox" in reduced:                                        # CMP-10: domain case
        local, _, domain = reduced["mbox"].partition("@")
        reduced["mbox"] = local + "@" + domain.lower()
    if "mbox_sha1sum" in reduced:
        reduced["mbox_sha1sum"] = reduced["mbox_sha1sum"].lower()
    if "member" in actor:                                        # CMP-8: order ignored
        reduced["member"] = sorted(_canonical_json(_actor(m)) for m in actor["member"])
    return reduced


def _object(obj, ignore_attachments):
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        return {"objectType": "Activity", "id": obj["id"]}     # definition ignored (CMP-6)
    if kind in ("Agent", "Group"):
        return _actor(obj)
    if kind == "StatementRef":
        return {"objectType": "StatementRef", "id": obj["id"].lower()}
    # A SubStatement is reduced by the statement rules (its timestamp parsed there, once)
    return {"objectType": "SubStatement", **_comparable(obj, {"objectType"}, ignore_attachments)}


def _result(result):
    reduced = dict(result)
    if "duration" in reduced:
        reduced["duration"] = truncate_duration(reduced["duration"])
    return reduced


def _context(context):
    reduced = dict(context)
    if "registration" in reduced:
        reduced["registration"] = reduced["registration"].lower()
    for name in ("instructor", "team"):
        if name in reduced:
            reduced[name] = _actor(reduced[name])
    if "statement" in reduced:
        reduced["statement"] = reduced["statement"]["id"].lower()
    if "contextActivities" in reduced:
        reduced["contextActivities"] = {
            key: [a["id"] for a in activities]
            for key, activities in reduced["contextActivities"].items() if activities}
    if "contextAgents" in reduced:
        reduced["contextAgents"] = sorted(_canonical_json({**c, "agent": _actor(c["agent"])})
                                          for c in reduced["contextAgents"])
    if "contextGroups" in reduced:
        reduced["contextGroups"] = sorted(_canonical_json({**c, "group": _actor(c["group"])})
                                          for c in reduced["contextGroups"])
    return reduced


def truncate_duration(duration):
    """Seconds beyond hundredths are cut, never rounded (DUR-4, CMP-14)."""
    match = _DURATION_SECONDS.search(duration)
    if not match or len(match.group(2)) <= 2:
        return duration
    return duration[:match.start()] + match.group(1) + "." + match.group(2)[:2] + "S"


def _canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
