"""The Flask application: create_app() builds it from settings (the application factory)."""
import atexit

from flask import Flask

from . import observability
from .auth import ensure_admin
from .config import Settings
from .errors import StorageUnavailable
from .services import build_services, open_configured_storage
from .store.opening import open_or_retry


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
        # a database that cannot be opened now must not stop the worker from starting (issue 17)
        storage = open_or_retry(lambda: open_configured_storage(settings),
                                prepare=lambda opened: ensure_admin(opened, settings, announce=announce))
    else:
        ensure_admin(storage, settings, announce=announce)

    from .api import register_error_handlers, xapi
    from .api.alternate import AlternateSyntaxMiddleware
    from .api.body import BoundedRequest
    from .api.openapi import openapi

    app = Flask(__name__, static_folder=None)         # no /static route: the LRS serves no such files
    app.request_class = BoundedRequest              # size limit on chunked bodies too (HTTP-9)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.extensions["lrs"] = build_services(settings, storage, metrics=_ObservedMetrics())
    app.extensions["lrs.storage"] = storage
    app.url_map.strict_slashes = False
    app.register_blueprint(xapi)
    app.register_blueprint(openapi)                    # /openapi.json and /docs
    from .api.reports import reports
    app.register_blueprint(reports)
    from .api.admin import admin_api
    app.register_blueprint(admin_api)                # /admin/api/ (issue 14)
    from .console import init_app as init_console
    init_console(app)                                # the web console at / (issue 14)
    register_error_handlers(app)
    observability.init_app(app)
    app.wsgi_app = AlternateSyntaxMiddleware(app.wsgi_app, settings.max_body_bytes)
    if settings.trusted_proxies:            # the client address for the failure limits
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies, x_proto=0, x_host=0,
                                x_port=0, x_prefix=0)
    checkpointer = app.extensions["lrs"].checkpointer
    if checkpointer is not None:            # signed audit checkpoints, and one more at shutdown
        checkpointer.start()
        atexit.register(checkpointer.shutdown)
    if settings.admin_key:                  # wrong secrets for it are refused without the KDF
        try:
            app.extensions["lrs"].authenticator.remember(settings.admin_key, settings.admin_secret)
        except StorageUnavailable:          # not open yet: remembered at its first verification
            pass
    return app
