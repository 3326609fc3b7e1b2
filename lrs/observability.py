"""What operators see: /health, /ready, /metrics (Prometheus) and structured JSON logs.

The app factory calls `init_app(app)` once, after it has registered its blueprints and put the
storage object in `app.extensions["lrs.storage"]`. From then on every request

- gets a request id: the incoming `X-Request-ID` when it is a sane token (1 to 128 characters of
  `[A-Za-z0-9._-]`), else a new one; it is echoed in the `X-Request-ID` response header and is
  in every log line written while the request is handled;
- is counted in `lrs_http_requests_total{method,route,status}` and timed in
  `lrs_http_request_duration_seconds{method,route}`; `route` is the URL rule
  (`/xapi/statements`), never the raw path, so that the number of series stays bounded;
- writes one access line (JSON) when it ends: method, route, path without query string, status,
  duration. Probes and scrapes (/health, /ready, /metrics) are logged at DEBUG only.

Logs never carry the Authorization header, secrets, query strings (agent identities travel in
them) or bodies; as a second line of defence the formatter masks anything that looks like HTTP
credentials or a password inside a URL.

Metrics are multiprocess-aware: when PROMETHEUS_MULTIPROC_DIR is set (deploy/gunicorn.conf.py sets
it before any worker starts), every worker writes its samples there and /metrics sums them all.
prometheus_client is imported lazily, on the first metric, because it picks its storage mode when
it is imported: the gunicorn master imports this module for its log formatter before it has set
the directory.

The service layer calls `count_statements_stored(n)`, `count_validation_failure()` and
`count_database_error()`; they never raise.
"""
import json
import logging
import os
import re
import sys
import threading
import time
import uuid
from datetime import datetime, timezone

from flask import Response, current_app, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED_ROUTE = "<unmatched>"                  # 404/405: no URL rule, so not the raw path
QUIET_ROUTES = frozenset(("/health", "/ready", "/metrics"))
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}\Z")
_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"))
_SECRETS = (
    (re.compile(r"(?i)\b(basic|bearer|digest)\s+[A-Za-z0-9+/=._~:-]{6,}"), r"\1 [redacted]"),
    (re.compile(r"(?i)(authorization\W{0,3}\s*[:=]\s*\W{0,2})[^\s'\",}]+"), r"\1[redacted]"),
    (re.compile(r"(://)[^/@\s:]+:[^/@\s]+@"), r"\1[redacted]@"),
)

access_log = logging.getLogger("lrs.access")
log = logging.getLogger("lrs.observability")


# --------------------------------------------------------------------------------------- metrics

class _Metrics:
    def __init__(self):
        from prometheus_client import Counter, Histogram, disable_created_metrics
        disable_created_metrics()                      # no *_created series: half the series
        self.requests = Counter("lrs_http_requests", "HTTP requests answered, by URL rule and status",
                                ["method", "route", "status"])
        self.duration = Histogram("lrs_http_request_duration_seconds", "Time to answer an HTTP request",
                                  ["method", "route"], buckets=DURATION_BUCKETS)
        self.statements_stored = Counter("lrs_statements_stored", "Statements written to the store")
        self.validation_failures = Counter("lrs_validation_failures",
                                           "Statements or requests refused as invalid xAPI")
        self.database_errors = Counter("lrs_database_errors",
                                       "Database operations that failed (unreachable, timeout, error)")


_metrics_instance = None
_metrics_lock = threading.Lock()


def _metrics():
    global _metrics_instance
    if _metrics_instance is None:
        with _metrics_lock:
            if _metrics_instance is None:
                _metrics_instance = _Metrics()
    return _metrics_instance


def count_statements_stored(n=1):
    """The service layer stored n statements."""
    try:
        if n > 0:
            _metrics().statements_stored.inc(n)
    except Exception:                                  # metrics must never fail a request
        log.debug("could not count stored statements", exc_info=True)


def count_validation_failure():
    """The service layer refused a statement (or batch) as invalid."""
    try:
        _metrics().validation_failures.inc()
    except Exception:
        log.debug("could not count a validation failure", exc_info=True)


def count_database_error():
    """A database operation failed."""
    try:
        _metrics().database_errors.inc()
    except Exception:
        log.debug("could not count a database error", exc_info=True)


def metrics_text():
    """(body, content type) of the Prometheus exposition, all worker processes summed."""
    from prometheus_client import REGISTRY, CollectorRegistry, exposition, generate_latest
    # the classic text format every Prometheus (2.x too) and agent reads
    content_type = getattr(exposition, "CONTENT_TYPE_PLAIN_0_0_4", exposition.CONTENT_TYPE_LATEST)
    _metrics()                                         # unlabelled counters show 0 from the start
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), content_type


# --------------------------------------------------------------------------------------- logging

def redact(text):
    """text with anything that looks like credentials masked."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the request's fields."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc)
                            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        fields = getattr(record, "lrs", None)
        if fields:
            entry.update(fields)
        elif has_request_context():
            entry["request_id"] = g.get("request_id")
            entry["method"] = request.method
            entry["path"] = request.path
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=True, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def _level(level):
    if isinstance(level, int):
        return level
    value = logging.getLevelName(str(level or "INFO").upper())
    return value if isinstance(value, int) else logging.INFO


def configure_logging(level="INFO", stream=None):
    """JSON lines on standard error (or `stream`) from every logger, at `level` and above.

    Idempotent: calling it again changes the level (and the stream when given) of the one JSON
    handler on the root logger instead of adding another. Other handlers are left alone.
    """
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "lrs_json", False)), None)
    if handler is not None and stream is not None and isinstance(handler, _StderrHandler):
        root.removeHandler(handler)
        handler = None
    if handler is None:
        handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
        handler.lrs_json = True
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    elif stream is not None:
        handler.setStream(stream)
    root.setLevel(_level(level))
    return handler


# ----------------------------------------------------------------------------- request tracking

def request_id_from(header):
    """The incoming request id when it is a sane token, else a new one."""
    if header and _REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


def _route():
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED_ROUTE


def _begin_request():
    g.lrs_started = time.perf_counter()
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))


def _end_request(response):
    if "request_id" not in g:
        g.request_id = request_id_from(None)
    response.headers[REQUEST_ID_HEADER] = g.request_id
    _record(response.status_code)
    return response


def _teardown_request(error):
    if "lrs_recorded" not in g:                       # an after_request function failed
        _record(500)


def _record(status):
    if "lrs_recorded" in g:
        return
    g.lrs_recorded = True
    started = g.get("lrs_started")
    duration = time.perf_counter() - started if started is not None else 0.0
    method = request.method if request.method in _METHODS else "OTHER"
    route = _route()
    try:
        metrics = _metrics()
        metrics.requests.labels(method, route, str(status)).inc()
        metrics.duration.labels(method, route).observe(duration)
    except Exception:
        log.warning("could not record request metrics", exc_info=True)
    level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
    if access_log.isEnabledFor(level):
        access_log.log(level, "%s %s %d", method, route, status, extra={"lrs": {
            "request_id": g.get("request_id"), "method": method, "route": route,
            "path": request.path, "status": status, "duration_ms": round(duration * 1000, 3)}})


# ---------------------------------------------------------------------------------- endpoints

def _json(body, status):
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def health():
    """The process is alive and answers: no database access, no credentials."""
    return _json({"status": "ok"}, 200)


def ready():
    """The database answers: load balancers send traffic only while this is 200."""
    storage = current_app.extensions.get("lrs.storage")
    if storage is None:
        return _json({"status": "unavailable", "reason": "no storage configured"}, 503)
    try:
        storage.ping()
    except Exception as error:
        count_database_error()
        log.warning("not ready: the database does not answer (%s: %s)",
                    error.__class__.__name__, str(error)[:300])
        return _json({"status": "unavailable", "reason": "database unreachable"}, 503)
    return _json({"status": "ok"}, 200)


def metrics():
    body, content_type = metrics_text()
    body += _forwarding_metrics()
    response = Response(body, status=200, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


def _forwarding_metrics():
    """lrs_forward_* read from the database now (lrs/federation/metrics.py), when the app has rules."""
    forwarding = getattr(current_app.extensions.get("lrs"), "forwarding", None)
    if forwarding is None:
        return b""
    from .federation.metrics import forwarding_metrics_text
    return forwarding_metrics_text(forwarding)


def _log_level_for(app):
    if app.config.get("LRS_LOG_LEVEL"):
        return app.config["LRS_LOG_LEVEL"]
    settings = getattr(app.extensions.get("lrs"), "settings", None)
    return getattr(settings, "log_level", None) or os.environ.get("LRS_LOG_LEVEL") or "INFO"


def init_app(app):
    """Install request ids, metrics, access logs, /health, /ready and /metrics on the app.

    Reads app.extensions["lrs.storage"] (at request time, for /ready) and the log level from
    app.config["LRS_LOG_LEVEL"], else app.extensions["lrs"].settings.log_level, else the
    LRS_LOG_LEVEL environment variable, else INFO. app.config["LRS_CONFIGURE_LOGGING"] = False
    leaves logging configuration to the caller.
    """
    if "lrs.observability" in app.extensions:
        return
    app.extensions["lrs.observability"] = True
    if app.config.get("LRS_CONFIGURE_LOGGING", True):
        configure_logging(_log_level_for(app))
    # first before_request function and last after_request function of the application, so
    # that the id exists for every other hook and the status recorded is the final one
    app.before_request_funcs.setdefault(None, []).insert(0, _begin_request)
    app.after_request_funcs.setdefault(None, []).insert(0, _end_request)
    app.teardown_request(_teardown_request)
    app.add_url_rule("/health", "observability.health", health, methods=["GET"])
    app.add_url_rule("/ready", "observability.ready", ready, methods=["GET"])
    app.add_url_rule("/metrics", "observability.metrics", metrics, methods=["GET"])
