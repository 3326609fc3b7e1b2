"""The Flask application: create_app() builds it from settings (the application factory)."""
from flask import Flask

from . import observability
from .auth import ensure_admin
from .config import Settings
from .services import build_services, open_configured_storage


class _ObservedMetrics:
    """The service layer's metrics hook, counted in Prometheus (lrs.observability)."""

    def statements_stored(self, count):
        observability.count_statements_stored(count)

    def validation_failure(self):
        observability.count_validation_failure()


def create_app(settings=None, storage=None, announce=print):
    """The WSGI application for the settings (default: from the environment)."""
    settings = settings or Settings.from_env()
    if storage is None:
        storage = open_configured_storage(settings)
    ensure_admin(storage, settings, announce=announce)

    from .api import register_error_handlers, xapi
    from .api.alternate import AlternateSyntaxMiddleware
    from .api.openapi import openapi

    app = Flask(__name__, static_folder=None)         # no /static route: the LRS serves no such files
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.extensions["lrs"] = build_services(settings, storage, metrics=_ObservedMetrics())
    app.extensions["lrs.storage"] = storage
    app.url_map.strict_slashes = False
    app.register_blueprint(xapi)
    app.register_blueprint(openapi)                    # /openapi.json and /docs
    register_error_handlers(app)
    observability.init_app(app)
    app.wsgi_app = AlternateSyntaxMiddleware(app.wsgi_app)
    return app
