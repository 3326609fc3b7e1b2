"""Signed statements over HTTP (SIG-1..SIG-11, CMP-11, CMP-12, STRICT-21).

Statements are signed the way the conformance suite does it: over a copy without `attachments`,
usually without `x5c`; with `x5c` (a self-signed certificate made here) the signature is verified.
"""
import hashlib
import json

import pytest

from tests.unit.test_signatures import b64url, flip_signature, sign, signature_attachment

from .conftest import statement
from .test_attachments import error_message, split_response, stored_attachment_rows


def signed_request(original, jws, content_type="application/octet-stream", lead=b"\r\n"):
    """(body, content type) of a multipart POST of `original` with its signature attachment."""
    sent = dict(original, attachments=[signature_attachment(jws, content_type)])
    boundary = b"signed-boundary"
    body = (lead + b"--" + boundary + b"\r\nContent-Type:application/json\r\n\r\n" + json.dumps([sent]).encode()
            + b"\r\n--" + boundary + b"\r\nContent-Type:" + content_type.encode()
            + b"\r\nContent-Transfer-Encoding:binary\r\nX-Experience-API-Hash:"
            + hashlib.sha256(jws).hexdigest().encode() + b"\r\n\r\n" + jws
            + b"\r\n--" + boundary + b"--\r\n")
    return body, "multipart/mixed; boundary=" + boundary.decode()


def post_signed(client, original, jws, **options):
    body, content_type = signed_request(original, jws, **options)
    return client.post("/xapi/statements", data=body, headers={"Content-Type": content_type})


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_statement_signed_without_x5c_is_accepted_SIG_9_STRICT_21(client, alg):
    original = statement()
    response = post_signed(client, original, sign(original, alg=alg, x5c=False))
    assert response.status_code == 200, response.data


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_statement_signed_with_x5c_that_verifies_is_accepted_SIG_8(client, alg):
    original = statement()
    response = post_signed(client, original, sign(original, alg=alg))
    assert response.status_code == 200, response.data


def test_signed_statement_is_returned_with_its_signature_unchanged_SIG_11(client):
    original = statement()
    jws = sign(original)
    statement_id = post_signed(client, original, jws).get_json()[0]
    response = client.get("/xapi/statements?attachments=true&statementId=" + statement_id)
    json_body, parts = split_response(response)
    assert json.loads(json_body)["attachments"] == [signature_attachment(jws)]
    assert parts == [({"content-type": "application/octet-stream", "content-transfer-encoding": "binary",
                       "x-experience-api-hash": hashlib.sha256(jws).hexdigest()}, jws)]


def test_duration_differing_only_beyond_hundredths_is_accepted_under_2_0_CMP_12_STRICT_21(client20):
    original = statement(result={"duration": "P1DT12H36M0.12567S"})
    payload = statement(result={"duration": "P1DT12H36M0.12S"})
    response = post_signed(client20, original, sign(payload, x5c=False))
    assert response.status_code == 200, response.data


def test_a_payload_with_another_timestamp_is_accepted_under_2_0_CMP_12(client20):
    original = statement(timestamp="2026-01-01T12:00:00.000Z")
    payload = statement(timestamp="2026-01-01T12:05:00.000Z")
    response = post_signed(client20, original, sign(payload, x5c=False))
    assert response.status_code == 200, response.data


def test_a_payload_with_another_timestamp_is_rejected_under_1_0_3_SIG_7_CMP_11(client):
    original = statement(timestamp="2026-01-01T12:00:00.000Z")
    payload = statement(timestamp="2026-01-01T12:05:00.000Z")
    response = post_signed(client, original, sign(payload, x5c=False))
    assert response.status_code == 400
    assert "SIG-7" in error_message(response)


def test_text_plain_signature_is_rejected_SIG_2_STRICT_21(client):
    original = statement()
    response = post_signed(client, original, sign(original), content_type="text/plain")
    assert response.status_code == 400
    assert "SIG-2" in error_message(response)


def test_signature_given_only_by_file_url_is_rejected_SIG_3(client):
    original = statement()
    jws = sign(original)
    sent = dict(original, attachments=[signature_attachment(jws, fileUrl="http://example.gov/sig.jws")])
    response = client.post_statements([sent])
    assert response.status_code == 400
    assert "SIG-3" in error_message(response)


def test_broken_jws_is_rejected_SIG_4_STRICT_21(client):
    response = post_signed(client, statement(), b"this.is-not.a*jws")
    assert response.status_code == 400
    assert "SIG-4" in error_message(response)


@pytest.mark.parametrize("alg", ["HS256", "none"])
def test_algorithm_other_than_rs_is_rejected_SIG_5_STRICT_21(client, alg):
    original = statement()
    response = post_signed(client, original, sign(original, alg=alg, x5c=False))
    assert response.status_code == 400
    assert "SIG-5" in error_message(response)


def test_payload_that_is_not_json_is_rejected_SIG_6(client):
    response = post_signed(client, statement(), sign(b"<statement/>"))
    assert response.status_code == 400
    assert "SIG-6" in error_message(response)


def test_payload_not_matching_the_statement_is_rejected_SIG_7(client):
    original = statement()
    other = statement(verb={"id": "http://adlnet.gov/expapi/verbs/failed"})
    response = post_signed(client, original, sign(other, x5c=False))
    assert response.status_code == 400
    assert "SIG-7" in error_message(response)


def test_payload_changed_after_signing_with_x5c_is_rejected_SIG_8(client):
    original = statement()
    head, _, signature = sign(statement(result={"completion": False})).split(b".")
    tampered = head + b"." + b64url(json.dumps(original).encode()) + b"." + signature
    response = post_signed(client, original, tampered)
    assert response.status_code == 400
    assert "SIG-8" in error_message(response)


def test_signature_bytes_flipped_with_x5c_are_rejected_SIG_8(client):
    original = statement()
    response = post_signed(client, original, flip_signature(sign(original)))
    assert response.status_code == 400
    assert "SIG-8" in error_message(response)


def test_rejection_says_why_and_names_the_attachment_SIG_10(client):
    original = statement()
    jws = sign(original, alg="HS256", x5c=False)
    message = error_message(post_signed(client, original, jws))
    assert hashlib.sha256(jws).hexdigest() in message and "RS256" in message


def test_rejected_signed_statement_stores_nothing_ERR_5(app, client):
    original = statement(id="7c9e6679-7425-40de-944b-e07fc1f90ae7")
    response = post_signed(client, original, flip_signature(sign(original)))
    assert response.status_code == 400
    assert stored_attachment_rows(app) == 0
    assert client.get("/xapi/statements?statementId=" + original["id"]).status_code == 404


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_signed_statement_with_a_timestamped_substatement_is_accepted_SIG_7_issue_17(client, version):
    original = statement(object={"objectType": "SubStatement", "actor": {"mbox": "mailto:sub@example.gov"},
                                 "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
                                 "object": {"id": "http://example.gov/courses/sub"},
                                 "timestamp": "2026-01-01T12:00:00.000Z"})
    response = post_signed(client.with_version(version), original, sign(original, x5c=False))
    assert response.status_code == 200, response.data
