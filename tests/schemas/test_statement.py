"""Statement-level rules, general formatting and normalisation (GEN, STMT, ID, VOID, SVER, CA-5, TIME-8)."""
import copy
import json

import pytest

import schemas

from .helpers import ACTIVITY, UUID1, VERSIONS, accept, put, reject, statement, substatement


@pytest.mark.parametrize("version", VERSIONS)
def test_a_minimal_statement_is_accepted_and_returned_equal_STMT_4(version):
    assert accept(statement(), version) == statement()


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("body", [[], "statement", 3, None, True])
def test_a_statement_that_is_not_an_object_is_rejected_GEN_1(version, body):
    reject(body, version, "GEN-1")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name, rule", [("actor", "STMT-1"), ("verb", "STMT-2"), ("object", "STMT-3")])
def test_a_statement_without_actor_verb_or_object_is_rejected_STMT_1_to_3(version, name, rule):
    data = statement()
    del data[name]
    reject(data, version, rule, [name])


@pytest.mark.parametrize("version", VERSIONS)
def test_an_unknown_top_level_property_is_rejected_GEN_9_STRICT_6(version):
    reject(statement(dummy="x"), version, "GEN-9", ["dummy"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("key, value", [("iD", UUID1), ("timeStamp", "2026-01-01T00:00:00Z"),
                                        ("STOred", "2026-01-01T00:00:00Z"), ("Version", "1.0.0"),
                                        ("attachmentS", []), ("Actor", {"mbox": "mailto:a@b.c"})])
def test_a_mis_cased_key_is_rejected_and_named_GEN_5_STRICT_6(version, key, value):
    error = reject(statement(**{key: value}), version, "GEN-5", [key])
    assert key.lower() in error.message.lower()


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", ["actor.name", "verb.display.en-US", "context.registration",
                                  "object.definition.moreInfo", "result", "context", "id", "timestamp",
                                  "result.success", "object.definition.name"])
def test_null_is_rejected_outside_extensions_GEN_2_STRICT_5(version, path):
    if path == "verb.display.en-US":
        data = statement(verb={"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": None}})
    else:
        data = put(statement(), path, None)
    reject(data, version, "GEN-2")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", [UUID1, UUID1.upper()])
def test_a_uuid_id_in_either_case_is_accepted_and_kept_ID_1_ID_4(version, value):
    assert accept(statement(id=value), version)["id"] == value


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", [12345, {"id": UUID1}, "", "wrong", UUID1[:-1], UUID1 + "0",
                                   UUID1.replace("f", "g"), UUID1.replace("-", ""), "{%s}" % UUID1,
                                   "urn:uuid:" + UUID1, UUID1 + "\n"])
def test_an_invalid_id_is_rejected_ID_1_FMT_4(version, value):
    reject(statement(id=value), version, "ID-1", ["id"])


@pytest.mark.parametrize("version", VERSIONS)
def test_result_and_context_must_be_objects_STMT_5(version):
    reject(statement(result="passed"), version, "STMT-5", ["result"])
    reject(statement(context=[]), version, "STMT-5", ["context"])


@pytest.mark.parametrize("version", VERSIONS)
def test_properties_are_accepted_in_any_order_and_key_order_is_kept_GEN_11(version):
    data = dict(reversed(list(statement(timestamp="2026-01-01T00:00:00.000Z").items())))
    assert list(accept(data, version)) == list(data)


@pytest.mark.parametrize("version", VERSIONS)
def test_numbers_keep_full_precision_and_type_GEN_13_STRICT_3(version):
    score = {"scaled": 0.12123434, "raw": 12, "min": 0, "max": 20.0}
    out = accept(statement(result={"score": score}), version)["result"]["score"]
    assert out == score
    assert [type(v) for v in out.values()] == [float, int, int, float]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_input_is_never_mutated_and_the_result_shares_no_container(version):
    data = statement(
        context={"contextActivities": {"parent": ACTIVITY, "other": [ACTIVITY]},
                 "extensions": {"http://example.com/ext": {"deep": [1, {"x": None}]}}},
        result={"extensions": {"http://example.com/r": [1, 2]}},
        object=substatement(context={"contextActivities": {"grouping": ACTIVITY}},
                            timestamp="2026-01-01T12:00:00-05:00"),
        timestamp="2026-01-01T12:00:00-05:00")
    before = copy.deepcopy(data)
    out = accept(data, version)
    assert data == before
    out["context"]["extensions"]["http://example.com/ext"]["deep"].append(2)
    out["result"]["extensions"]["http://example.com/r"].append(3)
    out["actor"]["name"] = "changed"
    out["object"]["context"]["contextActivities"]["grouping"].append(ACTIVITY)
    assert data == before


@pytest.mark.parametrize("version", VERSIONS)
def test_a_single_context_activity_is_returned_as_an_array_CA_5_STRICT_10(version):
    out = accept(statement(context={"contextActivities": {"parent": ACTIVITY, "grouping": [ACTIVITY]}}), version)
    assert out["context"]["contextActivities"] == {"parent": [ACTIVITY], "grouping": [ACTIVITY]}


@pytest.mark.parametrize("version", VERSIONS)
def test_a_single_context_activity_inside_a_substatement_is_returned_as_an_array_CA_5_STRICT_10(version):
    sub = substatement(context={"contextActivities": {"category": ACTIVITY}})
    out = accept(statement(object=sub), version)
    assert out["object"]["context"]["contextActivities"]["category"] == [ACTIVITY]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_timestamp_with_an_offset_is_returned_in_utc_with_milliseconds_TIME_8(version):
    out = accept(statement(timestamp="2026-01-01T12:00:00-05:00"), version)
    assert out["timestamp"] == "2026-01-01T17:00:00.000Z"


@pytest.mark.parametrize("version", VERSIONS)
def test_a_substatement_timestamp_is_normalised_too_TIME_8(version):
    out = accept(statement(object=substatement(timestamp="2026-01-01T23:30:00.1+02:00")), version)
    assert out["object"]["timestamp"] == "2026-01-01T21:30:00.100Z"


@pytest.mark.parametrize("version", VERSIONS)
def test_a_client_stored_is_validated_but_returned_as_received_TIME_10(version):
    assert accept(statement(stored="2026-01-01T12:00:00-05:00"), version)["stored"] == "2026-01-01T12:00:00-05:00"
    reject(statement(stored="yesterday"), version, "TIME-10", ["stored"])
    reject(statement(stored="2026-01-01T12:00:00-00:00"), version, "TIME-3", ["stored"])


@pytest.mark.parametrize("version", VERSIONS)
def test_a_voiding_statement_with_a_statement_ref_is_accepted_VOID_1(version):
    data = statement(verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
                     object={"objectType": "StatementRef", "id": UUID1})
    assert accept(data, version) == data


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("target", [ACTIVITY, {"id": UUID1}, {"objectType": "Agent", "mbox": "mailto:a@b.c"},
                                    substatement()])
def test_a_voiding_statement_without_a_statement_ref_object_is_rejected_VOID_2(version, target):
    data = statement(verb={"id": "http://adlnet.gov/expapi/verbs/voided"}, object=target)
    reject(data, version, None)
    if target.get("objectType") in ("Activity", "Agent", "SubStatement"):
        reject(data, version, "VOID-2", ["object"])


@pytest.mark.parametrize("value", ["1.0", "1.0.0", "1.0.3", "1.0.9", "1.0.10"])
def test_1_0_3_accepts_statement_versions_starting_1_0_SVER_2(value):
    assert accept(statement(version=value), "1.0.3")["version"] == value


@pytest.mark.parametrize("value", ["2.0.0", "0.9.9", "1.1.0", "1.0.x", "1.0.", "1", "should fail", "", "1.0.3 "])
def test_1_0_3_rejects_other_statement_versions_SVER_2(value):
    reject(statement(version=value), "1.0.3", "SVER-2", ["version"])


@pytest.mark.parametrize("value", ["1.0", "1.0.0", "1.0.3", "1.0.9", "2.0.0"])
def test_2_0_accepts_statement_versions_1_0_x_and_2_0_0_SVER_3(value):
    assert accept(statement(version=value), "2.0.0")["version"] == value


@pytest.mark.parametrize("value", ["0.9.9", "1.1.0", "2.1.0", "2.0", "3.0.0", "should fail", ""])
def test_2_0_rejects_other_statement_versions_SVER_3(value):
    reject(statement(version=value), "2.0.0", "SVER-3", ["version"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", [1.0, ["1.0.0"], {"v": "1.0"}])
def test_a_statement_version_that_is_not_a_string_is_rejected_SVER_1(version, value):
    reject(statement(version=value), version, "SVER-1", ["version"])


@pytest.mark.parametrize("version", VERSIONS)
def test_json_round_trip_of_the_result_is_exact_GEN_13(version):
    text = '{"actor":{"mbox":"mailto:a@b.c"},"verb":{"id":"http://v.example/v"},"object":{"id":"http://o.example/o"},' \
           '"result":{"score":{"raw":1e300,"scaled":-0.0000001}}}'
    assert json.dumps(accept(json.loads(text), version), separators=(",", ":")) == \
        json.dumps(json.loads(text), separators=(",", ":"))


def test_validate_statements_prefixes_the_index_GEN_18():
    batch = [statement(), statement(actor={"mbox": "mailto:bad"})]
    with pytest.raises(schemas.XAPIValidationError) as caught:
        schemas.validate_statements(batch, "1.0.3")
    assert caught.value.message.startswith("statements[1].actor.mbox: ")
    assert caught.value.path == [1, "actor", "mbox"]
    assert schemas.validate_statements([statement()], "2.0.0") == [statement()]


def test_deeply_nested_extension_values_are_rejected_cleanly_not_crashing():
    deep = []
    for _ in range(5000):
        deep = [deep]
    data = statement()
    data["result"] = {"extensions": {"http://example.com/deep": deep}}
    reject(data, "2.0.0", "GEN-1")
