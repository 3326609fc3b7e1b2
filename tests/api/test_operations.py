"""Operator endpoints on the real LRS application (issue 7): health, readiness, metrics, logs."""
import re

from .conftest import statement


def metric(client, name):
    text = client.get("/metrics", auth=False, version=False).get_data(as_text=True)
    values = [float(m.group(1)) for m in re.finditer(r"^%s(?:\{[^}]*\})? ([0-9.e+]+)$" % re.escape(name), text, re.M)]
    return sum(values)


def test_health_answers_without_credentials(client):
    response = client.get("/health", auth=False, version=False)
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_ready_answers_when_the_database_answers(client):
    assert client.get("/ready", auth=False, version=False).status_code == 200


def test_stored_statements_are_counted(client):
    before = metric(client, "lrs_statements_stored_total")
    client.post_statements([statement(), statement()])
    assert metric(client, "lrs_statements_stored_total") - before == 2


def test_a_statement_sent_again_is_not_counted_twice(client):
    sent = statement(id="6f1e8a44-7b51-4d0f-9f58-1d7b2a2e3c10")
    client.post_statements(sent)
    before = metric(client, "lrs_statements_stored_total")
    client.post_statements(sent)
    assert metric(client, "lrs_statements_stored_total") == before


def test_validation_failures_are_counted(client):
    before = metric(client, "lrs_validation_failures_total")
    assert client.post_statements(statement(verb={"id": "no scheme"})).status_code == 400
    assert metric(client, "lrs_validation_failures_total") - before == 1


def test_requests_are_counted_by_route_not_raw_path(client):
    client.get("/xapi/statements?verb=http://x.gov/secret-verb")
    text = client.get("/metrics", auth=False, version=False).get_data(as_text=True)
    assert 'route="/xapi/statements"' in text
    assert "secret-verb" not in text


def test_a_statement_post_logs_neither_body_nor_credentials(client, caplog):
    marker = "learner-%s@example.gov" % "zz9"
    with caplog.at_level("DEBUG"):
        client.post_statements(statement(actor={"mbox": "mailto:" + marker}))
    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    assert marker not in logged
    assert "Basic " not in logged
