"""How failures below the HTTP layer become responses (issue 10): the HTTP layer knows only lrs
errors; the store reports an unreachable database as StorageUnavailable (503, clients retry), and
anything else is a defect answered with a logged 500 that tells the client nothing internal."""
import json
import logging
import sqlite3

from lrs.errors import StorageUnavailable

from .test_operations import metric

ACTIVITY = "/xapi/activities?activityId=http%3A%2F%2Fexample.gov%2Fcourses%2Fsafety"
AGENT = "/xapi/agents?agent=" + json.dumps({"mbox": "mailto:ada@example.gov"})


def _store_fails_with(app, monkeypatch, method, error):
    def failing(*args, **kwargs):
        raise error
    monkeypatch.setattr(app.extensions["lrs"].storage, method, failing)


def test_storage_unavailable_from_the_store_answers_503_with_the_version_header(app, client, monkeypatch):
    _store_fails_with(app, monkeypatch, "get_activity_definition", StorageUnavailable("the database is down"))
    response = client.get(ACTIVITY)
    assert response.status_code == 503
    assert response.json == {"error": {"status": 503, "message": "the database is down"}}
    assert response.headers["X-Experience-API-Version"] == "1.0.3"                     # VER-10


def test_storage_unavailable_tells_the_client_when_to_retry(app, client, monkeypatch):
    _store_fails_with(app, monkeypatch, "get_activity_definition", StorageUnavailable("the database is down"))
    assert client.get(ACTIVITY).headers["Retry-After"] == "1"


def test_storage_unavailable_is_counted_as_a_database_error(app, client, monkeypatch):
    before = metric(client, "lrs_database_errors_total")
    _store_fails_with(app, monkeypatch, "get_agent_names", StorageUnavailable("the database is down"))
    assert client.get(AGENT).status_code == 503
    assert metric(client, "lrs_database_errors_total") == before + 1


def test_a_driver_error_that_escapes_the_store_is_a_logged_500_without_its_text(app, client, monkeypatch, caplog):
    _store_fails_with(app, monkeypatch, "get_agent_names", sqlite3.OperationalError("disk I/O error at /secret/path"))
    with caplog.at_level(logging.ERROR, logger="lrs.api"):
        response = client.get(AGENT)
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)
    assert response.json["error"]["status"] == 500
    logged = [record for record in caplog.records if record.name == "lrs.api" and record.exc_info]
    assert logged and logged[0].exc_info[0] is sqlite3.OperationalError
