"""The web console at / (issue 14), through the Flask test client, on both backends."""
import re

import pytest

from .conftest import ADMIN_KEY, ADMIN_SECRET, statement


class Console:
    """A browser-like client: keeps the session cookie and sends each page's CSRF token back."""

    def __init__(self, app):
        self.flask = app.test_client()
        self.csrf = ""

    def get(self, path, **kwargs):
        response = self.flask.get(path, **kwargs)
        found = re.search(r'name="csrf" value="([^"]+)"', response.get_data(as_text=True))
        if found:
            self.csrf = found.group(1)
        return response

    def post(self, path, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf", self.csrf)
        return self.flask.post(path, data=data, **kwargs)

    def sign_in(self, key=ADMIN_KEY, secret=ADMIN_SECRET):
        self.get("/sign-in")
        return self.post("/sign-in", {"key": key, "secret": secret})


@pytest.fixture
def console(app):
    browser = Console(app)
    assert browser.sign_in().status_code == 302
    browser.get("/stores")
    return browser


def _new_credential(console, **fields):
    data = {"store": "default", "name": "Quiz vendor", "scopes": ["statements/write", "statements/read"]}
    data.update(fields)
    page = console.post("/credentials", data).get_data(as_text=True)
    key = re.search(r'id="created-key">([^<]+)<', page).group(1)
    secret = re.search(r'id="created-secret">([^<]+)<', page).group(1)
    return key, secret


# --- signing in ---------------------------------------------------------------------------------------

def test_the_root_sends_a_visitor_to_the_sign_in_page(app):
    response = app.test_client().get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")


def test_every_page_sends_a_visitor_to_the_sign_in_page(app):
    for path in ("/stores", "/credentials", "/statements", "/forwarding"):
        assert app.test_client().get(path).headers["Location"].endswith("/sign-in")


def test_signing_in_sets_an_httponly_samesite_strict_session_cookie(app):
    response = Console(app).sign_in()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie


def test_the_session_cookie_is_secure_over_https(app):
    browser = Console(app)
    browser.get("/sign-in", base_url="https://lrs.example.gov")
    response = browser.post("/sign-in", {"key": ADMIN_KEY, "secret": ADMIN_SECRET}, base_url="https://lrs.example.gov")
    assert "Secure" in response.headers["Set-Cookie"]


def test_a_wrong_secret_reshows_the_sign_in_page_with_an_error(app):
    response = Console(app).sign_in(secret="wrong-secret")
    assert response.status_code == 401 and "wrong secret" in response.get_data(as_text=True)


def test_a_credential_without_the_admin_scope_cannot_sign_in(app, console):
    key, secret = _new_credential(console, scopes=["all"])
    response = Console(app).sign_in(key, secret)
    assert response.status_code == 403 and "admin scope" in response.get_data(as_text=True)


def test_sign_in_attempts_are_rate_limited(make_app):
    app = make_app(auth_failures_per_key=2)
    browser = Console(app)
    statuses = [browser.sign_in(secret="wrong-%d" % n).status_code for n in range(3)]
    assert statuses == [401, 401, 429]
    assert "Too many failed attempts" in browser.sign_in(secret="wrong-again").get_data(as_text=True)


def test_a_form_without_the_csrf_token_is_refused(console):
    response = console.post("/stores", {"name": "health"}, csrf=False)
    assert response.status_code == 400 and "health" not in console.get("/stores").get_data(as_text=True)


def test_a_sign_in_without_the_csrf_token_is_refused(app):
    response = Console(app).post("/sign-in", {"key": ADMIN_KEY, "secret": ADMIN_SECRET}, csrf=False)
    assert response.status_code == 400


def test_sign_out_ends_the_session(console):
    console.post("/sign-out")
    assert console.get("/stores").status_code == 302


def test_revoking_the_signed_in_credential_ends_its_session(app, console):
    key, secret = _new_credential(console, scopes=["admin"])
    other = Console(app)
    other.sign_in(key, secret)
    assert other.get("/stores").status_code == 200
    console.post("/credentials/%s/revoke" % key)
    assert other.get("/stores").status_code == 302


# --- headers -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/sign-in", "/stores", "/credentials", "/statements", "/forwarding",
                                  "/console-static/console.css"])
def test_every_console_response_forbids_inline_script_and_framing(console, path):
    headers = console.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "script-src" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"


def test_no_page_holds_a_script(console):
    for path in ("/sign-in", "/stores", "/credentials", "/statements", "/forwarding"):
        assert "<script" not in console.get(path).get_data(as_text=True)


# --- stores and credentials ----------------------------------------------------------------------------

def test_create_a_store_and_see_it_listed(console):
    console.post("/stores", {"name": "health"})
    assert ">health</a>" in console.get("/stores").get_data(as_text=True)


def test_a_bad_store_name_is_reshown_with_the_error_next_to_the_field(console):
    response = console.post("/stores", {"name": "a/b"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="name-error"' in page and 'value="a/b"' in page


def test_rename_a_store(console):
    console.post("/stores", {"name": "health"})
    console.post("/stores/health/rename", {"name": "public-health"})
    assert ">public-health</a>" in console.get("/stores").get_data(as_text=True)


def test_scopes_are_checkboxes_saying_what_each_allows(console):
    page = console.get("/credentials").get_data(as_text=True)
    assert 'type="checkbox" id="scope-1" name="scopes" value="statements/write" checked' in page
    assert "send statements" in page and "administer the LRS" in page


def test_a_new_credential_shows_its_secret_once(console, client):
    key, secret = _new_credential(console)
    assert client.with_auth(key, secret).get("/xapi/statements").status_code == 200
    assert secret not in console.get("/credentials").get_data(as_text=True)


def test_a_credential_without_scopes_is_reshown_with_the_error(console):
    response = console.post("/credentials", {"store": "default", "name": "x"})
    assert response.status_code == 400 and 'id="scopes-error"' in response.get_data(as_text=True)


def test_revoke_from_the_console_refuses_the_next_xapi_call(console, client):
    key, secret = _new_credential(console)
    console.post("/credentials/%s/revoke" % key)
    assert client.with_auth(key, secret).get("/xapi/statements").status_code == 401


def test_rotate_from_the_console_shows_a_new_secret(console, client):
    key, old = _new_credential(console)
    page = console.post("/credentials/%s/rotate" % key).get_data(as_text=True)
    new = re.search(r'id="created-secret">([^<]+)<', page).group(1)
    assert client.with_auth(key, new).get("/xapi/statements").status_code == 200
    assert client.with_auth(key, old).get("/xapi/statements").status_code == 401


def test_edit_a_credentials_scopes_and_expiry(console, app):
    key, _ = _new_credential(console)
    console.get("/credentials/" + key)
    response = console.post("/credentials/" + key, {"name": "renamed", "scopes": ["state"], "expires": "2999-01-01"})
    stored = app.extensions["lrs"].storage.get_credential(key)
    assert response.status_code == 302 and (stored.name, stored.scopes) == ("renamed", ["state"])
    assert stored.expires_ms is not None


# --- statements -------------------------------------------------------------------------------------------

def test_statements_read_as_text_with_their_json_one_click_away(console, client):
    client.post_statements([statement(result={"score": {"scaled": 0.92}, "duration": "PT3M"})])
    page = console.get("/statements?store=default").get_data(as_text=True)
    assert "Ada completed Safety — 92% — 3 min" in page
    assert "<details><summary>JSON" in page and "&#34;mbox&#34;: &#34;mailto:ada@example.gov&#34;" in page


def test_names_holding_script_render_as_text(console, client):
    evil = "<script>alert(1)</script>"
    client.post_statements([statement(actor={"name": evil, "mbox": "mailto:x@example.gov"},
                                      object={"id": "http://example.gov/x", "definition": {"name": {"en-US": evil}}})])
    page = console.get("/statements?store=default").get_data(as_text=True)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_filters_apply(console, client):
    client.post_statements([statement(), statement(verb={"id": "http://adlnet.gov/expapi/verbs/failed"})])
    page = console.get("/statements?store=default&verb=http://adlnet.gov/expapi/verbs/failed").get_data(as_text=True)
    assert page.count('<li class="statement') == 1 and "Ada failed Safety" in page


def test_a_bad_filter_is_shown_as_an_error(console):
    response = console.get("/statements?store=default&since=yesterday")
    assert response.status_code == 400 and 'role="alert"' in response.get_data(as_text=True)


def test_paging_follows_more(console, client):
    client.post_statements([statement() for _ in range(3)])
    page = console.get("/statements?store=default&limit=2").get_data(as_text=True)
    next_link = re.search(r'href="([^"]+)" rel="next"', page).group(1).replace("&amp;", "&")
    assert page.count('<li class="statement') == 2
    assert console.get(next_link).get_data(as_text=True).count('<li class="statement') == 1


def test_a_voided_statement_is_marked(console, client):
    target = client.post_statements([statement()]).get_json()[0]
    client.post_statements([statement(verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
                                      object={"objectType": "StatementRef", "id": target})])
    listing = console.get("/statements?store=default").get_data(as_text=True)
    assert '<span class="badge">voids</span>' in listing and "voidedStatementId=" + target in listing
    voided = console.get("/statements?store=default&voidedStatementId=" + target).get_data(as_text=True)
    assert 'class="statement voided"' in voided and '<span class="badge revoked">voided</span>' in voided


# --- forwarding ---------------------------------------------------------------------------------------

def test_forwarding_status_with_dead_letters_and_retry(console, client, app):
    services = app.extensions["lrs"]
    services.admin.create_store("agency")
    services.forwarding.add("default", "to-agency", to_store="agency")
    client.post_statements([statement(), statement()])
    rule = services.storage.list_forwarding_rules()[0]
    entries = services.storage.claim_outbox(rule.id, "test", 1, 60_000, 0)
    services.storage.dead_letter_outbox(rule.id, "test", {entries[0].seq: "400 refused by the agency"})
    page = console.get("/forwarding").get_data(as_text=True)
    assert "to-agency" in page and "400 refused by the agency" in page and "Oldest waiting" in page
    console.post("/forwarding/default/to-agency/retry")
    assert services.storage.forwarding_counts(rule.id, 0).dead == 0
