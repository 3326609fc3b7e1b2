"""Properties of statements over the real application (issue 15), on both backends and versions.

- every generated valid statement is accepted, and reads back unchanged: exactly what the schemas
  normalise it to (timestamp in UTC, contextActivities as arrays), plus only what the LRS adds
  (stored, authority, and version, timestamp and id when they were not sent), and equivalent to
  what was sent under the CMP rules (lrs/xapi/compare.py);
- every statement compares equal to itself and to its normalised form (CMP-1);
- a single mutation of a valid statement (a removed required property, a wrong type, an
  out-of-range score, a bad IRI, UUID, timestamp, duration, language tag, mbox, an unknown
  property) is rejected with 400 and a message, and nothing is stored (ERR-5).

Bounded by the hypothesis profile of tests/strategies.py (fixed seed in the default "ci" profile).
"""
import copy
import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import schemas
from lrs.xapi.compare import equivalent
from tests.strategies import VERSIONS, examples, statements

from .conftest import LRS  # noqa: F401  (the fixture's type)

LRS_ADDED = ("stored", "authority")


def fresh_id(data):
    """A new id per example (hypothesis repeats drawn values across examples; the app lives for all
    of them), in the case the example chooses (ID-4: ids are kept as sent)."""
    value = str(uuid.uuid4())
    return value.upper() if data.draw(st.booleans(), label="upper-case id") else value


def send(client, statement, method):
    if method == "PUT":
        return client.put("/xapi/statements?statementId=" + statement["id"], json=statement)
    return client.post_statements([statement])


def read_back(client, statement_id):
    response = client.get("/xapi/statements?statementId=" + statement_id)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=examples(150))
@given(data=st.data())
def test_generated_statements_are_valid_and_equal_to_themselves_CMP_1(version, data):
    """The strategies' promise, and equivalence is reflexive on every shape. `equivalent` takes
    validated statements (its contract: contextActivities already arrays), as the service gives it."""
    statement = data.draw(statements(version))
    normalised = schemas.validate_statement(statement, version)
    assert equivalent(normalised, copy.deepcopy(normalised))
    assert equivalent(normalised, schemas.validate_statement(normalised, version))


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=examples(50))
@given(data=st.data())
def test_valid_statement_is_accepted_and_reads_back_unchanged_issue_15(lrs, version, data):
    client = lrs.clients[version]
    statement = data.draw(statements(version))
    statement["id"] = fresh_id(data)
    method = data.draw(st.sampled_from(["POST", "PUT"]))
    response = send(client, statement, method)
    assert response.status_code == (204 if method == "PUT" else 200), response.get_data(as_text=True)
    returned = read_back(client, statement["id"])

    expected = schemas.validate_statement(statement, version)
    assert equivalent(expected, returned)
    for name in LRS_ADDED:                          # set by the LRS whatever was sent (AUTH-3, TIME-10)
        expected.pop(name, None)
        assert name in returned
        returned.pop(name)
    assert returned.pop("version") == statement.get("version", "1.0.0" if version == "1.0.3" else "2.0.0")
    expected.pop("version", None)
    if "timestamp" not in statement:
        returned.pop("timestamp")
    assert returned == expected


# --- single mutations --------------------------------------------------------------------------

def _at(statement, path):
    value = statement
    for key in path:
        value = value[key]
    return value


def _set(statement, path, value):
    _at(statement, path[:-1])[path[-1]] = value


def _required_paths(statement):
    paths = [("actor",), ("verb",), ("object",), ("verb", "id")]
    obj = statement["object"]
    if obj.get("objectType", "Activity") in ("Activity", "StatementRef"):
        paths.append(("object", "id"))
    if obj.get("objectType") == "SubStatement":
        paths += [("object", "actor"), ("object", "verb"), ("object", "object")]
    if "account" in statement["actor"]:
        paths.append(("actor", "account", "name"))
    for index, attachment in enumerate(statement.get("attachments", ())):
        paths += [("attachments", index, key) for key in ("usageType", "display", "contentType", "length", "sha2")]
    return paths


def drop_required(statement, draw):
    path = draw(st.sampled_from(_required_paths(statement)))
    del _at(statement, path[:-1])[path[-1]]


WRONG_TYPES = {
    ("actor",): ["Ada", [], 1],
    ("verb",): ["completed", []],
    ("verb", "id"): [42, None, ["http://example.gov/v"]],
    ("object",): ["http://example.gov/a", 5],
    ("id",): [123, None],
    ("timestamp",): [1700000000, None],
}


def wrong_type(statement, draw):
    candidates = dict(WRONG_TYPES)
    if "result" in statement:
        candidates[("result", "success")] = ["true", 1]
        candidates[("result", "duration")] = [60]
        if "score" in statement["result"]:
            candidates[("result", "score")] = [0.5]
    if "context" in statement:
        candidates[("context", "registration")] = [5]
        candidates[("context", "contextActivities")] = ["http://example.gov/parent"]
    if statement.get("attachments"):
        candidates[("attachments", 0, "length")] = ["12", 1.5, -1]
    path = draw(st.sampled_from(sorted(candidates, key=str)))
    _set(statement, path, draw(st.sampled_from(candidates[path])))


def score_out_of_range(statement, draw):
    score = draw(st.sampled_from([{"scaled": 1.0001}, {"scaled": -1.5}, {"raw": 11, "min": 0, "max": 10},
                                  {"raw": -1, "min": 0}, {"min": 5, "max": 5}, {"min": 6, "max": 5}]))
    statement.setdefault("result", {})["score"] = score


BAD_IRIS = ["completed", "http//example.gov/x", "http://exa mple.gov/x", "", "://example.gov", "http://x/%zz"]


def bad_iri(statement, draw):
    paths = [("verb", "id")]
    if statement["object"].get("objectType", "Activity") == "Activity":
        paths.append(("object", "id"))
    path = draw(st.sampled_from(paths))
    if draw(st.booleans()):
        _set(statement, path, draw(st.sampled_from(BAD_IRIS)))
    else:
        statement.setdefault("result", {})["extensions"] = {draw(st.sampled_from(BAD_IRIS)): 1}


BAD_UUIDS = ["not-a-uuid", "12345678-1234-1234-1234-1234567890", "g2345678-1234-1234-1234-123456789012", "",
             "{12345678-1234-1234-1234-123456789012}"]


def bad_uuid(statement, draw):
    if draw(st.booleans()):
        statement["id"] = draw(st.sampled_from(BAD_UUIDS))
    else:
        statement.setdefault("context", {})["registration"] = draw(st.sampled_from(BAD_UUIDS))


BAD_TIMESTAMPS = ["2026-02-30T10:00:00Z", "2026-01-01", "2026-01-01T10:00Z", "yesterday", "20260101T100000Z",
                  "2026-01-01T10:00:00-00:00", "2026-01-01T25:00:00Z", "2026-01-01T10:00:60Z"]


def bad_timestamp(statement, draw):
    value = draw(st.sampled_from(BAD_TIMESTAMPS))
    if statement["object"].get("objectType") == "SubStatement" and draw(st.booleans()):
        statement["object"]["timestamp"] = value
    else:
        statement["timestamp"] = value


def bad_duration(statement, draw):
    statement.setdefault("result", {})["duration"] = draw(st.sampled_from(
        ["PT1,5S", "1H", "P", "PT", "P1.5DT1H", "PT-5S", "P1H"]))


def bad_language_tag(statement, draw):
    if draw(st.booleans()):
        statement["verb"]["display"] = {draw(st.sampled_from(["not a tag", "a12345678", "en_US", ""])): "x"}
    else:
        statement.setdefault("context", {})["language"] = draw(st.sampled_from(["english!", "en-", "e"]))


def bad_mbox(statement, draw):
    statement["actor"] = {"mbox": draw(st.sampled_from(["ada@example.gov", "MAILTO:ada@example.gov",
                                                        "mailto:ada", "mailto:ada@example.gov?subject=x"]))}


def unknown_property(statement, draw):
    where = draw(st.sampled_from([(), ("verb",), ("actor",)]))
    _at(statement, where)[draw(st.sampled_from(["colour", "Id", "Verb"]))] = 1


MUTATIONS = [drop_required, wrong_type, score_out_of_range, bad_iri, bad_uuid, bad_timestamp, bad_duration,
             bad_language_tag, bad_mbox, unknown_property]


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=examples(60))
@given(data=st.data())
def test_single_mutation_is_rejected_with_400_and_nothing_is_stored_ERR_5(lrs, version, data):
    client = lrs.clients[version]
    original = data.draw(statements(version))
    mutation = data.draw(st.sampled_from(MUTATIONS))
    mutated = copy.deepcopy(original)
    mutation(mutated, data.draw)
    with pytest.raises(schemas.XAPIValidationError):            # the oracle: the schemas refuse it too
        schemas.validate_statement(mutated, version)

    response = client.post("/xapi/statements", data=json.dumps([mutated]),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400, (mutation.__name__, response.status_code, response.get_data(as_text=True))
    assert response.headers["X-Experience-API-Version"] == version
    assert response.get_json()["error"]["message"]
    assert lrs.stored(original["id"]) is None
    assert client.get("/xapi/statements?statementId=" + original["id"]).status_code == 404
    assert client.get("/xapi/statements").get_json()["statements"] == []


@settings(max_examples=examples(20))
@given(data=st.data())
def test_context_agents_are_rejected_under_1_0_3_CAG_8(lrs, data):
    """The one structural difference: a 2.0 context sent under 1.0.3 is refused, never stored."""
    statement = data.draw(statements("1.0.3"))
    statement.setdefault("context", {})["contextAgents"] = [{"objectType": "contextAgent",
                                                            "agent": {"mbox": "mailto:ada@example.gov"}}]
    response = lrs.clients["1.0.3"].post_statements([statement])
    assert response.status_code == 400 and "contextAgents" in response.get_json()["error"]["message"]
    assert lrs.stored(statement["id"]) is None
