"""Stored content is served inert (issue 11): documents and attachments keep the Content-Type their
writer chose (DOC-1, MPR-3), text/html included, so every xAPI response tells browsers not to sniff
another type (`X-Content-Type-Options: nosniff`) and to run nothing it holds (`Content-Security-Policy:
sandbox`), whatever origin the LRS shares with a web console."""
import hashlib

import pytest

from .conftest import statement
from .documents_fixtures import docs  # noqa: F401
from .test_attachments import attachment, post_multipart

HTML = b"<!doctype html><script>fetch('/xapi/statements').then(r => r.text()).then(alert)</script>"


def assert_inert(response):
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = [directive.strip() for directive in response.headers["Content-Security-Policy"].split(";")]
    assert "sandbox" in policy                       # no script, no same origin, no forms
    assert "default-src 'none'" in policy            # nothing loaded from anywhere


def test_an_html_document_is_served_as_stored_but_inert(docs):  # noqa: F811
    docs.create("page", HTML, "text/html")
    response = docs.get("page")
    assert response.get_data() == HTML and response.headers["Content-Type"].startswith("text/html")
    assert_inert(response)


def test_head_of_an_html_document_is_inert_too(docs):  # noqa: F811
    docs.create("page", HTML, "text/html")
    assert_inert(docs.head("page"))


@pytest.mark.parametrize("single", [True, False], ids=["by statementId", "in a query"])
def test_an_html_attachment_is_served_inert(client, single):
    sent = statement(attachments=[attachment(HTML, "text/html")])
    statement_id = post_multipart(client, [sent], HTML).json[0]
    query = "statementId=" + statement_id if single else "limit=1"
    response = client.get("/xapi/statements?attachments=true&" + query)
    assert response.status_code == 200
    assert HTML in response.get_data() and b"Content-Type: text/html" in response.get_data()
    assert hashlib.sha256(HTML).hexdigest().encode() in response.get_data()
    assert_inert(response)


def test_json_answers_and_errors_are_inert_too(client):
    assert_inert(client.get("/xapi/statements"))
    assert_inert(client.get("/xapi/statements?statementId=<script>"))
    assert_inert(client.get("/xapi/no-such-resource"))
