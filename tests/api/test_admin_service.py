"""The administration service (issue 14), shared by the CLI, /admin/api/ and the console; on both backends."""
import pytest

from lrs.admin.service import InvalidField, parse_expiry
from lrs.auth import verify_secret
from lrs.errors import BadRequest, NotFound, Unauthorized

from .conftest import basic, statement

FUTURE = "2999-01-01"


@pytest.fixture
def admin(app):
    return app.extensions["lrs"].admin


@pytest.fixture
def authenticator(app):
    return app.extensions["lrs"].authenticator


def test_create_store_then_list_shows_its_usage_figures(admin, client):
    admin.create_store("health")
    view = next(s for s in admin.list_stores() if s["name"] == "health")
    assert (view["statements"], view["documents"], view["credentials"]) == (0, 0, 0)


def test_usage_figures_count_statements_and_active_credentials(admin, client):
    client.post_statements([statement(), statement()])
    view = next(s for s in admin.list_stores() if s["name"] == "default")
    assert (view["statements"], view["credentials"]) == (2, 1)


@pytest.mark.parametrize("name", ["", " ", "a/b", "x" * 65, "-start", None])
def test_a_bad_store_name_is_refused_naming_the_field(admin, name):
    with pytest.raises(InvalidField) as error:
        admin.create_store(name)
    assert error.value.field == "name"


def test_a_taken_store_name_is_refused_naming_the_field(admin):
    admin.create_store("health")
    with pytest.raises(InvalidField, match="exists"):
        admin.create_store("health")


def test_rename_store_keeps_its_id(admin):
    created = admin.create_store("health")
    assert admin.rename_store("health", "public-health")["id"] == created["id"]


def test_rename_of_an_unknown_store_is_not_found(admin):
    with pytest.raises(NotFound):
        admin.rename_store("nowhere", "x")


def test_create_credential_returns_a_secret_that_verifies_and_is_never_listed(admin, app):
    view, secret = admin.create_credential("default", name="Quiz vendor", scopes=["statements/write"])
    stored = app.extensions["lrs"].storage.get_credential(view["key"])
    assert verify_secret(secret, stored.secret_hash)
    assert secret not in repr(admin.list_credentials()) and "secret" not in str(view.keys())


def test_create_credential_with_an_unknown_scope_names_the_field(admin):
    with pytest.raises(InvalidField) as error:
        admin.create_credential("default", scopes=["statements/write", "everything"])
    assert error.value.field == "scopes" and "everything" in error.value.message


def test_create_credential_without_scopes_is_refused(admin):
    with pytest.raises(InvalidField, match="scopes"):
        admin.create_credential("default", scopes=[])


def test_create_credential_in_an_unknown_store_is_not_found(admin):
    with pytest.raises(NotFound, match="store"):
        admin.create_credential("nowhere")


def test_an_expiry_date_lasts_through_that_day_utc():
    assert parse_expiry("2030-01-01") == parse_expiry("2030-01-02T00:00:00Z")


@pytest.mark.parametrize("value", ["tomorrow", "2020-01-01", 5])
def test_a_bad_or_past_expiry_is_refused_naming_the_field(value):
    with pytest.raises(InvalidField) as error:
        parse_expiry(value)
    assert error.value.field == "expires"


def test_revoked_credential_is_refused_at_once_in_this_process(admin, authenticator):
    view, secret = admin.create_credential("default")
    authenticator.authenticate(basic(view["key"], secret))          # now trusted for a while
    admin.revoke_credential(view["key"])
    with pytest.raises(Unauthorized):
        authenticator.authenticate(basic(view["key"], secret))
    assert admin.get_credential(view["key"])["state"] == "revoked"


def test_revoking_twice_says_so(admin):
    view, _ = admin.create_credential("default")
    admin.revoke_credential(view["key"])
    with pytest.raises(BadRequest, match="already revoked"):
        admin.revoke_credential(view["key"])


def test_rotate_replaces_the_secret_and_the_old_one_stops_working(admin, authenticator):
    view, old = admin.create_credential("default")
    authenticator.authenticate(basic(view["key"], old))
    _, new = admin.rotate_secret(view["key"])
    assert new != old
    assert authenticator.authenticate(basic(view["key"], new)).key == view["key"]
    with pytest.raises(Unauthorized):
        authenticator.authenticate(basic(view["key"], old))


def test_a_revoked_credential_cannot_be_rotated(admin):
    view, _ = admin.create_credential("default")
    admin.revoke_credential(view["key"])
    with pytest.raises(BadRequest, match="revoked"):
        admin.rotate_secret(view["key"])


def test_update_changes_name_scopes_and_expiry(admin):
    view, _ = admin.create_credential("default", name="old")
    updated = admin.update_credential(view["key"], name="new", scopes="state define", expires=FUTURE)
    assert (updated["name"], updated["scopes"], updated["expires"]) == (
        "new", ["state", "define"], "2999-01-02T00:00:00.000Z")


def test_update_leaves_what_is_not_given(admin):
    view, _ = admin.create_credential("default", name="kept", expires=FUTURE)
    updated = admin.update_credential(view["key"], scopes=["state"])
    assert (updated["name"], updated["expires"]) == ("kept", view["expires"])


def test_changed_scopes_apply_at_once_in_this_process(admin, authenticator):
    view, secret = admin.create_credential("default", scopes=["statements/write"])
    authenticator.authenticate(basic(view["key"], secret))
    admin.update_credential(view["key"], scopes=["state"])
    assert authenticator.authenticate(basic(view["key"], secret)).scopes == {"state"}


def test_find_statements_applies_the_xapi_filters(admin, client):
    client.post_statements([statement(), statement(verb={"id": "http://adlnet.gov/expapi/verbs/failed"})])
    found = admin.find_statements("default", {"verb": "http://adlnet.gov/expapi/verbs/failed"}, lambda t: t)
    assert [s["verb"]["id"] for s in found["statements"]] == ["http://adlnet.gov/expapi/verbs/failed"]


def test_find_statements_pages_through_more(admin, client):
    client.post_statements([statement() for _ in range(3)])
    first = admin.find_statements("default", {"limit": "2"}, lambda token: token)
    second = admin.find_statements("default", {"more": first["more"]}, lambda token: token)
    assert len(first["statements"]) == 2 and len(second["statements"]) == 1 and second["more"] == ""


def test_find_statements_with_a_bad_filter_is_a_bad_request(admin):
    with pytest.raises(BadRequest, match="verb"):
        admin.find_statements("default", {"verb": "not an iri"}, lambda t: t)


def test_the_statement_count_holds_voided_and_voiding_statements_and_nothing_refused_issue_14(admin, client):
    """The count is read from the store's sequence (constant time): it must still equal what is kept."""
    first = client.post_statements([statement(), statement()]).get_json()[0]
    client.post_statements([statement(verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
                                      object={"objectType": "StatementRef", "id": first})])
    assert client.post_statements([statement(), {"actor": "nobody"}]).status_code == 400     # nothing of it kept
    assert client.post_statements([statement(id=first)]).status_code in (200, 409)           # already kept
    view = next(s for s in admin.list_stores() if s["name"] == "default")
    assert view["statements"] == 3
