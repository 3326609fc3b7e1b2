"""LRS_MAX_BODY_BYTES holds for chunked bodies under the real server (issue 11): gunicorn de-chunks
the body itself and announces no Content-Length, so the limit must be found while reading."""
import json

import pytest

from .conftest import Server, session

STATEMENT = {"actor": {"mbox": "mailto:ada@example.gov"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
             "object": {"id": "http://example.gov/courses/fire-safety"}}


def chunks(body, size=64 * 1024):
    """A generator: requests sends it with Transfer-Encoding: chunked and no Content-Length."""
    for start in range(0, len(body), size):
        yield body[start:start + size]


def padded_batch(total_bytes):
    """A valid statement batch of about total_bytes (padding in an extension)."""
    statement = dict(STATEMENT, context={"extensions": {"http://example.gov/pad": "x" * max(0, total_bytes - 300)}})
    return json.dumps([statement]).encode()


@pytest.fixture(scope="module")
def chunk_server(tmp_path_factory):
    running = Server("sqlite:///" + str(tmp_path_factory.mktemp("chunked") / "lrs.sqlite3"), workers=1).start()
    yield running
    running.stop()


def test_a_chunked_25_mb_body_is_413_not_a_truncated_400_HTTP_9(chunk_server):
    http = session()
    body = padded_batch(25 * 1024 * 1024)                      # default limit: 20 MiB
    response = http.post(chunk_server.url + "/xapi/statements", data=chunks(body),
                         headers={"Content-Type": "application/json"}, timeout=60)
    assert response.status_code == 413, response.text[:300]
    assert "20971520" in response.json()["error"]["message"]
    assert http.get(chunk_server.url + "/xapi/statements", timeout=10).json()["statements"] == []


@pytest.fixture(scope="module")
def small_body_server(tmp_path_factory):
    """Bodies up to 1 MiB, documents up to 4 MiB: only the body limit can stop a 2 MiB document."""
    running = Server("sqlite:///" + str(tmp_path_factory.mktemp("small") / "lrs.sqlite3"), workers=1,
                     extra_env={"LRS_MAX_BODY_BYTES": str(1024 * 1024),
                                "LRS_MAX_DOCUMENT_BYTES": str(4 * 1024 * 1024)}).start()
    yield running
    running.stop()


def test_a_chunked_document_past_the_body_limit_is_413_and_not_stored_cut_short_HTTP_9(small_body_server):
    http = session()
    url = small_body_server.url + "/xapi/activities/state"
    params = {"activityId": "http://example.gov/a", "agent": json.dumps({"mbox": "mailto:a@example.gov"}),
              "stateId": "big"}
    response = http.put(url, params=params, data=chunks(b"x" * (2 * 1024 * 1024)),
                        headers={"Content-Type": "text/plain"}, timeout=60)
    assert response.status_code == 413
    assert http.get(url, params=params, timeout=10).status_code == 404


def test_a_chunked_body_within_the_limit_is_read_whole(chunk_server):
    http = session()
    body = padded_batch(1024 * 1024)
    response = http.post(chunk_server.url + "/xapi/statements", data=chunks(body),
                         headers={"Content-Type": "application/json"}, timeout=60)
    assert response.status_code == 200, response.text[:300]
    statement_id = response.json()[0]
    stored = http.get(chunk_server.url + "/xapi/statements", params={"statementId": statement_id}, timeout=10).json()
    assert stored["context"] == json.loads(body)[0]["context"]
