"""The command line: python -m lrs stores|credentials (issue 2, item 6)."""
import subprocess
import sys

import pytest

from lrs.__main__ import main
from lrs.auth import verify_secret
from lrs.store import open_storage

ROOT = __import__("os").path.dirname(__import__("os").path.dirname(__import__("os").path.dirname(
    __import__("os").path.abspath(__file__))))


@pytest.fixture
def database(tmp_path, monkeypatch):
    url = "sqlite:///" + str(tmp_path / "cli.sqlite3")
    monkeypatch.setenv("LRS_DATABASE_URL", url)
    monkeypatch.setenv("LRS_SECRET_HASH_ITERATIONS", "1000")
    return url


def test_stores_create_then_list_shows_it(database, capsys):
    main(["stores", "create", "health-department"])
    main(["stores", "list"])
    assert "health-department" in capsys.readouterr().out


def test_creating_a_store_twice_fails_with_a_message(database, capsys):
    main(["stores", "create", "dup"])
    with pytest.raises(SystemExit) as exit_info:
        main(["stores", "create", "dup"])
    assert "dup" in str(exit_info.value)


def test_credentials_create_prints_a_secret_that_verifies(database, capsys):
    main(["stores", "create", "agency"])
    main(["credentials", "create", "--store", "agency", "--scopes", "statements/read all/read"])
    out = capsys.readouterr().out
    key = out.split("key:")[1].split()[0]
    secret = out.split("secret:")[1].split()[0]
    credential = open_storage(database).get_credential(key)
    assert verify_secret(secret, credential.secret_hash)
    assert credential.scopes == ["statements/read", "all/read"]


def test_credentials_list_never_shows_secrets(database, capsys):
    main(["stores", "create", "agency"])
    main(["credentials", "create", "--store", "agency"])
    secret = capsys.readouterr().out.split("secret:")[1].split()[0]
    main(["credentials", "list"])
    listing = capsys.readouterr().out
    assert "statements/write" in listing
    assert secret not in listing


def test_credentials_revoke_marks_it_revoked(database, capsys):
    main(["stores", "create", "agency"])
    main(["credentials", "create", "--store", "agency"])
    key = capsys.readouterr().out.split("key:")[1].split()[0]
    main(["credentials", "revoke", key])
    assert open_storage(database).get_credential(key).revoked


def test_credentials_create_for_an_unknown_store_fails(database):
    with pytest.raises(SystemExit):
        main(["credentials", "create", "--store", "nowhere"])


def test_credentials_create_with_an_unknown_scope_fails(database):
    main(["stores", "create", "agency"])
    with pytest.raises(SystemExit) as exit_info:
        main(["credentials", "create", "--store", "agency", "--scopes", "everything"])
    assert "everything" in str(exit_info.value)


def test_a_bad_setting_ends_the_cli_with_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "lrs", "stores", "list"], cwd=ROOT, capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin", "LRS_DATABASE_URL": "postgres://x"})
    assert result.returncode != 0
    assert "LRS_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


# --- administration through the shared service (issue 14) ---------------------------------------

def _created(capsys):
    out = capsys.readouterr().out
    return out.split("key:")[1].split()[0], out.split("secret:")[1].split()[0]


def test_stores_rename_keeps_the_store(database, capsys):
    main(["stores", "create", "health"])
    main(["stores", "rename", "health", "public-health"])
    main(["stores", "list"])
    out = capsys.readouterr().out
    assert "public-health" in out and "\thealth\t" not in out


def test_stores_list_shows_usage_figures(database, capsys):
    main(["stores", "create", "agency"])
    main(["stores", "list"])
    assert "statements 0\tdocuments 0\tcredentials 0" in capsys.readouterr().out


def test_credentials_rotate_prints_a_new_secret_and_the_old_one_no_longer_verifies(database, capsys):
    main(["stores", "create", "agency"])
    main(["credentials", "create", "--store", "agency"])
    key, old = _created(capsys)
    main(["credentials", "rotate", key])
    _, new = _created(capsys)
    stored = open_storage(database).get_credential(key)
    assert verify_secret(new, stored.secret_hash) and not verify_secret(old, stored.secret_hash)


def test_credentials_update_sets_scopes_and_expiry(database, capsys):
    main(["stores", "create", "agency"])
    main(["credentials", "create", "--store", "agency"])
    key, _ = _created(capsys)
    main(["credentials", "update", key, "--scopes", "state", "--expires", "2999-01-01"])
    stored = open_storage(database).get_credential(key)
    assert stored.scopes == ["state"] and stored.expires_ms is not None


def test_credentials_create_with_a_past_expiry_fails_naming_the_field(database, capsys):
    main(["stores", "create", "agency"])
    with pytest.raises(SystemExit) as exit_info:
        main(["credentials", "create", "--store", "agency", "--expires", "2000-01-01"])
    assert "expires" in str(exit_info.value)
