"""/admin/api/ (issue 14): the administration HTTP API, on both backends."""
import pytest

from .conftest import ADMIN_KEY, ADMIN_SECRET, basic, statement


class Admin:
    def __init__(self, app, auth=(ADMIN_KEY, ADMIN_SECRET)):
        self.flask, self.auth = app.test_client(), auth

    def open(self, method, path, **kwargs):
        headers = {"Authorization": basic(*self.auth)} if self.auth else {}
        return self.flask.open("/admin/api" + path, method=method, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.open("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.open("PATCH", path, **kwargs)


@pytest.fixture
def api(app):
    return Admin(app)


def _credential(api, **fields):
    body = {"store": "default", "scopes": ["statements/write", "statements/read"]}
    body.update(fields)
    response = api.post("/credentials", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# --- who may ----------------------------------------------------------------------------------------

def test_without_credentials_the_admin_api_answers_401(app):
    response = Admin(app, auth=None).get("/stores")
    assert response.status_code == 401 and "WWW-Authenticate" in response.headers


def test_with_a_wrong_secret_the_admin_api_answers_401(app):
    assert Admin(app, auth=(ADMIN_KEY, "wrong")).get("/stores").status_code == 401


def test_a_credential_without_the_admin_scope_gets_403(api, app):
    made = _credential(api, scopes=["all"])
    response = Admin(app, auth=(made["key"], made["secret"])).get("/stores")
    assert response.status_code == 403 and "admin" in response.get_json()["error"]["message"]


def test_a_credential_with_the_admin_scope_may_administer(api, app):
    made = _credential(api, scopes=["admin"])
    assert Admin(app, auth=(made["key"], made["secret"])).get("/stores").status_code == 200


def test_admin_answers_are_never_cached_and_inert(api):
    response = api.get("/stores")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- stores -------------------------------------------------------------------------------------------

def test_create_a_store_answers_201_with_it(api):
    response = api.post("/stores", json={"name": "health"})
    assert response.status_code == 201 and response.get_json()["name"] == "health"


def test_list_stores_gives_usage_figures(api, client):
    client.post_statements([statement()])
    default = next(s for s in api.get("/stores").get_json() if s["name"] == "default")
    assert (default["statements"], default["documents"], default["credentials"]) == (1, 0, 1)


def test_a_bad_store_name_is_400_naming_the_field(api):
    response = api.post("/stores", json={"name": "a/b"})
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "name"
    assert response.get_json()["error"]["message"].startswith("name:")


def test_a_missing_field_is_400_naming_it(api):
    response = api.post("/stores", json={})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "name"


def test_a_body_that_is_not_a_json_object_is_400(api):
    response = api.post("/stores", data="name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "body" in response.get_json()["error"]["message"]


def test_an_unknown_field_is_400_naming_it(api):
    response = api.post("/stores", json={"name": "x", "colour": "red"})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "colour"


def test_rename_a_store(api):
    api.post("/stores", json={"name": "health"})
    response = api.patch("/stores/health", json={"name": "public-health"})
    assert response.status_code == 200 and api.get("/stores/public-health").status_code == 200


def test_an_unknown_store_is_404(api):
    assert api.get("/stores/nowhere").status_code == 404


# --- credentials -------------------------------------------------------------------------------------

def test_create_credential_shows_the_secret_once(api, client):
    made = _credential(api, name="Quiz vendor")
    assert made["secret"] and made["state"] == "active"
    assert "secret" not in api.get("/credentials/" + made["key"]).get_json()
    assert made["secret"] not in api.get("/credentials").get_data(as_text=True)
    assert client.with_auth(made["key"], made["secret"]).get("/xapi/statements").status_code == 200


def test_create_credential_with_an_unknown_scope_is_400_naming_scopes(api):
    response = api.post("/credentials", json={"store": "default", "scopes": ["root"]})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "scopes"


def test_create_credential_with_a_past_expiry_is_400_naming_expires(api):
    response = api.post("/credentials", json={"store": "default", "scopes": ["state"], "expires": "2001-01-01"})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "expires"


def test_list_credentials_of_one_store(api):
    api.post("/stores", json={"name": "health"})
    _credential(api, store="health")
    listed = api.get("/credentials?store=health").get_json()
    assert [c["store"] for c in listed] == ["health"]


def test_revoke_then_the_credential_is_refused_over_xapi(api, client):
    made = _credential(api)
    xapi = client.with_auth(made["key"], made["secret"])
    assert xapi.get("/xapi/statements").status_code == 200
    assert api.post("/credentials/%s/revoke" % made["key"]).get_json()["state"] == "revoked"
    assert xapi.get("/xapi/statements").status_code == 401


def test_rotate_gives_a_new_secret_and_the_old_one_is_refused(api, client):
    made = _credential(api)
    rotated = api.post("/credentials/%s/rotate" % made["key"]).get_json()
    assert client.with_auth(made["key"], made["secret"]).get("/xapi/statements").status_code == 401
    assert client.with_auth(made["key"], rotated["secret"]).get("/xapi/statements").status_code == 200


def test_patch_changes_scopes_name_and_expiry(api):
    made = _credential(api)
    changed = api.patch("/credentials/" + made["key"],
                        json={"scopes": ["state"], "name": "renamed", "expires": "2999-01-01"}).get_json()
    assert (changed["scopes"], changed["name"], changed["expires"]) == (
        ["state"], "renamed", "2999-01-02T00:00:00.000Z")


def test_patch_with_null_expires_removes_the_expiry(api):
    made = _credential(api, expires="2999-01-01")
    assert api.patch("/credentials/" + made["key"], json={"expires": None}).get_json()["expires"] is None


def test_last_used_appears_after_a_request(api, app, client):
    made = _credential(api)
    client.with_auth(made["key"], made["secret"]).get("/xapi/statements")
    assert api.get("/credentials/" + made["key"]).get_json()["last_used"]


def test_an_unknown_credential_is_404(api):
    assert api.post("/credentials/nobody/revoke").status_code == 404


def test_scopes_lists_what_each_allows(api):
    scopes = {s["scope"]: s["allows"] for s in api.get("/scopes").get_json()}
    assert "admin" in scopes and all(scopes.values())


# --- statements -------------------------------------------------------------------------------------

def test_statement_lookup_applies_xapi_filters(api, client):
    client.post_statements([statement(), statement(verb={"id": "http://adlnet.gov/expapi/verbs/failed"})])
    found = api.get("/stores/default/statements?verb=http://adlnet.gov/expapi/verbs/failed").get_json()
    assert [s["verb"]["id"] for s in found["statements"]] == ["http://adlnet.gov/expapi/verbs/failed"]


def test_statement_lookup_pages_through_more_links(api, client):
    client.post_statements([statement() for _ in range(3)])
    first = api.get("/stores/default/statements?limit=2").get_json()
    assert first["more"].startswith("/admin/api/stores/default/statements?more=")
    second = api.flask.get(first["more"], headers={"Authorization": basic(ADMIN_KEY, ADMIN_SECRET)}).get_json()
    assert len(second["statements"]) == 1


def test_statement_lookup_of_a_voided_statement_says_so(api, client):
    target = client.post_statements([statement()]).get_json()[0]
    client.post_statements([statement(verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
                                      object={"objectType": "StatementRef", "id": target})])
    found = api.get("/stores/default/statements?voidedStatementId=" + target).get_json()
    assert found["voided"] is True and found["statements"][0]["id"] == target


def test_statement_lookup_with_a_bad_filter_is_400(api):
    assert api.get("/stores/default/statements?since=yesterday").status_code == 400


# --- forwarding ---------------------------------------------------------------------------------

def test_forwarding_rules_and_their_outbox_state(api, client):
    api.post("/stores", json={"name": "agency"})
    response = api.post("/forwarding", json={"store": "default", "name": "to-agency", "to_store": "agency"})
    assert response.status_code == 201
    client.post_statements([statement()])
    state = api.get("/forwarding?store=default").get_json()[0]
    assert (state["name"], state["pending"], state["dead"]) == ("to-agency", 1, 0)
    assert state["oldest_pending_age_ms"] is not None


def test_forwarding_pause_resume_and_remove(api):
    api.post("/stores", json={"name": "agency"})
    api.post("/forwarding", json={"store": "default", "name": "r", "to_store": "agency"})
    api.post("/forwarding/default/r/pause")
    assert api.get("/forwarding").get_json()[0]["state"] == "paused"
    api.post("/forwarding/default/r/resume")
    assert api.get("/forwarding").get_json()[0]["state"] == "active"
    assert api.open("DELETE", "/forwarding/default/r").status_code == 200
    assert api.get("/forwarding").get_json() == []


def test_dead_letters_are_listed_and_retried(api, app, client):
    api.post("/stores", json={"name": "agency"})
    api.post("/forwarding", json={"store": "default", "name": "r", "to_store": "agency"})
    client.post_statements([statement()])
    storage = app.extensions["lrs"].storage
    rule = storage.list_forwarding_rules()[0]
    entries = storage.claim_outbox(rule.id, "test", 10, 60_000, 0)
    storage.dead_letter_outbox(rule.id, "test", {entries[0].seq: "400 bad statement"})
    letters = api.get("/forwarding/default/r/dead-letters").get_json()
    assert [letter["error"] for letter in letters] == ["400 bad statement"]
    assert api.post("/forwarding/default/r/dead-letters/retry").get_json() == {"retried": 1}
    assert api.get("/forwarding").get_json()[0]["dead"] == 0


def test_a_forwarding_rule_with_no_target_is_400(api):
    assert api.post("/forwarding", json={"store": "default", "name": "r"}).status_code == 400
