"""Result, Score, Context, contextActivities and the 2.0 contextAgents/contextGroups
(RES, SCORE, CTX, CA, CAG, EXT)."""
import pytest

from .helpers import ACTIVITY, AGENT, UUID1, VERSIONS, accept, put, reject, statement, substatement

CONTEXT_AGENT = {"objectType": "contextAgent", "agent": AGENT,
                 "relevantTypes": ["https://example.com/types/coach"]}
CONTEXT_GROUP = {"objectType": "contextGroup", "group": {"objectType": "Group", "member": [AGENT]},
                 "relevantTypes": ["https://example.com/types/cohort"]}


# --- Result and Score -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_a_full_result_is_accepted_unchanged_RES_1(version):
    result = {"score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10}, "success": False, "completion": True,
              "response": "a[,]b", "duration": "PT1H0M0.1S", "extensions": {"http://example.com/e": [1]}}
    assert accept(statement(result=result), version)["result"] == result


@pytest.mark.parametrize("version", VERSIONS)
def test_an_unknown_result_property_is_rejected_RES_1(version):
    reject(statement(result={"passed": True}), version, "RES-1", ["result", "passed"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", ["success", "completion"])
@pytest.mark.parametrize("value", ["true", "false", 1, 0, None])
def test_success_and_completion_must_be_json_booleans_RES_2_GEN_3(version, name, value):
    reject(statement(result={name: value}), version, None, ["result", name])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", [12, {"a": 1}, ["a"], True])
def test_response_must_be_a_string_RES_3(version, value):
    reject(statement(result={"response": value}), version, "RES-3", ["result", "response"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", [12, "ext", ["x"]])
def test_result_extensions_must_be_an_object_RES_5_EXT_1(version, value):
    reject(statement(result={"extensions": value}), version, "RES-5", ["result", "extensions"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", [0.5, "score", [1]])
def test_score_must_be_an_object_SCORE_1(version, value):
    reject(statement(result={"score": value}), version, "SCORE-1", ["result", "score"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", ["scaled", "raw", "min", "max"])
@pytest.mark.parametrize("value", ["0.5", True, False, None, [1], {"v": 1}, float("nan"), float("inf")])
def test_score_values_must_be_json_numbers_never_strings_or_booleans_SCORE_2(version, name, value):
    reject(statement(result={"score": {name: value}}), version, None, ["result", "score", name])


@pytest.mark.parametrize("version", VERSIONS)
def test_an_unknown_score_property_is_rejected_SCORE_2(version):
    reject(statement(result={"score": {"percent": 50}}), version, "SCORE-2")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("scaled", [1, -1, 0, 0.6767676, -1.0, 1.0])
def test_scaled_within_minus_one_and_one_is_accepted_SCORE_3(version, scaled):
    accept(statement(result={"score": {"scaled": scaled}}), version)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("scaled", [1.01, -1.00001, 2, -100])
def test_scaled_outside_minus_one_and_one_is_rejected_SCORE_3(version, scaled):
    reject(statement(result={"score": {"scaled": scaled}}), version, "SCORE-3", ["result", "score", "scaled"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("low, high", [(10, 10), (10, 5), (0.5, 0.4)])
def test_min_must_be_below_max_SCORE_4(version, low, high):
    reject(statement(result={"score": {"min": low, "max": high}}), version, "SCORE-4")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("score", [{"raw": -1, "min": 0}, {"raw": 11, "max": 10}, {"raw": 11, "min": 0, "max": 10}])
def test_raw_outside_min_and_max_is_rejected_SCORE_5(version, score):
    reject(statement(result={"score": score}), version, "SCORE-5", ["result", "score", "raw"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("score", [{"raw": 0, "min": 0, "max": 10}, {"raw": 10, "min": 0, "max": 10},
                                   {"raw": -1e9}, {"raw": 5, "max": 10}, {"raw": 5, "min": 5}])
def test_raw_within_its_bounds_or_unbounded_is_accepted_SCORE_5(version, score):
    accept(statement(result={"score": score}), version)


# --- Context --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_a_full_context_is_accepted_CTX_1(version):
    context = {"registration": UUID1, "instructor": AGENT, "team": {"objectType": "Group", "member": [AGENT]},
               "contextActivities": {"parent": [ACTIVITY], "grouping": [ACTIVITY], "category": [ACTIVITY],
                                     "other": [ACTIVITY]},
               "revision": "r1", "platform": "web", "language": "en-US",
               "statement": {"objectType": "StatementRef", "id": UUID1},
               "extensions": {"http://example.com/c": {"a": None}}}
    assert accept(statement(context=context), version)["context"] == context


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", [{"id": UUID1}, "not a uuid", 12])
def test_registration_must_be_a_uuid_CTX_2(version, value):
    reject(statement(context={"registration": value}), version, "CTX-2", ["context", "registration"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", [AGENT, {"mbox": "mailto:a@example.com"}, {"member": [AGENT]}, "team"])
def test_team_must_be_a_group_CTX_4(version, value):
    reject(statement(context={"team": value}), version, "CTX-4")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name, rule", [("revision", "CTX-5"), ("platform", "CTX-6")])
@pytest.mark.parametrize("value", [12, {"v": 1}, True])
def test_revision_and_platform_must_be_strings_CTX_5_CTX_6(version, name, rule, value):
    reject(statement(context={name: value}), version, rule, ["context", name])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name, rule", [("revision", "CTX-7"), ("platform", "CTX-8")])
@pytest.mark.parametrize("target", [AGENT, {"objectType": "Group", "member": [AGENT]},
                                    {"objectType": "StatementRef", "id": UUID1}, substatement()])
def test_revision_and_platform_are_rejected_unless_the_object_is_an_activity_CTX_7_CTX_8_STRICT_11(version, name, rule, target):
    reject(statement(object=target, context={name: "x"}), version, rule, ["context", name])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", ["revision", "platform"])
@pytest.mark.parametrize("target", [ACTIVITY, {"id": "http://example.com/no-object-type"}])
def test_revision_and_platform_are_accepted_with_an_activity_object_CTX_7_CTX_8_STRICT_11(version, name, target):
    accept(statement(object=target, context={name: "x"}), version)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", ["revision", "platform"])
def test_revision_and_platform_in_a_substatement_are_judged_by_its_own_object_SUB_7(version, name):
    accept(statement(object=substatement(context={name: "x"})), version)
    reject(statement(object=substatement(object=AGENT, context={name: "x"})), version, None,
           ["object", "context", name])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", ["en-US", "cmn", "tlh", "fr-CA", "zh-Hant", "sr-Latn-RS"])
def test_a_valid_context_language_is_accepted_CTX_9(version, value):
    accept(statement(context={"language": value}), version)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", ["something", "a12345678", "", 12, {"en": "x"}, "en_US", "en-"])
def test_an_invalid_context_language_is_rejected_CTX_9(version, value):
    reject(statement(context={"language": value}), version, "CTX-9", ["context", "language"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", [{"id": UUID1}, {"objectType": "StatementRef", "id": "x"},
                                   {"objectType": "Activity", "id": "http://example.com/a"}, UUID1])
def test_context_statement_must_be_a_statement_ref_CTX_10(version, value):
    reject(statement(context={"statement": value}), version, None, None)


@pytest.mark.parametrize("version", VERSIONS)
def test_an_unknown_context_property_is_rejected_CTX_1(version):
    reject(statement(context={"session": "x"}), version, "CTX-1", ["context", "session"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", ["parent", 12, [ACTIVITY]])
def test_context_activities_must_be_an_object_CA_1(version, value):
    reject(statement(context={"contextActivities": value}), version, "CA-1", ["context", "contextActivities"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("key", ["Parent", "parents", "related", "dummy"])
def test_context_activities_keys_are_limited_CA_2(version, key):
    error = reject(statement(context={"contextActivities": {key: [ACTIVITY]}}), version, None,
                   ["context", "contextActivities", key])
    assert "CA-2" in error.message or "GEN-5" in error.message


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", ["http://example.com/a", [ACTIVITY, "http://example.com/a"], [AGENT],
                                   [{"objectType": "Agent", "mbox": "mailto:a@example.com"}], {"id": "bad"}, 12])
def test_context_activities_values_must_be_activities_CA_3(version, value):
    reject(statement(context={"contextActivities": {"parent": value}}), version, None)


@pytest.mark.parametrize("version", VERSIONS)
def test_empty_context_activities_and_empty_arrays_are_accepted_CA_4_GEN_12(version):
    assert accept(statement(context={"contextActivities": {}}), version)["context"]["contextActivities"] == {}
    out = accept(statement(context={"contextActivities": {"parent": []}}), version)
    assert out["context"]["contextActivities"] == {"parent": []}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", [12, "ext", [{"http://example.com/e": 1}]])
def test_context_extensions_must_be_an_object_CTX_11_EXT_1(version, value):
    reject(statement(context={"extensions": value}), version, "CTX-11")


# --- contextAgents and contextGroups (2.0) -----------------------------------------------------------------------

@pytest.mark.parametrize("name, value", [("contextAgents", [CONTEXT_AGENT]), ("contextGroups", [CONTEXT_GROUP])])
def test_context_agents_and_groups_are_accepted_under_2_0_CAG_1_CAG_6(name, value):
    assert accept(statement(context={name: value}), "2.0.0")["context"][name] == value


@pytest.mark.parametrize("name, value", [("contextAgents", [CONTEXT_AGENT]), ("contextGroups", [CONTEXT_GROUP])])
def test_context_agents_and_groups_are_accepted_in_a_substatement_under_2_0_CAG_7(name, value):
    accept(statement(object=substatement(context={name: value})), "2.0.0")


@pytest.mark.parametrize("name, value", [("contextAgents", [CONTEXT_AGENT]), ("contextGroups", [CONTEXT_GROUP])])
@pytest.mark.parametrize("in_substatement", [False, True])
def test_context_agents_and_groups_are_unknown_under_1_0_3_CAG_8(name, value, in_substatement):
    data = statement(context={name: value})
    if in_substatement:
        data = statement(object=substatement(context={name: value}))
    reject(data, "1.0.3", "CAG-8")


def test_context_agents_without_relevant_types_are_accepted_CAG_4():
    accept(statement(context={"contextAgents": [{"objectType": "contextAgent", "agent": AGENT}]}), "2.0.0")


@pytest.mark.parametrize("value", [CONTEXT_AGENT, "x", [AGENT]])
def test_context_agents_must_be_an_array_of_context_agents_CAG_1(value):
    reject(statement(context={"contextAgents": value}), "2.0.0", None)


@pytest.mark.parametrize("in_substatement", [False, True])
@pytest.mark.parametrize("context_agent, rule", [
    (dict(CONTEXT_AGENT, objectType="Should fail"), "CAG-2"),
    (dict(CONTEXT_AGENT, objectType="ContextAgent"), "CAG-2"),
    ({"agent": AGENT}, "CAG-2"),
    (dict(CONTEXT_AGENT, agent={"key": "Should fail"}), "AGT-5"),
    ({"objectType": "contextAgent"}, "CAG-3"),
    (dict(CONTEXT_AGENT, agent={"objectType": "Group", "mbox": "mailto:g@example.com"}), "AGT-2"),
    (dict(CONTEXT_AGENT, relevantTypes=[]), "CAG-4"),
    (dict(CONTEXT_AGENT, relevantTypes=["abc"]), "CAG-4"),
    (dict(CONTEXT_AGENT, relevantTypes="https://example.com/t"), "CAG-4"),
    (dict(CONTEXT_AGENT, extra=1), "CAG-5"),
])
def test_invalid_context_agents_are_rejected_CAG_2_to_CAG_5(context_agent, rule, in_substatement):
    context = {"contextAgents": [context_agent]}
    data = statement(object=substatement(context=context)) if in_substatement else statement(context=context)
    reject(data, "2.0.0", rule)


@pytest.mark.parametrize("context_group, rule", [
    (dict(CONTEXT_GROUP, objectType="contextAgent"), "CAG-6"),
    ({"group": CONTEXT_GROUP["group"]}, "CAG-6"),
    ({"objectType": "contextGroup"}, "CAG-6"),
    (dict(CONTEXT_GROUP, group=AGENT), "AGT-7"),
    (dict(CONTEXT_GROUP, group={"objectType": "Group"}), "AGT-9"),
    (dict(CONTEXT_GROUP, relevantTypes=[]), "CAG-4"),
    (dict(CONTEXT_GROUP, relevantTypes=["abc"]), "CAG-4"),
    (dict(CONTEXT_GROUP, extra=1), "CAG-6"),
])
def test_invalid_context_groups_are_rejected_CAG_4_CAG_6(context_group, rule):
    reject(statement(context={"contextGroups": [context_group]}), "2.0.0", rule)


def test_an_identified_context_group_is_accepted_CAG_6():
    group = dict(CONTEXT_GROUP, group={"objectType": "Group", "mbox": "mailto:g@example.com"})
    accept(statement(context={"contextGroups": [group]}), "2.0.0")


def test_a_context_agent_error_names_its_index_CAG_3():
    data = statement(context={"contextAgents": [CONTEXT_AGENT, dict(CONTEXT_AGENT, agent={"mbox": "x"})]})
    reject(data, "2.0.0", "IFI-1", ["context", "contextAgents", 1, "agent", "mbox"])


@pytest.mark.parametrize("version", VERSIONS)
def test_the_context_of_a_1_0_3_statement_in_a_substatement_follows_the_same_version_CAG_8(version):
    data = put(statement(object=substatement()), "object.context", {"contextAgents": [CONTEXT_AGENT]})
    if version == "2.0.0":
        accept(data, version)
    else:
        reject(data, version, "CAG-8")
