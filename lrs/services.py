"""The service layer, wired: what the HTTP layer and the command line use, without Flask."""
from dataclasses import dataclass

from .auth import Authenticator
from .throttle import FailureThrottle
from .config import ConfigError, Settings
from .errors import StorageUnavailable
from .store import open_storage
from .xapi.documents import DocumentService
from .xapi.signatures import check_signature
from .xapi.statements import StatementService


class NoMetrics:
    """The metrics hook of the service layer when nothing counts (CLI, tools, tests)."""

    def statements_stored(self, count):
        pass

    def validation_failure(self):
        pass


@dataclass
class Services:
    """One instance per application (per worker process)."""

    settings: Settings
    storage: object
    authenticator: Authenticator
    statements: StatementService
    documents: DocumentService


def build_services(settings, storage, metrics=None):
    metrics = metrics or NoMetrics()
    return Services(
        settings=settings, storage=storage,
        authenticator=Authenticator(storage, settings.auth_cache_seconds, throttle=FailureThrottle(
            settings.auth_failures_per_key, settings.auth_failures_per_address,
            settings.auth_failure_window_seconds)),
        statements=StatementService(storage, settings, signature_checker=check_signature, metrics=metrics),
        documents=DocumentService(storage, settings))


def open_configured_storage(settings):
    """The storage the settings name; ConfigError or StorageUnavailable with one clear line."""
    options = {"synchronous": settings.sqlite_synchronous} if settings.database_url.startswith("sqlite") else {}
    try:
        storage = open_storage(settings.database_url, **options)
    except StorageUnavailable:
        raise
    except Exception as error:          # a malformed URL, an unusable file: the driver's words
        raise ConfigError("LRS_DATABASE_URL cannot be used: %s" % error) from None
    storage.ping()
    return storage


def preflight(environ=None):
    """Check the settings and the database before serving (gunicorn's on_starting).

    Raises ConfigError or StorageUnavailable, whose message is the one line to print.
    """
    settings = Settings.from_env(environ)
    open_configured_storage(settings).close()
    return settings
