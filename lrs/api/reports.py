"""The reports API for auditors (issue 13), under /reports/: credentials with the `reports/read`
scope (or `all`) read their own store's reports. No xAPI version header is needed."""
from flask import Blueprint, Response, g, jsonify, request

from ..errors import BadRequest
from ..reports.service import ReportService
from . import INERT_CONTENT_HEADERS, lrs

reports = Blueprint("reports", __name__, url_prefix="/reports")


@reports.before_request
def _authenticate():
    services = lrs()
    g.principal = services.authenticator.authenticate(request.headers.get("Authorization"), request.remote_addr)
    g.principal.require("reports/read")


@reports.after_request
def _inert(response):
    response.headers.update(INERT_CONTENT_HEADERS)
    return response


@reports.route("/audit/key", methods=["GET"])
def audit_key():
    """The Ed25519 public key (PEM) that verifies the checkpoints."""
    return Response(lrs().audit.public_key_pem(), mimetype="application/x-pem-file")


@reports.route("/audit/checkpoints", methods=["GET"])
def audit_checkpoints():
    """The signed checkpoints of the credential's store, oldest first (after=N: only newer ones)."""
    return jsonify(lrs().audit.checkpoints(g.principal, request.args.to_dict()))


def _report(name):
    """A report as JSON or CSV (format=csv or Accept: text/csv), streamed; lrs/reports/service.py."""
    def handler():
        params = request.args.to_dict(flat=False)
        repeated = sorted(key for key, values in params.items() if len(values) > 1)
        if repeated:
            raise BadRequest("each parameter at most once: %s is repeated" % ", ".join(repeated))
        media_type, chunks = getattr(lrs().reports, name)(g.principal, request.args.to_dict(),
                                                          request.headers.get("Accept"))
        return Response(chunks, mimetype=media_type)        # the chunks need no request context
    handler.__name__ = name
    handler.__doc__ = getattr(ReportService, name).__doc__
    return handler


for _name in ("transcript", "completions", "history"):
    reports.add_url_rule("/" + _name, _name, _report(_name), methods=["GET"])
