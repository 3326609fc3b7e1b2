"""Credentials, scopes, store isolation (SEC, SCOPE) and version negotiation (VER)."""
import uuid

import pytest

from lrs.auth import Authenticator, create_credential, hash_secret, verify_secret

from .conftest import XAPIClient, basic, statement


def credential(app, scopes, store="default"):
    storage = app.extensions["lrs"].storage
    found = storage.get_store(store) or storage.create_store(store)
    return create_credential(storage, found.id, scopes, iterations=1000)


# --- authentication --------------------------------------------------------------------

def test_a_request_without_credentials_is_401_with_a_challenge_SEC_1(client):
    response = client.get("/xapi/statements", auth=False)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.headers["X-Experience-API-Version"]


def test_a_wrong_secret_is_401_SEC_3(client):
    assert client.with_auth("admin", "wrong").get("/xapi/statements").status_code == 401


def test_an_unknown_key_is_401_SEC_3(client):
    assert client.with_auth("nobody", "x").get("/xapi/statements").status_code == 401


@pytest.mark.parametrize("header", ["Basic: abc", "Bearer xyz", "Basic !!!", "Basic " + "YWRtaW4="])
def test_a_malformed_authorization_header_is_401_SEC_3(client, header):
    response = client.get("/xapi/statements", auth=False, headers={"Authorization": header})
    assert response.status_code == 401


def test_bad_credentials_win_over_other_errors_HTTP_13(client):
    response = client.with_auth("admin", "wrong").get("/xapi/statements?foo=bar", version=False)
    assert response.status_code == 401


def test_a_revoked_credential_is_refused_SEC_3(app):
    key, secret = credential(app, ["all"])
    storage = app.extensions["lrs"].storage
    storage.revoke_credential(key)
    app.extensions["lrs"].authenticator.forget(key)
    assert XAPIClient(app, auth=(key, secret)).get("/xapi/statements").status_code == 401


def test_secrets_are_stored_hashed(app):
    key, secret = credential(app, ["all"])
    stored = app.extensions["lrs"].storage.get_credential(key)
    assert secret not in stored.secret_hash
    assert verify_secret(secret, stored.secret_hash)


def test_a_hash_does_not_verify_another_secret():
    assert not verify_secret("other", hash_secret("secret", 1000))


def test_a_verified_credential_is_not_hashed_again_on_the_next_request(app, monkeypatch):
    key, secret = credential(app, ["all"])
    authenticator = Authenticator(app.extensions["lrs"].storage, cache_seconds=30)
    calls = []
    import lrs.auth
    original = lrs.auth.verify_secret
    monkeypatch.setattr(lrs.auth, "verify_secret", lambda *a: calls.append(1) or original(*a))
    for _ in range(5):
        authenticator.authenticate(basic(key, secret))
    assert len(calls) == 1


def test_the_cache_does_not_accept_a_wrong_secret_for_a_cached_key(app):
    key, secret = credential(app, ["all"])
    authenticator = Authenticator(app.extensions["lrs"].storage, cache_seconds=30)
    authenticator.authenticate(basic(key, secret))
    from lrs.errors import Unauthorized
    with pytest.raises(Unauthorized):
        authenticator.authenticate(basic(key, secret + "x"))


# --- scopes ----------------------------------------------------------------------------

def test_a_read_only_credential_cannot_write_SEC_8(app):
    client = XAPIClient(app, auth=credential(app, ["statements/read"]))
    assert client.post_statements(statement()).status_code == 403


def test_a_write_only_credential_cannot_read_SEC_8(app):
    client = XAPIClient(app, auth=credential(app, ["statements/write"]))
    assert client.get("/xapi/statements").status_code == 403


def test_all_read_can_read_but_not_write_SCOPE_7(app):
    client = XAPIClient(app, auth=credential(app, ["all/read"]))
    assert client.get("/xapi/statements").status_code == 200
    assert client.post_statements(statement()).status_code == 403


def test_default_scopes_are_write_and_read_mine_SCOPE_9():
    from lrs.auth import parse_scopes
    assert parse_scopes("") == ["statements/write", "statements/read/mine"]


def test_an_unknown_scope_is_refused():
    from lrs.auth import parse_scopes
    with pytest.raises(ValueError):
        parse_scopes("statements/everything")


# --- stores ----------------------------------------------------------------------------

def test_stores_never_see_each_others_statements(app, client):
    statement_id = client.post_statements(statement()).json[0]
    other = XAPIClient(app, auth=credential(app, ["all"], store="other-department"))
    assert other.get("/xapi/statements?statementId=" + statement_id).status_code == 404
    assert other.get("/xapi/statements").json["statements"] == []


def test_the_same_statement_id_can_exist_in_two_stores(app, client):
    statement_id = str(uuid.uuid4())
    other = XAPIClient(app, auth=credential(app, ["all"], store="other-department"))
    assert client.post_statements(statement(id=statement_id)).status_code == 200
    assert other.post_statements(statement(id=statement_id, verb={"id": "http://x.gov/v"})).status_code == 200
    read = "/xapi/statements?statementId=" + statement_id
    assert client.get(read).json["verb"] == statement()["verb"]
    assert other.get(read).json["verb"] == {"id": "http://x.gov/v"}


# --- versions --------------------------------------------------------------------------

def test_a_request_without_version_header_is_400_VER_1(client):
    response = client.get("/xapi/statements", version=False)
    assert response.status_code == 400
    assert "X-Experience-API-Version" in response.json["error"]["message"]


@pytest.mark.parametrize("header, answered", [("1.0", "1.0.3"), ("1.0.0", "1.0.3"), ("1.0.2", "1.0.3"),
                                              ("1.0.3", "1.0.3"), ("2.0", "2.0.0"), ("2.0.0", "2.0.0")])
def test_supported_headers_are_answered_with_the_latest_patch_VER_2_VER_3_VER_4_VER_11(client, header, answered):
    response = client.get("/xapi/statements", headers={"X-Experience-API-Version": header}, version=False)
    assert response.status_code == 200
    assert response.headers["X-Experience-API-Version"] == answered


@pytest.mark.parametrize("header", ["0.9", "0.95", "1.1.0", "2.1.0", "3.0.0", "BAD", ""])
def test_unsupported_or_malformed_versions_are_400_with_a_reason_VER_6_VER_7_VER_8_VER_9(client, header):
    response = client.get("/xapi/statements", headers={"X-Experience-API-Version": header}, version=False)
    assert response.status_code == 400
    assert response.json["error"]["message"]


def test_a_version_switched_off_is_refused_VER_14(make_app):
    client = XAPIClient(make_app(xapi_versions=["1.0.3"]), version="2.0.0")
    assert client.get("/xapi/statements").status_code == 400


def test_the_fallback_version_is_configurable_VER_12(make_app):
    client = XAPIClient(make_app(fallback_xapi_version="2.0.0"))
    response = client.get("/xapi/statements", version=False)
    assert response.headers["X-Experience-API-Version"] == "2.0.0"


def test_about_answers_without_credentials_or_version_ABOUT_4_VER_13(client):
    response = client.get("/xapi/about", auth=False, version=False)
    assert response.status_code == 200
    assert response.json["version"] == ["1.0.3", "2.0.0"]
    assert response.headers["X-Experience-API-Version"]


def test_about_answers_an_unsupported_version_header_VER_13(client):
    response = client.get("/xapi/about", auth=False, headers={"X-Experience-API-Version": "0.9"}, version=False)
    assert response.status_code == 200


def test_error_bodies_never_carry_statement_keys_ERR_3(client):
    body = client.get("/xapi/statements?statementId=" + str(uuid.uuid4())).json
    assert not {"id", "timestamp", "stored", "statements", "version"} & set(body)


def test_cors_preflight_needs_no_credentials_HDR_8(client):
    response = client.request("OPTIONS", "/xapi/statements", auth=False, version=False,
                              headers={"Origin": "https://content.example.gov",
                                       "Access-Control-Request-Method": "POST"})
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Experience-API-Version" in response.headers["Access-Control-Allow-Headers"]
