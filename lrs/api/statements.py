"""/xapi/statements: PUT, POST, GET, HEAD (SPUT, SPOST, QRY)."""
import sys
import threading
from contextlib import contextmanager, nullcontext

import schemas
from flask import Response, g, request, url_for

from ..errors import BadRequest
from ..timeutil import http_date
from ..xapi.formats import parse_accept_language
from ..xapi.jsonbody import dumps, parse_json
from ..xapi.query import CURSOR_PARAMETER, parse_statement_request, schema_value
from . import lrs, xapi
from ..xapi.multipart import build_multipart, media_type, parse_statement_multipart
from .params import parameters


def _read_statements_body():
    """(parsed statements, attachment data) from a JSON or multipart/mixed body (CT-1)."""
    content_type = request.headers.get("Content-Type", "")
    kind = media_type(content_type)
    body = request.get_data(cache=False)
    if kind == "application/json":
        return parse_json(body, "the statement body"), {}
    if kind == "multipart/mixed":
        settings = lrs().settings
        statements, attachments = parse_statement_multipart(body, content_type, settings.max_attachment_bytes)
        return parse_json(statements, "the statement part"), attachments
    raise BadRequest("statements must be sent as application/json or multipart/mixed, not %r (CT-1)"
                     % (content_type or "no Content-Type"))


@xapi.route("/statements", methods=["PUT"])
def put_statement():
    params = parameters()
    extra = sorted(set(params) - {"statementId"})
    if extra:
        raise BadRequest("a statement PUT takes only statementId, not %s (SPUT-8)" % ", ".join(extra))
    if "statementId" not in params:
        raise BadRequest("a statement PUT needs the statementId parameter (SPUT-2)")
    statement_id = schema_value(schemas.validate_uuid, params["statementId"], "statementId")
    statements, attachments = _read_statements_body()
    lrs().statements.store(g.principal, statements, g.version, attachments, statement_id=statement_id)
    return Response(status=204)


# A worker takes statement batches one at a time (issue 16). Parsing, validating and preparing a
# batch is Python that holds the GIL; two batches in one process take turns on one core, each
# switch costing its caches, and a POST of 100 statements cost the server 212-224 us per statement
# with four threads against 182-187 with one (bench/README.md). Batches therefore queue on this
# lock (waiting costs no CPU), while small POSTs (content tools' single statements, which group
# their commits) and every read keep running concurrently beside them.
_ONE_BATCH_AT_A_TIME = threading.Lock()
BATCH_BYTES = 32 * 1024         # ~20 statements; a body of unknown length counts as a batch
# While a batch is stored, the worker's threads take turns on the GIL every 0.5 ms instead of
# Python's 5 ms (issue 16, reads while writes go on). A query steps SQLite and decompresses row by
# row, giving the GIL up ~200 times for a page of 100; each time the batch's thread, running
# Python, kept it up to the interval. Three alternating runs with 4 writers at half the batch rate
# and 4 query clients: p95 9.9-26.6 ms against 12.9-29.3, the writers' rate unchanged (bench/README.md).
# Only during batches: with the shorter interval always, single statements cost 5-10% more CPU.
BATCH_SWITCH_INTERVAL_S = 0.0005


@contextmanager
def _storing_a_batch():
    with _ONE_BATCH_AT_A_TIME:
        usual = sys.getswitchinterval()
        sys.setswitchinterval(BATCH_SWITCH_INTERVAL_S)
        try:
            yield
        finally:
            sys.setswitchinterval(usual)


def _one_at_a_time(size):
    return _storing_a_batch() if size is None or size >= BATCH_BYTES else nullcontext()


@xapi.route("/statements", methods=["POST"])
def post_statements():
    with _one_at_a_time(request.content_length):
        return _post_statements()


def _post_statements():
    params = parameters()
    if params:
        raise BadRequest("a statement POST takes no query parameters, got %s (SPOST-6)"
                         % ", ".join(sorted(params)))
    statements, attachments = _read_statements_body()
    if statements == []:
        return Response(b"[]", status=200, mimetype="application/json")       # SPOST-5
    ids = lrs().statements.store(g.principal, statements, g.version, attachments)
    return Response(dumps(ids), status=200, mimetype="application/json")


@xapi.route("/statements", methods=["GET"], endpoint="statements")
def get_statements():
    services = lrs()
    params = parameters()
    if CURSOR_PARAMETER in params:
        if len(params) > 1:
            raise BadRequest("more cannot be combined with other parameters (QRY-51)")
        statement_request = services.cursors.decode(params[CURSOR_PARAMETER], g.principal.store_id)
    else:
        statement_request = parse_statement_request(params, g.version)
    languages = parse_accept_language(request.headers.get("Accept-Language"))
    principal = g.principal
    principal.require("statements/read", "statements/read/mine", "all/read")
    if statement_request.statement_id:
        result = services.statements.get_one(principal, statement_request, g.version, languages)
    else:
        def more_url(req, after_seq, max_seq):
            return (url_for("xapi.statements") + "?more="
                    + services.cursors.encode(req, after_seq, max_seq, principal.store_id))
        result = services.statements.query(principal, statement_request, g.version, languages, more_url)
    if statement_request.attachments:
        body, content_type = build_multipart(result.body, result.attachments)
        response = Response(body, status=200, content_type=content_type)
    else:
        response = Response(result.body, status=200, mimetype="application/json")
    response.headers["Last-Modified"] = http_date(result.last_modified_ms)     # QRY-47, QRY-48
    g.consistent_through_ms = result.consistent_through_ms
    return response
