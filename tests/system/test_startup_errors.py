"""Bad settings or an unreachable database end start-up with one clear line and a non-zero exit (issue 7)."""
import os
import subprocess
import sys

import pytest

from .conftest import ROOT, free_port


def start(env_changes, tmp_path):
    env = dict(os.environ, LRS_DATABASE_URL="sqlite:///" + str(tmp_path / "lrs.sqlite3"))
    env.update(env_changes)
    return subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", os.path.join(ROOT, "deploy", "gunicorn.conf.py"),
         "-b", "127.0.0.1:%d" % free_port(), "wsgi:app"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name, value", [
    ("LRS_DATABASE_URL", "postgres://db.example/lrs"),
    ("LRS_DATABASE_URL", "mongodb://127.0.0.1:1/lrs?serverSelectionTimeoutMS=300"),
    ("LRS_MAX_BODY_BYTES", "lots"),
    ("LRS_XAPI_VERSIONS", "0.95"),
    ("LRS_ADMIN_KEY", "admin-without-secret"),
])
def test_a_bad_setting_or_unreachable_database_ends_start_up_with_one_line(tmp_path, name, value):
    result = start({name: value}, tmp_path)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("lrs: cannot start:")]
    assert len(errors) == 1
    assert "Traceback" not in result.stderr + result.stdout


def test_an_unreachable_database_names_the_database(tmp_path):
    result = start({"LRS_DATABASE_URL": "mongodb://127.0.0.1:1/lrs?serverSelectionTimeoutMS=300"}, tmp_path)
    assert "MongoDB unavailable" in result.stderr


def test_a_bad_value_names_the_variable(tmp_path):
    result = start({"LRS_MAX_BODY_BYTES": "lots"}, tmp_path)
    assert "LRS_MAX_BODY_BYTES" in result.stderr


def test_a_weak_admin_secret_ends_start_up_with_one_line_issue_11(tmp_path):
    result = start({"LRS_ADMIN_KEY": "ops", "LRS_ADMIN_SECRET": "password"}, tmp_path)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("lrs: cannot start:")]
    assert len(errors) == 1 and "LRS_ADMIN_SECRET is too weak" in errors[0]
    assert "password" not in result.stderr + result.stdout           # the secret is never echoed
    assert "Traceback" not in result.stderr + result.stdout


def test_an_admin_key_taken_by_another_secret_ends_start_up_in_the_master_with_one_line(tmp_path):
    """Before, each worker stopped on it and gunicorn kept restarting them; now the master's check
    refuses it once, with nothing changed in the database."""
    first = {"LRS_ADMIN_KEY": "ops", "LRS_ADMIN_SECRET": "first-Secret-value-12345"}
    from lrs.auth import ensure_admin
    from lrs.config import Settings
    from lrs.store import open_storage
    settings = Settings.from_env(dict(first, LRS_DATABASE_URL="sqlite:///" + str(tmp_path / "lrs.sqlite3")))
    storage = open_storage(settings.database_url)
    ensure_admin(storage, settings)
    storage.close()
    result = start({"LRS_ADMIN_KEY": "ops", "LRS_ADMIN_SECRET": "second-Secret-value-6789"}, tmp_path)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("lrs: cannot start:")]
    assert len(errors) == 1 and "LRS_ADMIN_KEY names an existing credential" in errors[0]
    assert "second-Secret" not in result.stderr + result.stdout
    assert "Booting worker" not in result.stderr                       # refused before any worker
