"""The `format` parameter of statement queries: exact, ids, canonical (QRY-30..QRY-37)."""
from .agents import identifier_only

_LANGUAGE_MAPS = ("name", "description")
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")


def to_ids(statement):
    """Agents, Groups, Activities and Verbs reduced to their identifiers (QRY-31, QRY-32)."""
    reduced = dict(statement)
    reduced["actor"] = identifier_only(statement["actor"])
    reduced["verb"] = {"id": statement["verb"]["id"]}
    reduced["object"] = _object_ids(statement["object"])
    if "authority" in statement:
        reduced["authority"] = identifier_only(statement["authority"])
    if "context" in statement:
        reduced["context"] = _context_ids(statement["context"])
    return reduced


def _object_ids(obj):
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        return {"id": obj["id"]}
    if kind in ("Agent", "Group"):
        return identifier_only(obj)
    if kind == "SubStatement":
        return {"objectType": "SubStatement", **{k: v for k, v in to_ids(obj).items()}}
    return obj


def _context_ids(context):
    reduced = dict(context)
    for name in ("instructor", "team"):
        if name in context:
            reduced[name] = identifier_only(context[name])
    if "contextActivities" in context:
        reduced["contextActivities"] = {
            key: [{"id": a["id"]} for a in activities]
            for key, activities in context["contextActivities"].items()}
    if "contextAgents" in context:
        reduced["contextAgents"] = [{**c, "agent": identifier_only(c["agent"])}
                                    for c in context["contextAgents"]]
    if "contextGroups" in context:
        reduced["contextGroups"] = [{**c, "group": identifier_only(c["group"])}
                                    for c in context["contextGroups"]]
    return reduced


def to_canonical(statement, definition_of, languages):
    """Activities carry the canonical definition and every language map one entry (QRY-33..36).

    `definition_of(activity_id)` returns the canonical definition or None; `languages` is the
    preference list from parse_accept_language.
    """
    result = dict(statement)
    result["verb"] = _canonical_verb(statement["verb"], languages)
    result["object"] = _canonical_object(statement["object"], definition_of, languages)
    if "context" in statement and "contextActivities" in statement["context"]:
        context = dict(statement["context"])
        context["contextActivities"] = {
            key: [_canonical_activity(a, definition_of, languages) for a in activities]
            for key, activities in context["contextActivities"].items()}
        result["context"] = context
    return result


def _canonical_verb(verb, languages):
    if "display" not in verb:
        return verb
    return {**verb, "display": pick_language(verb["display"], languages)}


def _canonical_object(obj, definition_of, languages):
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        return _canonical_activity(obj, definition_of, languages)
    if kind == "SubStatement":
        return to_canonical(obj, definition_of, languages)
    return obj


def _canonical_activity(activity, definition_of, languages):
    definition = definition_of(activity["id"]) or activity.get("definition")
    result = {k: v for k, v in activity.items() if k != "definition"}
    if definition:
        result["definition"] = _one_language_definition(definition, languages)
    return result


def _one_language_definition(definition, languages):
    reduced = dict(definition)
    for name in _LANGUAGE_MAPS:
        if name in definition:
            reduced[name] = pick_language(definition[name], languages)
    for name in _COMPONENT_LISTS:
        if name in definition:
            reduced[name] = [
                {**c, "description": pick_language(c["description"], languages)} if "description" in c else c
                for c in definition[name]]
    return reduced


def parse_accept_language(header):
    """Language ranges in order of preference (quality values honoured, q=0 dropped)."""
    ranges = []
    for position, part in enumerate((header or "").split(",")):
        pieces = [p.strip() for p in part.split(";")]
        tag = pieces[0].lower()
        if not tag:
            continue
        quality = 1.0
        for parameter in pieces[1:]:
            if parameter.startswith("q="):
                try:
                    quality = float(parameter[2:])
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranges.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranges)]


def pick_language(language_map, languages):
    """A one-entry map chosen by the ranges, then en-US, en, the first key (QRY-35, QRY-36)."""
    if not language_map:
        return language_map
    lowered = {key.lower(): key for key in language_map}
    for wanted in list(languages) + ["en-us", "en"]:
        if wanted == "*":
            key = next(iter(language_map))
            return {key: language_map[key]}
        if wanted in lowered:
            key = lowered[wanted]
            return {key: language_map[key]}
        for low, key in lowered.items():
            if low.startswith(wanted + "-"):
                return {key: language_map[key]}
    key = next(iter(language_map))
    return {key: language_map[key]}
