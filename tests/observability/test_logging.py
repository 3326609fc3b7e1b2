"""Logs: one JSON object per line, one access line per request, and no secrets."""
import io
import json
import logging

from lrs import observability

SECRET = "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="


def _access(log_lines, route):
    return [line for line in log_lines() if line["logger"] == "lrs.access" and line.get("route") == route]


def test_every_line_is_one_json_object(client, log_stream):
    client.get("/things/1")
    client.get("/crash")
    lines = [line for line in log_stream.getvalue().splitlines() if line.strip()]
    assert lines
    assert all(isinstance(json.loads(line), dict) for line in lines)


def test_access_line_holds_request_fields(client, log_lines):
    client.get("/things/4", headers={"X-Request-ID": "access-1"})
    line = _access(log_lines, "/things/<int:number>")[-1]
    assert set(line) >= {"time", "level", "logger", "message", "request_id", "method", "route", "path",
                         "status", "duration_ms"}
    assert (line["level"], line["request_id"], line["method"], line["path"], line["status"]) == \
        ("INFO", "access-1", "GET", "/things/4", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["time"].endswith("Z")


def test_access_line_has_no_query_string(client, log_lines):
    client.get('/things/4?agent={"mbox":"mailto:ada@example.gov"}')
    assert "ada@example.gov" not in json.dumps(log_lines())


def test_authorization_header_never_appears_in_logs(client, log_stream):
    client.get("/things/1", headers={"Authorization": "Basic " + SECRET})
    client.get("/crash", headers={"Authorization": "Basic " + SECRET})
    client.get("/no/such", headers={"Authorization": "Bearer " + SECRET})
    assert SECRET not in log_stream.getvalue()


def test_request_bodies_never_appear_in_logs(client, log_stream):
    client.post("/things/1", json={"secret": "body-secret-value"})
    assert "body-secret-value" not in log_stream.getvalue()


def test_credentials_in_a_message_are_masked(log_stream):
    logging.getLogger("lrs.test").warning("retrying with Basic %s on mongodb://lrs:hunter2@db/lrs", SECRET)
    text = log_stream.getvalue()
    assert SECRET not in text and "hunter2" not in text


def test_exceptions_are_logged_as_one_line_with_the_traceback(log_stream):
    try:
        raise ValueError("bad thing")
    except ValueError:
        logging.getLogger("lrs.test").exception("it failed")
    line = json.loads(log_stream.getvalue().splitlines()[-1])
    assert line["level"] == "ERROR" and "ValueError: bad thing" in line["exception"]


def test_probes_are_logged_only_at_debug(client, log_lines):
    client.get("/health")
    client.get("/ready")
    client.get("/metrics")
    assert not [line for line in log_lines() if line.get("route") in ("/health", "/ready", "/metrics")]


def test_configure_logging_twice_keeps_one_json_handler(log_stream):
    observability.configure_logging("DEBUG", stream=log_stream)
    observability.configure_logging("WARNING")
    handlers = [h for h in logging.getLogger().handlers if getattr(h, "lrs_json", False)]
    assert len(handlers) == 1
    assert logging.getLogger().level == logging.WARNING
    observability.configure_logging("INFO")


def test_configure_logging_sets_the_level(log_stream):
    observability.configure_logging("WARNING", stream=log_stream)
    logging.getLogger("lrs.test").info("quiet")
    logging.getLogger("lrs.test").warning("loud")
    assert [json.loads(line)["message"] for line in log_stream.getvalue().splitlines()] == ["loud"]
    observability.configure_logging("INFO", stream=log_stream)


def test_lines_outside_a_request_have_no_request_fields():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(observability.JsonFormatter())
    record = logging.LogRecord("lrs.test", logging.INFO, __file__, 1, "started %s", ("ok",), None)
    line = json.loads(handler.format(record))
    assert line["message"] == "started ok" and "request_id" not in line
