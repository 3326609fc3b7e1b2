"""Settings from the environment, validated at start (issue 2, issue 7)."""
import pytest

from lrs.config import ConfigError, Settings


def test_defaults_use_an_sqlite_file_under_data_in_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///" + str(tmp_path / "data" / "lrs.sqlite3")


@pytest.mark.parametrize("name, value", [
    ("LRS_DATABASE_URL", "postgres://db"), ("LRS_MAX_BODY_BYTES", "lots"), ("LRS_MAX_BODY_BYTES", "10"),
    ("LRS_XAPI_VERSIONS", "0.9"), ("LRS_FALLBACK_XAPI_VERSION", "3.0.0"), ("LRS_STATE_PUT_CONFLICT", "maybe"),
    ("LRS_SQLITE_SYNCHRONOUS", "SOMETIMES"), ("LRS_PUBLIC_URL", "ftp://x"), ("LRS_LOG_LEVEL", "LOUD"),
    ("LRS_CURSOR_KEY", "short")])
def test_a_bad_value_raises_a_config_error_naming_the_variable(name, value):
    with pytest.raises(ConfigError) as error:
        Settings.from_env({name: value})
    assert name in str(error.value)


def test_admin_key_without_secret_is_refused():
    with pytest.raises(ConfigError):
        Settings.from_env({"LRS_ADMIN_KEY": "admin"})


def test_values_are_parsed():
    settings = Settings.from_env({"LRS_XAPI_VERSIONS": "1.0.3", "LRS_STATE_PUT_CONFLICT": "true",
                                  "LRS_STATEMENT_PAGE_LIMIT": "50", "LRS_SQLITE_SYNCHRONOUS": "normal"})
    assert settings.xapi_versions == ["1.0.3"]
    assert settings.state_put_conflict is True
    assert settings.statement_page_limit == 50
    assert settings.sqlite_synchronous == "NORMAL"


def test_a_cursor_key_of_32_characters_or_more_is_kept():
    assert Settings.from_env({"LRS_CURSOR_KEY": "k" * 32}).cursor_key == "k" * 32


def test_a_start_up_with_a_short_cursor_key_fails_naming_the_variable(tmp_path):
    """issue 11: the key that authenticates more cursors is checked before serving."""
    from lrs.services import preflight
    with pytest.raises(ConfigError, match="LRS_CURSOR_KEY must be at least 32 characters"):
        preflight({"LRS_DATABASE_URL": "sqlite:///" + str(tmp_path / "lrs.sqlite3"), "LRS_CURSOR_KEY": "x" * 31})
