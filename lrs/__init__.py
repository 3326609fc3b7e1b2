"""An xAPI Learning Record Store: create_app() builds the Flask application."""
from dataclasses import dataclass

from flask import Flask

from .auth import Authenticator, ensure_admin
from .config import Settings
from .store import open_storage
from .xapi.signatures import check_signature
from .xapi.documents import DocumentService
from .xapi.statements import StatementService


@dataclass
class Services:
    """What the HTTP layer uses; one instance per application (per worker process)."""

    settings: Settings
    storage: object
    authenticator: Authenticator
    statements: StatementService
    documents: DocumentService


def open_configured_storage(settings):
    """The storage the settings name; ConfigError or StorageUnavailable with one clear line."""
    from .config import ConfigError
    from .errors import StorageUnavailable
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


def create_app(settings=None, storage=None, announce=print):
    """The WSGI application for the settings (default: from the environment)."""
    settings = settings or Settings.from_env()
    if storage is None:
        storage = open_configured_storage(settings)
    ensure_admin(storage, settings, announce=announce)

    from . import observability
    from .api import register_error_handlers, xapi
    from .api.alternate import AlternateSyntaxMiddleware

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.extensions["lrs"] = Services(
        settings=settings, storage=storage,
        authenticator=Authenticator(storage, settings.auth_cache_seconds),
        statements=StatementService(storage, settings, signature_checker=check_signature),
        documents=DocumentService(storage, settings))
    app.extensions["lrs.storage"] = storage
    app.url_map.strict_slashes = False
    app.register_blueprint(xapi)
    register_error_handlers(app)
    observability.init_app(app)
    app.wsgi_app = AlternateSyntaxMiddleware(app.wsgi_app)
    return app
