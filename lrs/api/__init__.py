"""The HTTP layer: Flask blueprints for the xAPI resources, and how errors become responses.

Each request to /xapi/... passes, in order: CORS preflight, authentication (HTTP-13: before
anything else), version negotiation, then the resource's handler. Every response gets the
X-Experience-API-Version header (VER-10) and, on the statement resource,
X-Experience-API-Consistent-Through (QRY-39), errors included.
"""
import logging

from flask import Blueprint, current_app, g, jsonify, request
from schemas.versions import RULES
from werkzeug.exceptions import HTTPException

from ..errors import LRSError, PayloadTooLarge, StorageUnavailable
from ..timeutil import format_ms
from ..versions import negotiate

log = logging.getLogger("lrs.api")

xapi = Blueprint("xapi", __name__, url_prefix="/xapi")

# endpoints that answer without credentials or version header (ABOUT-4, VER-13)
OPEN_ENDPOINTS = {"xapi.about"}
STATEMENT_ENDPOINTS = {"xapi.statements"}

# Stored documents and attachments are served with the Content-Type their writer chose (DOC-1,
# MPR-3), text/html and image/svg+xml included. Browsers must neither guess another type nor run
# anything such content holds, on this origin or any: every xAPI response is marked inert.
INERT_CONTENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'; frame-ancestors 'none'",
}

CORS_ALLOW_HEADERS = ("Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match, "
                      "Accept-Language, X-Request-ID")
CORS_EXPOSE_HEADERS = ("ETag, Last-Modified, X-Experience-API-Version, "
                       "X-Experience-API-Consistent-Through, X-Request-ID")


def lrs():
    """The per-application services (lrs.services.Services); handlers use nothing else below them."""
    return current_app.extensions["lrs"]


@xapi.before_request
def _authenticate_and_negotiate():
    services = lrs()
    if request.method == "OPTIONS":
        return None                                   # CORS preflight (HDR-8)
    alternate_error = request.environ.get("lrs.alternate_error")
    if "lrs.alternate_too_large" in request.environ:       # its credentials are in the unread form
        raise PayloadTooLarge("the form body is larger than the %d bytes this LRS accepts (HTTP-9)"
                              % request.environ["lrs.alternate_too_large"])
    g.version = _optional_version(services)          # for the response header, even on errors
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    g.principal = services.authenticator.authenticate(request.headers.get("Authorization"))
    g.version = negotiate(request.headers.get("X-Experience-API-Version"), services.settings.xapi_versions)
    if request.environ.get("lrs.alternate") and not RULES[g.version].alternate_syntax:
        raise_bad("the alternate request syntax (?method=) does not exist in xAPI %s (ALT-11)" % g.version)
    if alternate_error:
        raise_bad(alternate_error)
    return None


def _optional_version(services):
    header = request.headers.get("X-Experience-API-Version")
    try:
        return negotiate(header, services.settings.xapi_versions) if header else None
    except LRSError:
        return None


def raise_bad(message):
    from ..errors import BadRequest
    raise BadRequest(message)


@xapi.after_request
def _xapi_headers(response):
    services = lrs()
    version = getattr(g, "version", None) or services.settings.fallback_xapi_version
    response.headers["X-Experience-API-Version"] = version
    response.headers.update(INERT_CONTENT_HEADERS)
    if request.endpoint in STATEMENT_ENDPOINTS or request.path.rstrip("/").endswith("/statements"):
        consistent_through = getattr(g, "consistent_through_ms", None)
        if consistent_through is None:
            principal = getattr(g, "principal", None)
            consistent_through = services.statements.consistent_through_ms(principal and principal.store_id)
        response.headers["X-Experience-API-Consistent-Through"] = format_ms(consistent_through)
    _cors(response, services.settings.cors_origins)
    return response


def _cors(response, origins):
    origin = request.headers.get("Origin")
    if not origin or not origins:
        return
    if "*" in origins:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    else:
        return
    response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, PUT, POST, DELETE, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = "86400"


def error_response(status, message):
    """A JSON error body; never carries keys a client could mistake for a statement (ERR-3)."""
    response = jsonify({"error": {"status": status, "message": message}})
    response.status_code = status
    return response


@xapi.errorhandler(LRSError)
def _lrs_error(error):
    response = error_response(error.status, error.message)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="xAPI"'
    if getattr(error, "allowed", None):
        response.headers["Allow"] = ", ".join(error.allowed)
    if isinstance(error, StorageUnavailable):
        from .. import observability
        observability.count_database_error()
    return response


def register_error_handlers(app):
    """Errors outside the xAPI handlers (unknown routes, 405, 413, crashes) still answer JSON."""

    @app.errorhandler(HTTPException)
    def _http_error(error):
        response = error_response(error.code, error.description or error.name)
        if error.code == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        if request.path.startswith("/xapi"):
            _xapi_headers(response)
        return response

    @app.errorhandler(LRSError)
    def _lrs_error_outside(error):
        response = _lrs_error(error)
        if request.path.startswith("/xapi"):
            _xapi_headers(response)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error):
        # Only lrs errors carry a status: the store reports an unreachable database as
        # StorageUnavailable (503). Anything else is a defect, logged with its traceback.
        log.exception("unexpected error")
        response = error_response(500, "internal error; the request was not completed")
        if request.path.startswith("/xapi"):
            _xapi_headers(response)
        return response


from . import about, statements, documents, resources  # noqa: E402,F401  (registers the routes on the blueprint)
