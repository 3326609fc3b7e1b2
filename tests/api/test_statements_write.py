"""Statement PUT and POST (SPUT, SPOST, GEN-1, GEN-10, GEN-18, CT-1, ID-2, AUTH-3, TIME-9/10, SVER-5)."""
import json
import uuid

from .conftest import statement


def _get(client, statement_id):
    return client.get("/xapi/statements?statementId=" + statement_id)


def test_put_stores_the_statement_and_answers_204_without_body_SPUT_1(client):
    statement_id = str(uuid.uuid4())
    response = client.put("/xapi/statements?statementId=" + statement_id, json=statement())
    assert response.status_code == 204
    assert response.data == b""
    assert _get(client, statement_id).json["id"] == statement_id


def test_put_without_statement_id_is_rejected_SPUT_2(client):
    response = client.put("/xapi/statements", json=statement())
    assert response.status_code == 400
    assert "statementId" in response.json["error"]["message"]


def test_put_with_a_statement_id_that_is_not_a_uuid_is_rejected_SPUT_2(client):
    assert client.put("/xapi/statements?statementId=wrong", json=statement()).status_code == 400


def test_put_of_an_array_is_rejected_SPUT_3(client):
    response = client.put("/xapi/statements?statementId=" + str(uuid.uuid4()), json=[statement()])
    assert response.status_code == 400


def test_put_whose_body_id_differs_from_statement_id_is_rejected_SPUT_4(client):
    response = client.put("/xapi/statements?statementId=" + str(uuid.uuid4()),
                          json=statement(id=str(uuid.uuid4())))
    assert response.status_code == 400


def test_put_of_the_same_statement_again_answers_204_SPUT_6(client):
    statement_id = str(uuid.uuid4())
    client.put("/xapi/statements?statementId=" + statement_id, json=statement())
    assert client.put("/xapi/statements?statementId=" + statement_id, json=statement()).status_code == 204


def test_put_of_different_content_under_a_stored_id_is_409_and_changes_nothing_SPUT_6(client):
    statement_id = str(uuid.uuid4())
    client.put("/xapi/statements?statementId=" + statement_id, json=statement())
    other = statement(verb={"id": "http://adlnet.gov/expapi/verbs/failed"})
    assert client.put("/xapi/statements?statementId=" + statement_id, json=other).status_code == 409
    assert _get(client, statement_id).json["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"


def test_put_with_another_query_parameter_is_rejected_SPUT_8(client):
    response = client.put("/xapi/statements?statementId=%s&foo=bar" % uuid.uuid4(), json=statement())
    assert response.status_code == 400


def test_post_of_one_statement_answers_its_id_in_an_array_SPOST_1(client):
    response = client.post_statements(statement())
    assert response.status_code == 200
    assert len(response.json) == 1
    uuid.UUID(response.json[0])


def test_post_of_a_batch_answers_ids_in_the_order_sent_SPOST_1(client):
    ids = [str(uuid.uuid4()) for _ in range(3)]
    response = client.post_statements([statement(id=i) for i in ids])
    assert response.json == ids


def test_post_assigns_an_id_to_statements_without_one_ID_2(client):
    statement_id = client.post_statements(statement()).json[0]
    assert _get(client, statement_id).json["id"] == statement_id


def test_assigned_ids_are_rfc4122_variant_ID_3(client):
    statement_id = client.post_statements(statement()).json[0]
    assert uuid.UUID(statement_id).variant == uuid.RFC_4122


def test_post_of_a_batch_with_one_id_twice_is_rejected_SPOST_3(client):
    statement_id = str(uuid.uuid4())
    response = client.post_statements([statement(id=statement_id), statement(id=statement_id)])
    assert response.status_code == 400
    assert _get(client, statement_id).status_code == 404


def test_post_of_a_stored_statement_unchanged_succeeds_SPOST_4(client):
    statement_id = str(uuid.uuid4())
    client.post_statements(statement(id=statement_id))
    assert client.post_statements(statement(id=statement_id)).json == [statement_id]


def test_post_of_a_batch_with_one_conflicting_statement_stores_nothing_SPOST_4(client):
    stored_id, new_id = str(uuid.uuid4()), str(uuid.uuid4())
    client.post_statements(statement(id=stored_id))
    changed = statement(id=stored_id, verb={"id": "http://adlnet.gov/expapi/verbs/failed"})
    response = client.post_statements([statement(id=new_id), changed])
    assert response.status_code == 409
    assert _get(client, new_id).status_code == 404


def test_post_of_an_empty_array_answers_an_empty_array_SPOST_5(client):
    response = client.post_statements([])
    assert response.status_code == 200
    assert response.json == []


def test_post_with_query_parameters_is_rejected_SPOST_6(client):
    response = client.post("/xapi/statements?statementId=%s" % uuid.uuid4(), json=statement())
    assert response.status_code == 400


def test_a_batch_with_one_invalid_statement_stores_none_GEN_18(client):
    good_id = str(uuid.uuid4())
    bad = statement(verb={"id": "not an iri"})
    response = client.post_statements([statement(id=good_id), bad])
    assert response.status_code == 400
    assert "statements[1]" in response.json["error"]["message"]
    assert _get(client, good_id).status_code == 404


def test_a_body_that_is_not_json_is_rejected_GEN_1(client):
    response = client.post("/xapi/statements", data=b"{not json",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "JSON" in response.json["error"]["message"]


def test_a_body_that_is_a_json_string_is_rejected_GEN_1(client):
    response = client.post("/xapi/statements", data=b'"hello"', headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_a_body_repeating_a_key_is_rejected_GEN_10(client):
    body = json.dumps(statement())[:-1] + ', "verb": {"id": "http://x.gov/v"}}'
    response = client.post("/xapi/statements", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "GEN-10" in response.json["error"]["message"]


def test_deeply_nested_json_is_rejected_cleanly(client):
    body = '{"a":' * 100_000 + "1" + "}" * 100_000
    response = client.post("/xapi/statements", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_a_body_that_is_not_utf8_is_rejected_ENC_2(client):
    response = client.post("/xapi/statements", data=b'{"actor": "\xff\xfe"}',
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_a_body_over_the_size_limit_gets_413_HTTP_9(make_app):
    from .conftest import XAPIClient
    client = XAPIClient(make_app(max_body_bytes=2048))
    big = statement(result={"response": "x" * 4096})
    assert client.post_statements(big).status_code == 413


def test_statements_sent_as_text_plain_are_rejected_CT_1(client):
    response = client.post("/xapi/statements", data=json.dumps(statement()),
                           headers={"Content-Type": "text/plain"})
    assert response.status_code == 400


def test_statements_sent_as_form_data_are_rejected_CT_1(client):
    response = client.post("/xapi/statements", data=json.dumps(statement()),
                           headers={"Content-Type": "multipart/form-data; boundary=abc"})
    assert response.status_code == 400


def test_json_with_a_charset_parameter_is_accepted_CT_1(client):
    response = client.post("/xapi/statements", data=json.dumps(statement()),
                           headers={"Content-Type": "application/json; charset=utf-8"})
    statement_id = response.json[0]
    assert client.get("/xapi/statements?statementId=" + statement_id).json["id"] == statement_id


def test_the_authority_is_set_from_the_credential_AUTH_3(client):
    claimed = {"objectType": "Agent", "mbox": "mailto:someone@else.gov"}
    statement_id = client.post_statements(statement(authority=claimed)).json[0]
    authority = _get(client, statement_id).json["authority"]
    assert authority["account"]["name"] == "admin"


def test_the_same_credential_always_yields_the_same_authority_AUTH_4(client):
    first = client.post_statements(statement()).json[0]
    second = client.post_statements(statement()).json[0]
    assert _get(client, first).json["authority"] == _get(client, second).json["authority"]


def test_a_client_stored_value_is_replaced_TIME_10(client):
    statement_id = client.post_statements(statement(stored="2001-01-01T00:00:00.000Z")).json[0]
    assert _get(client, statement_id).json["stored"] != "2001-01-01T00:00:00.000Z"


def test_a_missing_timestamp_is_set_to_stored_TIME_9(client):
    statement_id = client.post_statements(statement()).json[0]
    stored = _get(client, statement_id).json
    assert stored["timestamp"] == stored["stored"]


def test_stored_has_millisecond_precision_and_utc_TIME_8(client):
    statement_id = client.post_statements(statement()).json[0]
    stored = _get(client, statement_id).json["stored"]
    assert len(stored) == len("2026-01-01T00:00:00.000Z") and stored.endswith("Z")


def test_a_timestamp_with_an_offset_comes_back_in_utc_TIME_8(client):
    statement_id = client.post_statements(statement(timestamp="2026-01-01T12:00:00-05:00")).json[0]
    assert _get(client, statement_id).json["timestamp"] == "2026-01-01T17:00:00.000Z"


def test_version_defaults_to_1_0_0_under_1_0_3_SVER_5(client):
    statement_id = client.post_statements(statement()).json[0]
    assert _get(client, statement_id).json["version"] == "1.0.0"


def test_version_defaults_to_2_0_0_under_2_0_SVER_5(client20):
    statement_id = client20.post_statements(statement()).json[0]
    assert client20.get("/xapi/statements?statementId=" + statement_id).json["version"] == "2.0.0"


def test_a_sent_version_is_kept_SVER_4(client):
    statement_id = client.post_statements(statement(version="1.0.1")).json[0]
    assert _get(client, statement_id).json["version"] == "1.0.1"


def test_single_context_activity_comes_back_as_an_array_CA_5(client):
    context = {"contextActivities": {"parent": {"id": "http://example.gov/programme"}}}
    statement_id = client.post_statements(statement(context=context)).json[0]
    parent = _get(client, statement_id).json["context"]["contextActivities"]["parent"]
    assert parent == [{"id": "http://example.gov/programme"}]


def test_numbers_come_back_with_full_precision_GEN_13(client):
    score = {"scaled": 0.12123434, "raw": 12.123434, "min": 0.0, "max": 100}
    statement_id = client.post_statements(statement(result={"score": score})).json[0]
    assert _get(client, statement_id).json["result"]["score"] == score


def test_non_ascii_text_round_trips_ENC_1(client):
    verb = {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"ja-JP": "完了", "ar-EG": "أكمل"}}
    statement_id = client.post_statements(statement(verb=verb)).json[0]
    assert _get(client, statement_id).json["verb"]["display"] == verb["display"]


def test_delete_on_statements_is_405_HTTP_12(client):
    response = client.delete("/xapi/statements")
    assert response.status_code == 405
    assert response.headers["X-Experience-API-Version"]
