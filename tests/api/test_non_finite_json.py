"""NaN, Infinity, -Infinity and 1e400 are not JSON: refused with 400 wherever the LRS reads JSON
(issue 11, defect 2; GEN-1). Python's json module accepts them, and a statement stored with one
would be served back as text no standards-compliant client can parse."""
import json
import urllib.parse

import pytest

from .conftest import basic, statement
from .documents_fixtures import AGENT, docs  # noqa: F401
from .test_attachments import post_multipart

# (the literal as sent, where the message quotes it)
NON_FINITE = {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity", "1e400": "1e400",
              "-1e400": "-1e400"}
LITERALS = pytest.mark.parametrize("literal", list(NON_FINITE), ids=list(NON_FINITE))


def statement_text(literal):
    """A valid statement whose score.raw is the literal, as JSON text."""
    body = json.dumps(statement(result={"score": {"raw": 12345}}))
    return body.replace("12345", literal)


def assert_refused(response, literal):
    assert response.status_code == 400, response.data
    message = response.json["error"]["message"]
    assert literal in message and "JSON" in message


def stored_count(client):
    return len(client.get("/xapi/statements").json["statements"])


@LITERALS
def test_a_posted_statement_holding_a_non_finite_number_is_refused_GEN_1(client, literal):
    response = client.post("/xapi/statements", data=statement_text(literal),
                           headers={"Content-Type": "application/json"})
    assert_refused(response, literal)
    assert stored_count(client) == 0


@LITERALS
def test_a_put_statement_holding_a_non_finite_number_is_refused_GEN_1(client, literal):
    response = client.put("/xapi/statements?statementId=0b7e3c3e-4c62-4c52-9ef0-2a4e4f2d7b11",
                          data=statement_text(literal), headers={"Content-Type": "application/json"})
    assert_refused(response, literal)
    assert stored_count(client) == 0


@LITERALS
def test_a_non_finite_number_in_an_extension_is_refused_GEN_1(client, literal):
    body = json.dumps([statement(context={"extensions": {"http://example.gov/x": [1, {"v": 7777}]}})])
    response = client.post("/xapi/statements", data=body.replace("7777", literal),
                           headers={"Content-Type": "application/json"})
    assert_refused(response, literal)


@LITERALS
def test_a_multipart_statement_part_holding_a_non_finite_number_is_refused_GEN_1(client, literal):
    response = post_multipart(client, [statement(result={"score": {"raw": 12345}})])
    assert response.status_code == 200                   # the same request, finite, is accepted
    body = json.dumps([statement(result={"score": {"raw": 12345}})]).replace("12345", literal).encode()
    raw = (b"--b\r\nContent-Type: application/json\r\n\r\n" + body + b"\r\n--b--\r\n")
    response = client.post("/xapi/statements", data=raw, headers={"Content-Type": "multipart/mixed; boundary=b"})
    assert_refused(response, literal)
    assert stored_count(client) == 1


@LITERALS
def test_a_document_posted_as_json_holding_a_non_finite_number_is_refused_GEN_1(docs, literal):  # noqa: F811
    docs.create("doc", {"a": 1})
    response = docs.post("doc", '{"b": %s}' % literal)
    assert_refused(response, literal)
    assert docs.get("doc").json == {"a": 1}


@LITERALS
def test_a_new_document_posted_as_json_holding_a_non_finite_number_is_refused_GEN_1(docs, literal):  # noqa: F811
    response = docs.post("doc", '{"b": %s}' % literal)
    assert_refused(response, literal)
    assert docs.get("doc").status_code == 404


def test_merging_into_a_stored_json_document_holding_nan_is_refused_not_500(docs):  # noqa: F811
    """A PUT keeps its bytes as they are (DOC-1); a later merge must not turn them into broken JSON."""
    assert docs.put("doc", '{"a": NaN}', headers={"If-None-Match": "*"}).status_code == 204
    response = docs.post("doc", {"b": 2})
    assert_refused(response, "NaN")
    assert docs.get("doc").get_data() == b'{"a": NaN}'


@LITERALS
@pytest.mark.parametrize("path", ["/xapi/statements", "/xapi/agents", "/xapi/agents/profile",
                                  "/xapi/activities/state"])
def test_an_agent_parameter_holding_a_non_finite_number_is_refused_GEN_1(client, path, literal):
    agent = json.dumps(dict(AGENT, name=123)).replace("123", literal)
    params = {"agent": agent}
    if path == "/xapi/activities/state":
        params["activityId"] = "http://example.gov/activities/unit-1"
    response = client.get(path + "?" + urllib.parse.urlencode(params))
    assert_refused(response, literal)


def test_the_alternate_syntax_content_holding_nan_is_refused_GEN_1(client):
    form = urllib.parse.urlencode({"content": statement_text("NaN"), "Content-Type": "application/json",
                                   "X-Experience-API-Version": "1.0.3",
                                   "Authorization": basic(*client.auth)})
    response = client.flask.post("/xapi/statements?method=POST", data=form,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_refused(response, "NaN")
    assert stored_count(client) == 0


def test_an_integer_beyond_64_bits_in_an_extension_is_kept_exactly_GEN_1(client):
    """JSON numbers have no size limit; the store's fast serialiser (orjson) stops at 64 bits and
    the json module takes over, so the statement is stored and returned with the number intact."""
    sent = statement(result={"extensions": {"http://example.gov/ext/big": 2 ** 70}})
    statement_id = client.post_statements(sent).get_json()[0]
    found = client.get("/xapi/statements?statementId=" + statement_id)
    assert found.json["result"]["extensions"]["http://example.gov/ext/big"] == 2 ** 70
