"""The 1.0.3 alternate request syntax on the statement resource (ALT-1..ALT-11, QRY-50)."""
import json
import urllib.parse
import uuid

from .conftest import ADMIN_KEY, ADMIN_SECRET, basic, statement

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def form(**fields):
    return urllib.parse.urlencode(fields)


def auth_fields(version="1.0.3"):
    return {"Authorization": basic(ADMIN_KEY, ADMIN_SECRET), "X-Experience-API-Version": version}


def test_a_put_sent_as_a_form_post_stores_the_statement_ALT_1(client):
    statement_id = str(uuid.uuid4())
    body = form(statementId=statement_id, content=json.dumps(statement()), **auth_fields())
    response = client.post("/xapi/statements?method=PUT", data=body, headers=FORM, auth=False, version=False)
    assert response.status_code == 204
    stored = client.get("/xapi/statements?statementId=" + statement_id).json
    assert (stored["actor"], stored["verb"], stored["object"]) == (statement()["actor"], statement()["verb"],
                                                                   statement()["object"])


def test_a_get_sent_as_a_form_post_queries_QRY_50(client):
    statement_id = client.post_statements(statement()).json[0]
    body = form(statementId=statement_id, **auth_fields())
    response = client.post("/xapi/statements?method=GET", data=body, headers=FORM, auth=False, version=False)
    assert response.status_code == 200
    assert response.json["id"] == statement_id


def test_real_headers_fill_in_missing_form_fields_ALT_6(client):
    statement_id = str(uuid.uuid4())
    body = form(statementId=statement_id, content=json.dumps(statement()))
    assert client.post("/xapi/statements?method=PUT", data=body, headers=FORM).status_code == 204
    assert client.get("/xapi/statements?statementId=" + statement_id).json["id"] == statement_id


def test_form_fields_take_precedence_over_headers_ALT_5(client):
    body = form(content=json.dumps(statement()), **{**auth_fields(), "X-Experience-API-Version": "0.8"},
                statementId=str(uuid.uuid4()))
    response = client.post("/xapi/statements?method=PUT", data=body, headers=FORM)
    assert response.status_code == 400 and "0.8" in response.json["error"]["message"]


def test_method_on_a_request_that_is_not_post_is_rejected_ALT_2(client):
    response = client.put("/xapi/statements?method=PUT&statementId=%s" % uuid.uuid4(), json=statement())
    assert response.status_code == 400


def test_extra_query_parameters_are_rejected_ALT_3(client):
    body = form(content=json.dumps(statement()))
    response = client.post("/xapi/statements?method=PUT&statementId=%s" % uuid.uuid4(), data=body, headers=FORM)
    assert response.status_code == 400


def test_a_body_that_is_not_form_encoded_is_rejected_ALT_4(client):
    response = client.post("/xapi/statements?method=PUT", data=json.dumps(statement()),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_a_put_without_content_is_rejected_ALT_7(client):
    body = form(statementId=str(uuid.uuid4()))
    assert client.post("/xapi/statements?method=PUT", data=body, headers=FORM).status_code == 400


def test_bad_credentials_in_the_form_are_401_ALT_5(client):
    body = form(content=json.dumps(statement()), statementId=str(uuid.uuid4()),
                Authorization=basic("admin", "wrong"))
    assert client.post("/xapi/statements?method=PUT", data=body, headers=FORM).status_code == 401


def test_the_alternate_syntax_is_rejected_under_2_0_ALT_11(client20):
    body = form(statementId=str(uuid.uuid4()), content=json.dumps(statement()))
    assert client20.post("/xapi/statements?method=PUT", data=body, headers=FORM).status_code == 400
