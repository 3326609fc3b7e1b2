"""`gunicorn -c deploy/gunicorn.conf.py wsgi:app` serves the LRS on the embedded default (issue 2, item 7)."""
from .conftest import session


def test_gunicorn_serves_about_without_credentials_ABOUT_4(server):
    import requests
    response = requests.get(server.url + "/xapi/about", timeout=5)
    assert response.status_code == 200
    assert "1.0.3" in response.json()["version"]


def test_gunicorn_stores_a_statement_and_returns_it(server):
    http = session()
    sent = {"actor": {"mbox": "mailto:ada@example.gov"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "http://example.gov/courses/fire-safety"}}
    statement_id = http.post(server.url + "/xapi/statements", json=sent, timeout=5).json()[0]
    response = http.get(server.url + "/xapi/statements", params={"statementId": statement_id}, timeout=5)
    assert response.json()["object"] == sent["object"]
    assert response.headers["Date"]
