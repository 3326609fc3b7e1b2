"""Canonical Activity definitions (ACT-6..ACT-8, ACTS-4)."""

_LANGUAGE_MAPS = ("name", "description")
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")


def merge_definition(current, incoming):
    """The canonical definition after seeing `incoming` in a statement.

    Language maps gather entries (a later statement's text wins for the same language);
    extensions gather keys; type and moreInfo take the latest value. interactionType,
    correctResponsesPattern and the component lists are significant: they are set once and
    not changed afterwards (ACT-8), so a statement reusing an id cannot rewrite the answers.
    """
    if current is None:
        return dict(incoming)
    merged = dict(current)
    for name in _LANGUAGE_MAPS:
        if name in incoming:
            merged[name] = {**current.get(name, {}), **incoming[name]}
    if "extensions" in incoming:
        merged["extensions"] = {**current.get("extensions", {}), **incoming["extensions"]}
    for name in ("type", "moreInfo"):
        if name in incoming:
            merged[name] = incoming[name]
    for name in ("interactionType", "correctResponsesPattern") + _COMPONENT_LISTS:
        if name in incoming and name not in current:
            merged[name] = incoming[name]
    return merged


def activity_object(activity_id, definition):
    """The Activity returned by the Activities resource (ACTS-1, ACTS-3, ACTS-5)."""
    activity = {"objectType": "Activity", "id": activity_id}
    if definition:
        activity["definition"] = definition
    return activity


class ActivityService:
    """The Activities resource (ACTS-1..ACTS-6) over the canonical definitions the store keeps."""

    def __init__(self, storage):
        self.storage = storage

    def activity(self, store_id, activity_id):
        """The Activity with its canonical definition, or a bare Activity for an unknown id (ACTS-5)."""
        return activity_object(activity_id, self.storage.get_activity_definition(store_id, activity_id))
