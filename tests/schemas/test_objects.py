"""Verbs, objects, Activities and their definitions, StatementRefs and SubStatements
(VERB, OBJ, ACT, ADEF, SREF, SUB, LANG-4, EXT-1..EXT-3 in definitions)."""
import pytest

from .helpers import AGENT, UUID1, VERSIONS, accept, put, reject, statement, substatement

BAD_IRIS = ["ab=c://should.fail.com", "www.example.com/x", "example.com/ext", "", "http://exa mple.com/",
            "http://example.com/%zz", "://missing.scheme", "1http://x.com"]
COMPONENTS = [{"id": "a", "description": {"en-US": "A"}}, {"id": "b"}]
INTERACTIONS = {
    "true-false": {"correctResponsesPattern": ["true"]},
    "choice": {"correctResponsesPattern": ["a[,]b"], "choices": COMPONENTS},
    "fill-in": {"correctResponsesPattern": ["{case_matters=false}Bob's your uncle"]},
    "long-fill-in": {"correctResponsesPattern": ["{lang=en}To be or not to be"]},
    "matching": {"correctResponsesPattern": ["a[.]b"], "source": COMPONENTS, "target": COMPONENTS},
    "performance": {"correctResponsesPattern": ["a[.]1:10"], "steps": COMPONENTS},
    "sequencing": {"correctResponsesPattern": ["a[,]b"], "choices": COMPONENTS},
    "likert": {"correctResponsesPattern": ["a"], "scale": COMPONENTS},
    "numeric": {"correctResponsesPattern": ["4[:]"]},
    "other": {"correctResponsesPattern": ["(35.937432,-86.868896)"]},
}


def with_definition(**definition):
    return statement(object={"id": "http://example.com/activities/q1", "definition": definition})


# --- Verb ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("verb_id", BAD_IRIS + [12, None])
def test_a_verb_id_must_be_an_absolute_iri_VERB_1_GEN_8(version, verb_id):
    reject(statement(verb={"id": verb_id}), version, None, ["verb", "id"])


@pytest.mark.parametrize("version", VERSIONS)
def test_a_verb_without_id_is_rejected_VERB_1(version):
    reject(statement(verb={"display": {"en-US": "x"}}), version, "VERB-1", ["verb", "id"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("display", [12, "completed", ["completed"]])
def test_a_verb_display_must_be_a_language_map_VERB_2(version, display):
    reject(statement(verb={"id": "http://example.com/v", "display": display}), version, "VERB-2")


@pytest.mark.parametrize("version", VERSIONS)
def test_a_verb_has_only_id_and_display_VERB_3(version):
    reject(statement(verb={"id": "http://example.com/v", "name": "x"}), version, "VERB-3", ["verb", "name"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("verb_id", ["http://adlnet.gov/expapi/verbs/completed", "urn:example:verb:done",
                                     "https://example.com/verbs/ÄöÜ", "tag:example.com,2026:verb"])
def test_absolute_iris_are_accepted_as_verb_ids_FMT_1(version, verb_id):
    accept(statement(verb={"id": verb_id}), version)


# --- Object and Activity ------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("object_type", ["activity", "agent", "Statementref", "substatement", "Person", "Verb"])
def test_an_object_type_outside_the_exact_enumeration_is_rejected_OBJ_1_GEN_6(version, object_type):
    reject(statement(object={"objectType": object_type, "id": "http://example.com/a"}), version, "OBJ-1",
           ["object", "objectType"])


@pytest.mark.parametrize("version", VERSIONS)
def test_an_object_without_object_type_is_an_activity_OBJ_2(version):
    assert accept(statement(object={"id": "http://example.com/a"}), version)["object"] == {"id": "http://example.com/a"}


@pytest.mark.parametrize("version", VERSIONS)
def test_a_statement_ref_without_object_type_is_rejected_as_an_activity_OBJ_3(version):
    reject(statement(object={"id": UUID1}), version, None, ["object", "id"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("activity_id", BAD_IRIS + [12])
def test_an_activity_id_must_be_an_absolute_iri_ACT_1(version, activity_id):
    reject(statement(object={"id": activity_id}), version, "ACT-1", ["object", "id"])


@pytest.mark.parametrize("version", VERSIONS)
def test_an_activity_without_id_is_rejected_ACT_1(version):
    reject(statement(object={"objectType": "Activity"}), version, "ACT-1", ["object", "id"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("definition", ["a definition", 12, []])
def test_a_definition_must_be_an_object_ACT_3(version, definition):
    reject(statement(object={"id": "http://example.com/a", "definition": definition}), version, "ACT-3")


@pytest.mark.parametrize("version", VERSIONS)
def test_an_activity_has_no_other_properties_ACT_4(version):
    reject(statement(object={"id": "http://example.com/a", "name": "x"}), version, "ACT-4", ["object", "name"])


@pytest.mark.parametrize("version", VERSIONS)
def test_an_empty_definition_and_empty_extensions_are_accepted_GEN_12_STRICT_5(version):
    assert accept(with_definition(), version)["object"]["definition"] == {}
    assert accept(with_definition(extensions={}), version)["object"]["definition"] == {"extensions": {}}


@pytest.mark.parametrize("version", VERSIONS)
def test_a_full_definition_is_accepted_unchanged_ADEF_1(version):
    definition = {"name": {"en-US": "Q1"}, "description": {"en-US": "Question 1", "zh-Hant": "問題"},
                  "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                  "moreInfo": "https://example.com/q1", "interactionType": "choice",
                  "correctResponsesPattern": ["a"], "choices": COMPONENTS,
                  "extensions": {"http://example.com/ext": None}}
    assert accept(with_definition(**definition), version)["object"]["definition"] == definition


@pytest.mark.parametrize("version", VERSIONS)
def test_an_unknown_definition_property_is_rejected_ADEF_1(version):
    reject(with_definition(title={"en-US": "x"}), version, "ADEF-1")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", ["name", "description"])
@pytest.mark.parametrize("value", [12, "plain text", {"a12345678": "x"}, {"en-US": 12}, {"en-US": None}])
def test_definition_name_and_description_must_be_language_maps_ADEF_2_LANG_1(version, name, value):
    reject(with_definition(**{name: value}), version, None, ["object", "definition", name] +
           (list(value) if isinstance(value, dict) else []))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name, value, rule", [("type", "not an iri", "ADEF-3"), ("type", 12, "ADEF-3"),
                                               ("moreInfo", "example.com/more", "ADEF-4"),
                                               ("moreInfo", "ab=c://x", "ADEF-4")])
def test_definition_type_and_more_info_must_be_absolute_ADEF_3_ADEF_4(version, name, value, rule):
    reject(with_definition(**{name: value}), version, rule, ["object", "definition", name])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("extensions, path", [("ext", []), ({"id": 1}, ["id"]), ({"description": "x"}, ["description"]),
                                              ({"not.valid.com/extension": 1}, ["not.valid.com/extension"])])
def test_definition_extensions_need_iri_keys_ADEF_5_EXT_2(version, extensions, path):
    reject(with_definition(extensions=extensions), version, None, ["object", "definition", "extensions"] + path)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("interaction_type", sorted(INTERACTIONS))
def test_every_interaction_type_with_its_components_is_accepted_ADEF_6_ADEF_8(version, interaction_type):
    accept(with_definition(interactionType=interaction_type, **INTERACTIONS[interaction_type]), version)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", ["Choice", "choiCe", "true_false", "http://example.com/choice", 12, {"t": "choice"}, ""])
def test_an_interaction_type_outside_the_enumeration_is_rejected_ADEF_6(version, value):
    reject(with_definition(interactionType=value), version, "ADEF-6", ["object", "definition", "interactionType"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("interaction_type", sorted(INTERACTIONS))
def test_components_without_interaction_type_are_rejected_ADEF_11_STRICT_7(version, interaction_type):
    reject(with_definition(**INTERACTIONS[interaction_type]), version, "ADEF-11")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("pattern", ["a", [1], [None], {"a": 1}])
def test_correct_responses_pattern_must_be_an_array_of_strings_ADEF_7(version, pattern):
    reject(with_definition(interactionType="choice", correctResponsesPattern=pattern), version, None)


@pytest.mark.parametrize("version", VERSIONS)
def test_an_empty_correct_responses_pattern_is_accepted_ADEF_15(version):
    accept(with_definition(interactionType="choice", correctResponsesPattern=[]), version)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", ["choices", "scale", "source", "target", "steps"])
@pytest.mark.parametrize("components, rule", [({"id": "a"}, "ADEF-8"), (["a"], "ADEF-9"), ([{"description": {"en": "x"}}], "ADEF-9"),
                                              ([{"id": 1}], "ADEF-9"), ([{"id": "a", "description": "A"}], "ADEF-9"),
                                              ([{"id": "a", "description": {"something": "A"}}], "LANG-2"),
                                              ([{"id": "a", "name": "A"}], "ADEF-9"),
                                              ([{"id": "a"}, {"id": "a"}], "ADEF-10")])
def test_invalid_interaction_components_are_rejected_ADEF_8_to_10(version, name, components, rule):
    reject(with_definition(interactionType="other", **{name: components}), version, rule)


@pytest.mark.parametrize("version", VERSIONS)
def test_component_lists_not_matching_the_interaction_type_are_accepted_ADEF_12(version):
    accept(with_definition(interactionType="true-false", choices=COMPONENTS), version)


# --- StatementRef ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_a_statement_ref_object_is_accepted_SREF_1(version):
    ref = {"objectType": "StatementRef", "id": UUID1}
    assert accept(statement(object=ref), version)["object"] == ref


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("ref, path", [({"objectType": "StatementRef"}, ["id"]),
                                       ({"objectType": "StatementRef", "id": "wrong"}, ["id"]),
                                       ({"objectType": "StatementRef", "id": 12}, ["id"]),
                                       ({"objectType": "StatementRef", "id": UUID1, "definition": {}}, ["definition"])])
def test_an_invalid_statement_ref_is_rejected_SREF_1(version, ref, path):
    reject(statement(object=ref), version, "SREF-1", ["object"] + path)


# --- SubStatement --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_a_full_substatement_is_accepted_SUB_2_SUB_5(version):
    sub = substatement(result={"success": True}, context={"registration": UUID1},
                       timestamp="2031-01-01T00:00:00.000Z",
                       attachments=[{"usageType": "http://example.com/u", "display": {"en-US": "a"},
                                     "contentType": "text/plain", "length": 1,
                                     "sha2": "a" * 64, "fileUrl": "http://example.com/f"}])
    assert accept(statement(object=sub), version)["object"] == sub


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", ["actor", "verb", "object"])
def test_a_substatement_without_actor_verb_or_object_is_rejected_SUB_2(version, name):
    sub = substatement()
    del sub[name]
    reject(statement(object=sub), version, "STMT-", ["object", name])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name, value", [("id", UUID1), ("stored", "2026-01-01T00:00:00Z"),
                                         ("version", "1.0.0"), ("authority", AGENT)])
def test_a_substatement_with_id_stored_version_or_authority_is_rejected_SUB_3(version, name, value):
    reject(statement(object=substatement(**{name: value})), version, "SUB-3", ["object", name])


@pytest.mark.parametrize("version", VERSIONS)
def test_a_nested_substatement_is_rejected_SUB_4(version):
    reject(statement(object=substatement(object=substatement())), version, "SUB-4", ["object", "object", "objectType"])


@pytest.mark.parametrize("version", VERSIONS)
def test_an_unknown_substatement_property_is_rejected_SUB_5(version):
    reject(statement(object=substatement(dummy=1)), version, "SUB-5", ["object", "dummy"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path, value", [("actor.mbox", "bad"), ("verb.id", "bad"), ("object.id", "bad"),
                                         ("result.success", "true"), ("context.registration", "bad"),
                                         ("timestamp", "should fail"), ("timestamp", "2008-09-15T15:53:00.601-00:00"),
                                         ("context.language", "something"), ("verb.display", {"a12345678": "x"})])
def test_statement_rules_apply_inside_substatements_GEN_19(version, path, value):
    data = statement(object=substatement())
    expected = ["object"] + path.split(".")
    assert reject(put(data, "object." + path, value), version).path[:len(expected)] == expected


@pytest.mark.parametrize("version", VERSIONS)
def test_the_substatement_object_type_must_be_exact_SUB_1(version):
    reject(statement(object=substatement(objectType="Substatement")), version, "OBJ-1")
