"""Start-up makes sure the default store has an admin credential (issue 2, item 6)."""
import pytest

from lrs.app import create_app
from lrs.auth import verify_secret
from lrs.config import Settings


def settings(tmp_path, **changes):
    return Settings(database_url="sqlite:///" + str(tmp_path / "lrs.sqlite3"), secret_hash_iterations=1000,
                    **changes)


def test_a_new_database_gets_one_admin_credential_announced_once(tmp_path):
    said = []
    create_app(settings(tmp_path), announce=said.append)
    create_app(settings(tmp_path), announce=said.append)
    assert len(said) == 1
    assert "key:" in said[0] and "secret:" in said[0]


def test_the_announced_secret_verifies_and_has_scope_all(tmp_path):
    said = []
    app = create_app(settings(tmp_path), announce=said.append)
    key = said[0].split("key:")[1].split()[0]
    secret = said[0].split("secret:")[1].split()[0]
    credential = app.extensions["lrs"].storage.get_credential(key)
    assert verify_secret(secret, credential.secret_hash)
    assert credential.scopes == ["all"]


def test_admin_key_and_secret_from_settings_are_created_with_scope_all(tmp_path):
    said = []
    app = create_app(settings(tmp_path, admin_key="ops", admin_secret="s3cret-value-for-tests"), announce=said.append)
    credential = app.extensions["lrs"].storage.get_credential("ops")
    assert said == []
    assert credential.scopes == ["all"] and credential.admin
    assert verify_secret("s3cret-value-for-tests", credential.secret_hash)


def test_restarting_with_the_same_admin_settings_changes_nothing(tmp_path):
    create_app(settings(tmp_path, admin_key="ops", admin_secret="s3cret-value-for-tests"))
    app = create_app(settings(tmp_path, admin_key="ops", admin_secret="s3cret-value-for-tests"))
    assert len(app.extensions["lrs"].storage.list_credentials()) == 1


def test_an_admin_key_taken_by_another_secret_stops_start_up(tmp_path):
    create_app(settings(tmp_path, admin_key="ops", admin_secret="first-secret-for-tests"))
    with pytest.raises(SystemExit):
        create_app(settings(tmp_path, admin_key="ops", admin_secret="second-secret-for-tests"))
