"""Issue 11, defect 3: the real gunicorn configuration logs no personal data and logs on standard error.

gunicorn runs deploy/gunicorn.conf.py with wsgi:app, as in production. Requests carry an agent
mailbox, a registration and a `more`-like cursor in their query strings and HTTP Basic credentials;
none of them, nor the credential key (the Basic user name), may reach the logs, whether gunicorn's
access log is off (the default) or asked for with LRS_ACCESS_LOG. Standard output stays empty.
"""
import json
import socket

import requests

from .conftest import ADMIN, HEADERS, Server

MAILBOX = "ada.lovelace@example.gov"
REGISTRATION = "6fbd6f8c-9f34-4a8a-b5a1-0d3f6ac2e0c1"
CURSOR = "eyJzIjoxMjM0NTY3ODkwfQ"
QUERY = {"agent": json.dumps({"mbox": "mailto:" + MAILBOX}), "registration": REGISTRATION}


def _traffic(server):
    """Authenticated and failed requests whose query strings hold personal data."""
    answers = [
        requests.get(server.url + "/xapi/statements", params=QUERY, auth=ADMIN, headers=HEADERS, timeout=5),
        requests.get(server.url + "/xapi/statements", params=QUERY, auth=(ADMIN[0], "wrong-secret"),
                     headers=HEADERS, timeout=5),
        requests.get(server.url + "/xapi/statements", params={"more": CURSOR}, auth=ADMIN, headers=HEADERS,
                     timeout=5),
    ]
    assert [a.status_code for a in answers] == [200, 401, 400]


def _run(tmp_path, sqlite_url, extra_env):
    stderr_path, stdout_path = tmp_path / "stderr.log", tmp_path / "stdout.log"
    server = Server(sqlite_url, extra_env=extra_env).start(log_path=str(stderr_path),
                                                           stdout_path=str(stdout_path))
    try:
        _traffic(server)
    finally:
        server.stop()
    return stderr_path.read_text(), stdout_path.read_text()


def _json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _assert_private(text):
    for private in (MAILBOX, "ada.lovelace", "mailto", REGISTRATION, CURSOR, ADMIN[0], ADMIN[1], "wrong-secret",
                    "agent=", "registration=", "more="):
        assert private not in text, private


def test_default_logs_hold_no_query_string_no_key_and_go_to_stderr_issue_11(tmp_path, sqlite_url):
    stderr, stdout = _run(tmp_path, sqlite_url, {})
    _assert_private(stderr + stdout)
    assert stdout == ""
    entries = _json_lines(stderr)                       # every line is JSON
    assert not [e for e in entries if e["logger"] == "gunicorn.access"]     # access log off
    lrs_access = [e for e in entries if e["logger"] == "lrs.access" and e.get("route") == "/xapi/statements"]
    assert sorted(e["status"] for e in lrs_access) == [200, 400, 401]
    assert any(e["logger"] == "gunicorn.error" for e in entries)            # gunicorn's own lines too


def test_access_log_when_asked_for_has_paths_without_query_or_user_issue_11(tmp_path, sqlite_url):
    stderr, stdout = _run(tmp_path, sqlite_url, {"LRS_ACCESS_LOG": "-"})
    _assert_private(stderr + stdout)
    assert stdout == ""
    access = [e for e in _json_lines(stderr) if e["logger"] == "gunicorn.access"]
    assert sorted(e["status"] for e in access if e["path"] == "/xapi/statements") == [200, 400, 401]
    assert all(e["request_id"] and "127.0.0.1" not in json.dumps(e) for e in access)


def test_access_log_to_a_file_has_no_query_or_user_issue_11(tmp_path, sqlite_url):
    access_path = tmp_path / "access.log"
    stderr, stdout = _run(tmp_path, sqlite_url, {"LRS_ACCESS_LOG": str(access_path)})
    text = access_path.read_text()
    _assert_private(text + stderr + stdout)
    assert [e["path"] for e in _json_lines(text)].count("/xapi/statements") == 3


def test_a_malformed_request_line_is_logged_without_its_query_string_or_address_issue_11(tmp_path, sqlite_url):
    stderr_path = tmp_path / "stderr.log"
    server = Server(sqlite_url, extra_env={"LRS_ACCESS_LOG": "-"}).start(log_path=str(stderr_path))
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET /xapi/statements?agent=mailto:" + MAILBOX.encode() + b" HTTP/1.1 extra\r\n"
                         b"Host: x\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.1 400")
    finally:
        server.stop()
    text = stderr_path.read_text()
    assert "Invalid request" in text
    _assert_private(text)
    invalid = [line for line in text.splitlines() if "Invalid request" in line]
    assert invalid and not [line for line in invalid if "127.0.0.1" in line]   # nor the address
