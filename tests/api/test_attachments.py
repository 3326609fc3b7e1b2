"""Attachments over HTTP: multipart/mixed requests (MP), responses (MPR), ATT-10, CT-3, ERR-5.

Every test runs on both backends (the `client` fixture of tests/api/conftest.py). Responses are
split with a deliberately naive parser, the way the conformance suite reads them (STRICT-18).
"""
import hashlib
import json
import re
import uuid

import pytest

from .conftest import XAPIClient, statement

TEXT = b"Completion certificate\r\nline two\r\n"
TEXT_SHA = hashlib.sha256(TEXT).hexdigest()
USAGE = "http://example.gov/attachment-usage/certificate"


def attachment(data=TEXT, content_type="text/plain", **extra):
    """An Attachment object for `data` (sha256)."""
    result = {"usageType": USAGE, "display": {"en-US": "certificate"}, "contentType": content_type,
              "length": len(data), "sha2": hashlib.sha256(data).hexdigest()}
    result.update(extra)
    return result


def multipart(statements, *datas, boundary="xapi-boundary", lead=b"", part_headers=None,
              json_headers=(b"Content-Type: application/json",)):
    """(body, content type) of a statement request; each data becomes a part with its sha256."""
    body = lead + b"--" + boundary.encode() + b"\r\n" + b"".join(h + b"\r\n" for h in json_headers) + b"\r\n"
    body += json.dumps(statements).encode()
    for data in datas:
        headers = part_headers if part_headers is not None else [
            b"Content-Type: text/plain", b"Content-Transfer-Encoding: binary",
            b"X-Experience-API-Hash: " + hashlib.sha256(data).hexdigest().encode()]
        body += b"\r\n--" + boundary.encode() + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + data
    body += b"\r\n--" + boundary.encode() + b"--\r\n"
    return body, "multipart/mixed; boundary=" + boundary


def post_multipart(client, statements, *datas, content_type=None, **options):
    body, default_type = multipart(statements, *datas, **options)
    return client.post("/xapi/statements", data=body, headers={"Content-Type": content_type or default_type})


def split_response(response):
    """(json part bytes, [(headers dict, data)]) read the naive way the conformance suite does."""
    content_type = response.headers["Content-Type"]
    boundary = content_type.split(";")[1].replace(" boundary=", "")
    pieces = response.data.split(b"--" + boundary.encode())
    assert pieces[0] == b"" and pieces[-1] == b"--\r\n", "body must start and end with the delimiters"
    parts = []
    for piece in pieces[1:-1]:
        assert piece.startswith(b"\r\n") and piece.endswith(b"\r\n")
        head, _, data = piece[2:-2].partition(b"\r\n\r\n")
        headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n"))
        parts.append(({k.decode().lower(): v.decode() for k, v in headers.items()}, data))
    (json_headers, json_body), rest = parts[0], parts[1:]
    assert json_headers == {"content-type": "application/json"}
    return json_body, rest


def stored_attachment_rows(app):
    """How many attachment rows the backend holds (to see data stored once, or not at all)."""
    storage = app.extensions["lrs"].storage
    if hasattr(storage, "db"):
        return storage.db.attachments.count_documents({})
    return storage._read("SELECT count(*) FROM attachments").fetchone()[0]


def served_attachments(client, statement_id):
    """The attachment data served with the statement (GET with attachments=true)."""
    _, parts = split_response(client.get("/xapi/statements?attachments=true&statementId=" + statement_id))
    return [data for _, data in parts]


def error_message(response):
    return response.get_json()["error"]["message"]


# --- accepted requests ---------------------------------------------------------------------------

def test_post_with_an_attachment_part_stores_the_statement_MP_5_ATT_10(client):
    response = post_multipart(client, [statement(attachments=[attachment()])], TEXT)
    assert response.status_code == 200, response.data
    assert len(response.get_json()) == 1


def test_put_accepts_multipart_with_a_single_statement_MP_19(client):
    statement_id = str(uuid.uuid4())
    body, content_type = multipart(statement(attachments=[attachment()]), TEXT)
    response = client.put("/xapi/statements?statementId=" + statement_id, data=body,
                          headers={"Content-Type": content_type})
    assert response.status_code == 204, response.data
    assert served_attachments(client, statement_id) == [TEXT]


def test_quoted_boundary_with_rfc_2046_characters_is_accepted_MP_3(client):
    boundary = "abcABC0123'()+_,-./:=?"
    body, _ = multipart([statement(attachments=[attachment()])], TEXT, boundary=boundary)
    response = client.post("/xapi/statements", data=body,
                           headers={"Content-Type": 'multipart/mixed; boundary="%s"' % boundary})
    assert response.status_code == 200, response.data
    assert served_attachments(client, response.get_json()[0]) == [TEXT]


def test_leading_crlf_and_headers_without_space_are_accepted_MP_4_STRICT_19(client):
    headers = [b"Content-Type:text/plain", b"Content-Transfer-Encoding:binary",
               b"X-Experience-API-Hash:" + TEXT_SHA.encode()]
    response = post_multipart(client, [statement(attachments=[attachment()])], TEXT, lead=b"\r\n",
                              part_headers=headers, json_headers=[b"Content-Type:application/json"])
    assert response.status_code == 200, response.data
    assert served_attachments(client, response.get_json()[0]) == [TEXT]


def test_part_length_differing_from_declared_length_is_accepted_MP_13_STRICT_19(client):
    hex_text = hashlib.sha512(b"an image").hexdigest().encode()          # text twice the declared size
    declared = attachment(hex_text, "image/png", length=len(hex_text) // 2)
    response = post_multipart(client, [statement(attachments=[declared])], hex_text)
    assert response.status_code == 200, response.data
    assert served_attachments(client, response.get_json()[0]) == [hex_text]


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_multipart_with_only_the_json_part_is_accepted_MP_17_STRICT_20(client, version):
    response = post_multipart(client.with_version(version), [statement()])
    assert response.status_code == 200, response.data


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_multipart_with_only_file_url_attachments_is_accepted_MP_17_STRICT_20(client, version):
    linked = attachment(fileUrl="http://example.gov/certificates/1.txt")
    response = post_multipart(client.with_version(version), [statement(attachments=[linked])])
    assert response.status_code == 200, response.data


def test_one_part_serves_two_attachments_with_the_same_sha2_in_one_statement_MP_15(client):
    twice = [attachment(), attachment(display={"en-US": "copy"})]
    response = post_multipart(client, [statement(attachments=twice)], TEXT)
    assert response.status_code == 200, response.data
    assert served_attachments(client, response.get_json()[0]) == [TEXT]          # one part for both (MPR-4)


def test_one_part_serves_attachments_of_several_statements_MP_15(client):
    batch = [statement(attachments=[attachment()]), statement(attachments=[attachment()])]
    response = post_multipart(client, batch, TEXT)
    assert response.status_code == 200, response.data
    assert [served_attachments(client, statement_id) for statement_id in response.get_json()] == [[TEXT], [TEXT]]


def test_part_for_an_attachment_with_file_url_is_stored_and_served_MP_16(client):
    linked = attachment(fileUrl="http://example.gov/certificates/1.txt")
    statement_id = post_multipart(client, [statement(attachments=[linked])], TEXT).get_json()[0]
    assert served_attachments(client, statement_id) == [TEXT]


# --- rejected requests -----------------------------------------------------------------------------

def test_multipart_without_boundary_is_rejected_MP_1(client):
    response = post_multipart(client, [statement(attachments=[attachment()])], TEXT,
                              content_type="multipart/mixed")
    assert response.status_code == 400
    assert "MP-1" in error_message(response)


def test_body_without_the_declared_boundary_is_rejected_MP_2(client):
    response = post_multipart(client, [statement(attachments=[attachment()])], TEXT,
                              content_type="multipart/mixed; boundary=somethingelse")
    assert response.status_code == 400


def test_missing_closing_delimiter_is_rejected_MP_2(client):
    body, content_type = multipart([statement(attachments=[attachment()])], TEXT)
    response = client.post("/xapi/statements", data=body[:-len(b"\r\n--xapi-boundary--\r\n")],
                           headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert "MP-2" in error_message(response)


def test_first_part_not_json_is_rejected_MP_5(client):
    response = post_multipart(client, [statement()], json_headers=[b"Content-Type: text/plain"])
    assert response.status_code == 400
    assert "MP-5" in error_message(response)


def test_statements_split_over_two_json_parts_are_rejected_MP_6_STRICT_19(client):
    body = (b"--b\r\nContent-Type: application/json\r\n\r\n" + json.dumps([statement()]).encode()
            + b"\r\n--b\r\nContent-Type: application/json\r\n\r\n" + json.dumps([statement()]).encode()
            + b"\r\n--b--\r\n")
    response = client.post("/xapi/statements", data=body, headers={"Content-Type": "multipart/mixed; boundary=b"})
    assert response.status_code == 400
    assert "MP-6" in error_message(response)


def test_part_without_hash_header_is_rejected_MP_7_STRICT_19(client):
    response = post_multipart(client, [statement(attachments=[attachment()])], TEXT,
                              part_headers=[b"Content-Type: text/plain"])
    assert response.status_code == 400
    assert "MP-7" in error_message(response)


def test_excess_part_matching_no_attachment_is_rejected_MP_8_STRICT_19(client):
    response = post_multipart(client, [statement(attachments=[attachment()])], TEXT, b"an excess part")
    assert response.status_code == 400
    assert "MP-8" in error_message(response)


def test_part_for_statements_without_attachments_is_rejected_MP_8(client):
    response = post_multipart(client, [statement()], TEXT)
    assert response.status_code == 400
    assert "MP-8" in error_message(response)


def test_part_whose_data_does_not_match_its_hash_is_rejected_MP_10_STRICT_19(client):
    headers = [b"Content-Type: text/plain", b"X-Experience-API-Hash: " + TEXT_SHA.encode()]
    response = post_multipart(client, [statement(attachments=[attachment()])], TEXT + b"tampered",
                              part_headers=headers)
    assert response.status_code == 400
    assert "MP-10" in error_message(response)


def test_base64_transfer_encoding_is_rejected_MP_11_STRICT_19(client):
    headers = [b"Content-Type: text/plain", b"Content-Transfer-Encoding: base64",
               b"X-Experience-API-Hash: " + TEXT_SHA.encode()]
    response = post_multipart(client, [statement(attachments=[attachment()])], TEXT, part_headers=headers)
    assert response.status_code == 400
    assert "MP-11" in error_message(response)


def test_attachment_without_file_url_or_part_is_rejected_MP_14_ATT_10(client):
    response = post_multipart(client, [statement(attachments=[attachment()])])
    assert response.status_code == 400
    assert "MP-14" in error_message(response)


def test_json_request_with_attachment_without_file_url_is_rejected_CT_3(client):
    response = client.post_statements([statement(attachments=[attachment()])])
    assert response.status_code == 400


def test_multipart_form_data_is_rejected_MP_18_STRICT_20(client):
    response = post_multipart(client, [statement(attachments=[attachment()])], TEXT,
                              content_type="multipart/form-data; boundary=xapi-boundary")
    assert response.status_code == 400


def test_attachment_over_the_size_limit_is_rejected_with_413_MP_21(make_app):
    client = XAPIClient(make_app(max_attachment_bytes=16))
    response = post_multipart(client, [statement(attachments=[attachment()])], TEXT)
    assert response.status_code == 413
    assert "MP-21" in error_message(response)


def test_multipart_body_over_the_size_limit_is_rejected_with_413_MP_21_HTTP_9(make_app):
    client = XAPIClient(make_app(max_body_bytes=2048))
    big = b"x" * 4096
    response = post_multipart(client, [statement(attachments=[attachment(big)])], big)
    assert response.status_code == 413


# --- storage -----------------------------------------------------------------------------------

def test_same_attachment_sent_in_two_requests_is_stored_once(app, client):
    for _ in range(2):
        assert post_multipart(client, [statement(attachments=[attachment()])], TEXT).status_code == 200
    assert stored_attachment_rows(app) == 1


def test_rejected_batch_stores_no_attachment_data_ERR_5(app, client):
    invalid = {k: v for k, v in statement().items() if k != "object"}
    batch = [statement(attachments=[attachment()]), invalid]
    response = post_multipart(client, batch, TEXT)
    assert response.status_code == 400
    assert stored_attachment_rows(app) == 0


def test_request_rejected_for_an_excess_part_stores_no_attachment_data_ERR_5(app, client):
    response = post_multipart(client, [statement(attachments=[attachment()])], TEXT, b"excess")
    assert response.status_code == 400
    assert stored_attachment_rows(app) == 0


def test_conflicting_statement_stores_no_attachment_data_ERR_5_CMP_2(app, client):
    statement_id = str(uuid.uuid4())
    assert client.post_statements([statement(id=statement_id)]).status_code == 200
    changed = statement(id=statement_id, attachments=[attachment()], result={"success": True})
    response = post_multipart(client, [changed], TEXT)
    assert response.status_code == 409
    assert stored_attachment_rows(app) == 0


# --- responses ---------------------------------------------------------------------------------

def _post_one(client, data=TEXT, content_type="text/plain"):
    headers = [b"Content-Type: " + content_type.encode(), b"Content-Transfer-Encoding: binary",
               b"X-Experience-API-Hash: " + hashlib.sha256(data).hexdigest().encode()]
    response = post_multipart(client, [statement(attachments=[attachment(data, content_type)])], data,
                              part_headers=headers)
    assert response.status_code == 200, response.data
    return response.get_json()[0]


def test_attachments_true_answers_exact_multipart_content_type_MPR_1_STRICT_18(client):
    _post_one(client)
    response = client.get("/xapi/statements?attachments=true")
    assert response.status_code == 200
    assert re.fullmatch(r"multipart/mixed; boundary=[A-Za-z0-9-]+", response.headers["Content-Type"])


def test_first_part_is_the_statement_result_MPR_2(client):
    statement_id = _post_one(client)
    json_body, _ = split_response(client.get("/xapi/statements?attachments=true"))
    result = json.loads(json_body)
    assert [s["id"] for s in result["statements"]] == [statement_id] and "more" in result


def test_first_part_is_the_single_statement_for_statement_id_MPR_2(client):
    statement_id = _post_one(client)
    json_body, _ = split_response(client.get("/xapi/statements?attachments=true&statementId=" + statement_id))
    assert json.loads(json_body)["id"] == statement_id


def test_attachment_part_headers_and_data_are_byte_identical_MPR_3_MP_20(client):
    data = b"\r\nstarts with CRLF\r\n\r\nbinary \x00\xff\r\nends with CRLF\r\n"
    statement_id = _post_one(client, data, "application/octet-stream")
    _, parts = split_response(client.get("/xapi/statements?attachments=true&statementId=" + statement_id))
    assert parts == [({"content-type": "application/octet-stream", "content-transfer-encoding": "binary",
                       "x-experience-api-hash": hashlib.sha256(data).hexdigest()}, data)]


def test_part_sent_without_content_type_is_served_with_the_attachment_content_type_MPR_3_MP_12(client):
    response = post_multipart(client, [statement(attachments=[attachment(content_type="text/csv")])], TEXT,
                              part_headers=[b"X-Experience-API-Hash: " + TEXT_SHA.encode()])
    statement_id = response.get_json()[0]
    _, parts = split_response(client.get("/xapi/statements?attachments=true&statementId=" + statement_id))
    assert parts[0][0]["content-type"] == "text/csv"


def test_part_content_type_differing_from_the_attachment_is_accepted_and_served_as_declared_MP_12_MPR_3(
        client):
    response = post_multipart(client, [statement(attachments=[attachment(content_type="text/csv")])], TEXT,
                              part_headers=[b"Content-Type: text/plain; charset=ascii",
                                            b"X-Experience-API-Hash: " + TEXT_SHA.encode()])
    assert response.status_code == 200, response.data
    statement_id = response.get_json()[0]
    _, parts = split_response(client.get("/xapi/statements?attachments=true&statementId=" + statement_id))
    assert parts[0][0]["content-type"] == "text/csv"


def test_each_sha2_is_sent_once_for_several_statements_MPR_4(client):
    batch = [statement(attachments=[attachment()]), statement(attachments=[attachment(), attachment()])]
    assert post_multipart(client, batch, TEXT).status_code == 200
    _, parts = split_response(client.get("/xapi/statements?attachments=true"))
    assert [headers["x-experience-api-hash"] for headers, _ in parts] == [TEXT_SHA]


def test_hash_occurs_exactly_twice_in_the_body_for_one_attachment_MPR_4_STRICT_18(client):
    statement_id = _post_one(client)
    for query in ("attachments=true", "attachments=true&statementId=" + statement_id):
        response = client.get("/xapi/statements?" + query)
        assert response.data.count(TEXT_SHA.encode()) == 2
        json_body, _ = split_response(response)
        assert json_body.count(TEXT_SHA.encode()) == 1


def test_file_url_only_attachment_gets_no_part_MPR_5(client):
    linked = attachment(fileUrl="http://example.gov/certificates/1.txt")
    statement_id = post_multipart(client, [statement(attachments=[linked])]).get_json()[0]
    _, parts = split_response(client.get("/xapi/statements?attachments=true&statementId=" + statement_id))
    assert parts == []


def test_attachments_true_without_attachments_answers_multipart_with_json_only_MPR_6(client):
    client.post_statements([statement()])
    response = client.get("/xapi/statements?attachments=true")
    assert response.headers["Content-Type"].startswith("multipart/mixed; boundary=")
    json_body, parts = split_response(response)
    assert len(json.loads(json_body)["statements"]) == 1 and parts == []


@pytest.mark.parametrize("query", ["", "?attachments=false"])
def test_without_attachments_true_answers_json_with_attachment_objects_and_no_data_MPR_7(client, query):
    _post_one(client)
    response = client.get("/xapi/statements" + query)
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json()["statements"][0]["attachments"][0]["sha2"] == TEXT_SHA
    assert TEXT not in response.data


def test_more_link_of_an_attachments_query_keeps_answering_multipart_MPR_8(client):
    first, second = _post_one(client, b"first"), _post_one(client, b"second")
    json_body, parts = split_response(client.get("/xapi/statements?attachments=true&limit=1"))
    page = json.loads(json_body)
    assert [s["id"] for s in page["statements"]] == [second] and [d for _, d in parts] == [b"second"]
    response = client.get(page["more"])
    assert response.headers["Content-Type"].startswith("multipart/mixed; boundary=")
    json_body, parts = split_response(response)
    assert [s["id"] for s in json.loads(json_body)["statements"]] == [first]
    assert [d for _, d in parts] == [b"first"]
