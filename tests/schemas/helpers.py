"""Builders and assertions shared by the schema tests."""
import copy

import pytest

import schemas

VERSIONS = ("1.0.3", "2.0.0")
SHA256 = "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634"
UUID1 = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"
UUID2 = "9e13cefd-53d3-4eac-b5ed-2cf6693903bb"
AGENT = {"objectType": "Agent", "mbox": "mailto:learner@example.com"}
AGENT2 = {"objectType": "Agent", "mbox": "mailto:other@example.com"}
ACTIVITY = {"objectType": "Activity", "id": "http://example.com/activities/unit-1"}


def statement(**overrides):
    """A minimal valid statement; keyword arguments replace or add top-level properties."""
    data = {
        "actor": {"objectType": "Agent", "name": "Learner", "mbox": "mailto:learner@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {"objectType": "Activity", "id": "http://example.com/activities/unit-1"},
    }
    data.update(copy.deepcopy(overrides))
    return data


def substatement(**overrides):
    data = {
        "objectType": "SubStatement",
        "actor": {"objectType": "Agent", "mbox": "mailto:sub@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": "http://example.com/activities/sub"},
    }
    data.update(copy.deepcopy(overrides))
    return data


def put(data, path, value):
    """A deep copy of data with the dotted path set to value (`context.contextActivities.parent`)."""
    data = copy.deepcopy(data)
    target = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = copy.deepcopy(value)
    return data


def accept(data, version):
    return schemas.validate_statement(data, version)


def reject(data, version, rule=None, path=None):
    """Assert the statement is rejected; optionally that the message cites `rule` and the error path."""
    with pytest.raises(schemas.XAPIValidationError) as caught:
        schemas.validate_statement(data, version)
    error = caught.value
    if rule is not None:
        assert rule in error.message, error.message
    if path is not None:
        assert error.path == path, error.message
    return error
