"""Settings, read once from the environment and validated at start.

Every setting is an `LRS_*` environment variable; README.md has the table. A bad value raises
ConfigError with one line that names the variable, so start-up can exit cleanly.
"""
import os
from dataclasses import dataclass, field, fields

from schemas.versions import SUPPORTED_VERSIONS, XAPI_1_0_3

from .errors import ConfigError  # noqa: F401  (re-exported: lrs.config.ConfigError)

MIN_CURSOR_KEY_LENGTH = 32


def _default_database_url():
    return "sqlite:///" + os.path.join(os.getcwd(), "data", "lrs.sqlite3")


def _int(name, value, minimum=0):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError("%s must be a whole number, got %r" % (name, value)) from None
    if number < minimum:
        raise ConfigError("%s must be at least %d, got %d" % (name, minimum, number))
    return number


def _bool(name, value):
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError("%s must be true or false, got %r" % (name, value))


def _choice(name, value, choices):
    if value not in choices:
        raise ConfigError("%s must be one of %s, got %r" % (name, ", ".join(choices), value))
    return value


def _list(value):
    return [item.strip() for item in str(value).split(",") if item.strip()]


@dataclass
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    sqlite_synchronous: str = "FULL"
    xapi_versions: list = field(default_factory=lambda: list(SUPPORTED_VERSIONS))
    fallback_xapi_version: str = XAPI_1_0_3
    admin_key: str = ""
    admin_secret: str = ""
    cursor_key: str = ""
    secret_key: str = ""
    public_url: str = "http://localhost:8000"
    max_body_bytes: int = 20 * 1024 * 1024
    max_document_bytes: int = 2 * 1024 * 1024
    max_attachment_bytes: int = 16 * 1024 * 1024
    statement_page_limit: int = 500
    cors_origins: list = field(default_factory=lambda: ["*"])
    auth_cache_seconds: int = 30
    auth_failures_per_key: int = 10
    auth_failures_per_address: int = 30
    auth_failure_window_seconds: int = 60
    trusted_proxies: int = 0
    secret_hash_iterations: int = 210_000
    state_put_conflict: bool = False
    consistent_through_lag_ms: int = 5000
    log_level: str = "INFO"
    signing_key_file: str = ""
    signing_key_generate: bool = False
    checkpoint_every_entries: int = 10_000
    checkpoint_every_seconds: int = 300

    # environment variable -> (attribute, parser)
    @classmethod
    def from_env(cls, environ=None):
        env = os.environ if environ is None else environ
        settings = cls()
        parsers = {
            "LRS_DATABASE_URL": ("database_url", str),
            "LRS_SQLITE_SYNCHRONOUS": ("sqlite_synchronous",
                                       lambda n, v: _choice(n, v.upper(), ("FULL", "NORMAL"))),
            "LRS_XAPI_VERSIONS": ("xapi_versions", lambda n, v: _list(v)),
            "LRS_FALLBACK_XAPI_VERSION": ("fallback_xapi_version", str),
            "LRS_ADMIN_KEY": ("admin_key", str),
            "LRS_ADMIN_SECRET": ("admin_secret", str),
            "LRS_CURSOR_KEY": ("cursor_key", str),
            "LRS_SECRET_KEY": ("secret_key", str),
            "LRS_PUBLIC_URL": ("public_url", str),
            "LRS_MAX_BODY_BYTES": ("max_body_bytes", lambda n, v: _int(n, v, 1024)),
            "LRS_MAX_DOCUMENT_BYTES": ("max_document_bytes", lambda n, v: _int(n, v, 1)),
            "LRS_MAX_ATTACHMENT_BYTES": ("max_attachment_bytes", lambda n, v: _int(n, v, 1)),
            "LRS_STATEMENT_PAGE_LIMIT": ("statement_page_limit", lambda n, v: _int(n, v, 1)),
            "LRS_CORS_ORIGINS": ("cors_origins", lambda n, v: _list(v)),
            "LRS_AUTH_CACHE_SECONDS": ("auth_cache_seconds", lambda n, v: _int(n, v, 0)),
            "LRS_AUTH_FAILURES_PER_KEY": ("auth_failures_per_key", lambda n, v: _int(n, v, 0)),
            "LRS_AUTH_FAILURES_PER_ADDRESS": ("auth_failures_per_address", lambda n, v: _int(n, v, 0)),
            "LRS_AUTH_FAILURE_WINDOW_SECONDS": ("auth_failure_window_seconds", lambda n, v: _int(n, v, 1)),
            "LRS_TRUSTED_PROXIES": ("trusted_proxies", lambda n, v: _int(n, v, 0)),
            "LRS_SECRET_HASH_ITERATIONS": ("secret_hash_iterations", lambda n, v: _int(n, v, 1000)),
            "LRS_STATE_PUT_CONFLICT": ("state_put_conflict", _bool),
            "LRS_CONSISTENT_THROUGH_LAG_MS": ("consistent_through_lag_ms", lambda n, v: _int(n, v, 0)),
            "LRS_SIGNING_KEY_FILE": ("signing_key_file", str),
            "LRS_SIGNING_KEY_GENERATE": ("signing_key_generate", _bool),
            "LRS_CHECKPOINT_EVERY_ENTRIES": ("checkpoint_every_entries", lambda n, v: _int(n, v, 1)),
            "LRS_CHECKPOINT_EVERY_SECONDS": ("checkpoint_every_seconds", lambda n, v: _int(n, v, 1)),
            "LRS_LOG_LEVEL": ("log_level",
                              lambda n, v: _choice(n, v.upper(), ("DEBUG", "INFO", "WARNING", "ERROR"))),
        }
        for name, (attribute, parse) in parsers.items():
            if name in env:
                value = env[name]
                setattr(settings, attribute, value if parse is str else parse(name, value))
        settings.validate()
        return settings

    def validate(self):
        from .store import supported_url
        url = self.database_url
        if not supported_url(url):
            raise ConfigError("LRS_DATABASE_URL must start with sqlite:///, mongodb:// or "
                              "mongodb+srv://, got %r" % url)
        if url.startswith("sqlite:///") and len(url) == len("sqlite:///"):
            raise ConfigError("LRS_DATABASE_URL sqlite:/// needs a file path")
        unknown = [v for v in self.xapi_versions if v not in SUPPORTED_VERSIONS]
        if unknown or not self.xapi_versions:
            raise ConfigError("LRS_XAPI_VERSIONS must list some of %s, got %r"
                              % (", ".join(SUPPORTED_VERSIONS), ",".join(self.xapi_versions)))
        if self.fallback_xapi_version not in SUPPORTED_VERSIONS:
            raise ConfigError("LRS_FALLBACK_XAPI_VERSION must be one of %s, got %r"
                              % (", ".join(SUPPORTED_VERSIONS), self.fallback_xapi_version))
        if bool(self.admin_key) != bool(self.admin_secret):
            raise ConfigError("LRS_ADMIN_KEY and LRS_ADMIN_SECRET must be set together")
        if self.cursor_key and len(self.cursor_key) < MIN_CURSOR_KEY_LENGTH:
            raise ConfigError("LRS_CURSOR_KEY must be at least %d characters (e.g. 64 random hex digits), got %d"
                              % (MIN_CURSOR_KEY_LENGTH, len(self.cursor_key)))
        if self.secret_key:
            from .federation.secrets import SecretBox
            SecretBox(self.secret_key)                 # ConfigError for a malformed key
        if self.admin_secret:
            from .auth import check_strength
            try:
                check_strength(self.admin_secret)
            except ValueError as error:
                raise ConfigError("LRS_ADMIN_SECRET is too weak: %s" % error) from None
        if not self.public_url.startswith(("http://", "https://")):
            raise ConfigError("LRS_PUBLIC_URL must be an http(s) URL, got %r" % self.public_url)

    def replace(self, **changes):
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        settings = Settings(**values)
        settings.validate()
        return settings
