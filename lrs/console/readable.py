"""A statement as one line a person reads: "Ada completed Fire safety — 92% — 3 min" (issue 14).

Plain text, no markup: the templates escape it like everything else that came from a statement.
"""
import re

_DURATION = re.compile(r"P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?\Z")
LANGUAGES = ("en-US", "en-GB", "en")


def _text(language_map):
    if not isinstance(language_map, dict) or not language_map:
        return ""
    for language in LANGUAGES:
        if isinstance(language_map.get(language), str):
            return language_map[language]
    first = next(iter(language_map.values()))
    return first if isinstance(first, str) else ""


def _last_segment(iri):
    return re.split(r"[/#:]", iri.rstrip("/#"))[-1] or iri


def actor_text(agent):
    if not isinstance(agent, dict):
        return "someone"
    if agent.get("name"):
        return str(agent["name"])
    if agent.get("mbox"):
        return str(agent["mbox"]).replace("mailto:", "", 1)
    if isinstance(agent.get("account"), dict):
        return str(agent["account"].get("name", "an account"))
    if agent.get("openid"):
        return str(agent["openid"])
    if agent.get("mbox_sha1sum"):
        return "someone (%s…)" % str(agent["mbox_sha1sum"])[:8]
    return "a group" if agent.get("objectType") == "Group" else "someone"


def verb_text(verb):
    if not isinstance(verb, dict):
        return "did"
    return _text(verb.get("display")) or _last_segment(str(verb.get("id", "did")))


def object_text(obj):
    if not isinstance(obj, dict):
        return "something"
    kind = obj.get("objectType", "Activity")
    if kind in ("Agent", "Group"):
        return actor_text(obj)
    if kind == "StatementRef":
        return "statement %s" % obj.get("id", "")
    if kind == "SubStatement":
        return "(%s %s %s)" % (actor_text(obj.get("actor")), verb_text(obj.get("verb")), object_text(obj.get("object")))
    definition = obj.get("definition") if isinstance(obj.get("definition"), dict) else {}
    return _text(definition.get("name")) or str(obj.get("id", "an activity"))


def score_text(result):
    score = result.get("score") if isinstance(result, dict) else None
    if not isinstance(score, dict):
        return ""
    if isinstance(score.get("scaled"), (int, float)):
        return "%d%%" % round(score["scaled"] * 100)
    if isinstance(score.get("raw"), (int, float)):
        if isinstance(score.get("max"), (int, float)):
            return "%g/%g" % (score["raw"], score["max"])
        return "%g" % score["raw"]
    return ""


def duration_text(result):
    duration = result.get("duration") if isinstance(result, dict) else None
    match = _DURATION.match(duration) if isinstance(duration, str) else None
    if not match or duration in ("P", "PT"):
        return ""
    days, hours, minutes, seconds = (float(part) if part else 0.0 for part in match.groups())
    return seconds_text(((days * 24 + hours) * 60 + minutes) * 60 + seconds)


def seconds_text(total):
    """A length of time as a person says it: "45 s", "3 min", "1 h 5 min"."""
    if total >= 3600:
        return "%d h %d min" % (total // 3600, (total % 3600) // 60)
    if total >= 60:
        return "%d min" % round(total / 60)
    return "%g s" % round(total, 1)


def describe(statement):
    """The one-line text of a statement."""
    result = statement.get("result")
    parts = ["%s %s %s" % (actor_text(statement.get("actor")), verb_text(statement.get("verb")),
                           object_text(statement.get("object")))]
    if isinstance(result, dict) and result.get("success") is False:
        parts.append("not passed")
    parts += [text for text in (score_text(result), duration_text(result)) if text]
    return " — ".join(parts)
