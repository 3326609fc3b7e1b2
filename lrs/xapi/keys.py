"""The index keys by which statement queries find a statement (QRY-14..QRY-19).

Computed once at write time, so that `related_activities` and `related_agents` queries are
index look-ups, not scans (lrs/store/base.py, StatementRecord.index_keys). Kinds:
  agent            actor, or an Agent/Group object, and their members (QRY-14)
  related_agent    the above plus authority, instructor, team, SubStatement actors and
                   2.0 contextAgents/contextGroups (QRY-15, CAG-9)
  verb             verb id (QRY-16)
  activity         the object's id when it is an Activity (QRY-17)
  related_activity the above plus every context activity and a SubStatement's activities (QRY-18)
  registration     context.registration, lower-case (QRY-19)
"""
from .agents import actor_keys

_CONTEXT_ACTIVITY_LISTS = ("parent", "grouping", "category", "other")


def _is_actor(obj):
    return obj.get("objectType") in ("Agent", "Group")


def _is_activity(obj):
    return obj.get("objectType", "Activity") == "Activity"


def _context_agents(context):
    found = []
    for name in ("instructor", "team"):
        if name in context:
            found.extend(actor_keys(context[name]))
    for entry in context.get("contextAgents", ()):
        found.extend(actor_keys(entry["agent"]))
    for entry in context.get("contextGroups", ()):
        found.extend(actor_keys(entry["group"]))
    return found


def _context_activities(context):
    lists = context.get("contextActivities", {})
    return [activity["id"] for name in _CONTEXT_ACTIVITY_LISTS for activity in lists.get(name, ())]


def index_keys(statement):
    """[(kind, value)] for a validated, normalised statement; no duplicates."""
    keys = []
    actor, obj = statement["actor"], statement["object"]
    agents = actor_keys(actor)
    if _is_actor(obj):
        agents += actor_keys(obj)
    related_agents = list(agents)
    if "authority" in statement:
        related_agents += actor_keys(statement["authority"])
    context = statement.get("context", {})
    related_agents += _context_agents(context)
    activities, related_activities = [], []
    if _is_activity(obj):
        activities.append(obj["id"])
    related_activities += activities + _context_activities(context)
    if obj.get("objectType") == "SubStatement":
        related_agents += actor_keys(obj["actor"])
        if _is_actor(obj["object"]):
            related_agents += actor_keys(obj["object"])
        if _is_activity(obj["object"]):
            related_activities.append(obj["object"]["id"])
        sub_context = obj.get("context", {})
        related_agents += _context_agents(sub_context)
        related_activities += _context_activities(sub_context)
    keys += [("agent", k) for k in agents]
    keys += [("related_agent", k) for k in related_agents]
    keys.append(("verb", statement["verb"]["id"]))
    keys += [("activity", a) for a in activities]
    keys += [("related_activity", a) for a in related_activities]
    if "registration" in context:
        keys.append(("registration", context["registration"].lower()))
    return list(dict.fromkeys(keys))
