"""The body size limit holds for chunked bodies (issue 11; HTTP-9, DOC-9, MP-21).

A chunked request (Transfer-Encoding: chunked) has no Content-Length; the WSGI server de-chunks it
and sets `wsgi.input_terminated`, as gunicorn and Werkzeug's server do. These tests build such an
environ and call the application directly (the Flask test client always sets Content-Length);
tests/system/test_body_limits.py sends real chunked requests to gunicorn.
"""
import io
import json
import urllib.parse

from werkzeug.test import EnvironBuilder, run_wsgi_app

from .conftest import XAPIClient, basic, statement
from .test_attachments import multipart

LIMIT = 4096
STATE_URL = "/xapi/activities/state?" + urllib.parse.urlencode(
    {"activityId": "http://example.gov/a", "agent": json.dumps({"mbox": "mailto:a@example.gov"}), "stateId": "s"})


def send_chunked(app, method, path, body, content_type="application/json", terminated=True, auth=True):
    """(status code, parsed JSON body or None) of a request whose body arrives without Content-Length."""
    headers = {"X-Experience-API-Version": "1.0.3", "Content-Type": content_type, "Transfer-Encoding": "chunked"}
    if auth:
        headers["Authorization"] = basic("admin", "admin-secret")
    environ = EnvironBuilder(path=path, method=method, input_stream=io.BytesIO(body), headers=headers).get_environ()
    del environ["CONTENT_LENGTH"]
    if terminated:
        environ["wsgi.input_terminated"] = True
    answer, status, _ = run_wsgi_app(app, environ)
    data = b"".join(answer)
    return int(status.split()[0]), json.loads(data) if data else None


def padded(statements, size):
    """The JSON of `statements` padded with trailing spaces to exactly `size` bytes."""
    text = json.dumps(statements).encode()
    assert len(text) <= size
    return text + b" " * (size - len(text))


def test_a_chunked_statement_body_past_the_limit_is_413_HTTP_9(make_app):
    app = make_app(max_body_bytes=LIMIT)
    status, answer = send_chunked(app, "POST", "/xapi/statements", padded([statement()], 3 * LIMIT))
    assert status == 413 and str(LIMIT) in answer["error"]["message"]
    assert XAPIClient(app).get("/xapi/statements").json["statements"] == []


def test_a_chunked_body_of_exactly_the_limit_is_read_whole(make_app):
    app = make_app(max_body_bytes=LIMIT)
    status, answer = send_chunked(app, "POST", "/xapi/statements", padded([statement()], LIMIT))
    assert status == 200 and len(answer) == 1


def test_a_chunked_body_one_byte_past_the_limit_is_413_HTTP_9(make_app):
    app = make_app(max_body_bytes=LIMIT)
    status, _ = send_chunked(app, "POST", "/xapi/statements", padded([statement()], LIMIT + 1))
    assert status == 413


def test_a_chunked_multipart_body_past_the_limit_is_413_MP_21(make_app):
    app = make_app(max_body_bytes=LIMIT)
    body, content_type = multipart([statement()])
    status, _ = send_chunked(app, "POST", "/xapi/statements", body + b" " * (2 * LIMIT), content_type)
    assert status == 413


def test_a_chunked_document_past_the_body_limit_is_413_not_stored_cut_short_DOC_9(make_app):
    """Before, the document was stored truncated at the body limit and answered 204."""
    app = make_app(max_body_bytes=LIMIT, max_document_bytes=4 * LIMIT)
    status, _ = send_chunked(app, "PUT", STATE_URL, b"x" * (2 * LIMIT), "text/plain")
    assert status == 413
    assert XAPIClient(app).get(STATE_URL).status_code == 404


def test_a_chunked_document_within_the_limit_is_stored_whole(make_app):
    app = make_app(max_body_bytes=LIMIT)
    status, _ = send_chunked(app, "PUT", STATE_URL, b"y" * (LIMIT - 1), "text/plain")
    assert status == 204
    assert XAPIClient(app).get(STATE_URL).get_data() == b"y" * (LIMIT - 1)


def test_a_chunked_body_the_server_did_not_dechunk_is_411_not_read_as_empty(make_app):
    """Without wsgi.input_terminated the body cannot be read safely; it must not count as empty."""
    app = make_app(max_body_bytes=LIMIT)
    status, answer = send_chunked(app, "PUT", STATE_URL, b"data", "text/plain", terminated=False)
    assert status == 411 and "Content-Length" in answer["error"]["message"]
    assert XAPIClient(app).get(STATE_URL).status_code == 404


def _alternate_form(content):
    return urllib.parse.urlencode({"content": content, "Content-Type": "application/json",
                                   "Authorization": basic("admin", "admin-secret"),
                                   "X-Experience-API-Version": "1.0.3"}).encode()


def test_a_chunked_alternate_syntax_form_is_read_ALT_7(make_app):
    app = make_app(max_body_bytes=LIMIT)
    status, answer = send_chunked(app, "POST", "/xapi/statements?method=POST",
                                  _alternate_form(json.dumps(statement())),
                                  "application/x-www-form-urlencoded", auth=False)
    assert status == 200 and len(answer) == 1


def test_an_alternate_syntax_form_past_the_limit_is_413_chunked_or_not_HTTP_9(make_app):
    app = make_app(max_body_bytes=LIMIT)
    form = _alternate_form(json.dumps(statement(), indent=LIMIT))
    assert len(form) > LIMIT
    status, answer = send_chunked(app, "POST", "/xapi/statements?method=POST", form,
                                  "application/x-www-form-urlencoded", auth=False)
    assert status == 413 and str(LIMIT) in answer["error"]["message"]
    response = XAPIClient(app, auth=None).post("/xapi/statements?method=POST", data=form,
                                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413
