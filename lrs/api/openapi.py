"""/openapi.json and /docs: the OpenAPI 3.1 description of every endpoint, and a page to read it.

The document is generated, never kept by hand: the data model comes from the marshmallow schemas
in ``schemas/`` (apispec and its marshmallow plugin; the xAPI fields of ``schemas/fields.py`` are
mapped below to JSON Schema, their formats taken from the very regular expressions that validate),
the query parameters of the statement resource from ``lrs.xapi.query``, the scopes from
``lrs.auth.SCOPES`` and the versions from the settings. What is written here by hand is prose and
the list of operations; tests/api/test_openapi.py fails when a route of the application is not
described (or a described one does not exist), and validates the document.

/docs is Swagger UI, from the ``flask-swagger-ui`` package (its ``dist`` directory of static
files, served from where the package is installed; nothing of it is copied into this repository).
"""
import copy
import json
import os
import re

import flask_swagger_ui
import schemas
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Response, abort, current_app, send_from_directory
from marshmallow import Schema, fields
from schemas import fields as xfields
from schemas import formats as xformats
from schemas.versions import SUPPORTED_VERSIONS, XAPI_1_0_3, XAPI_2_0_0

from ..auth import SCOPES
from ..xapi.agents import IFI_PROPERTIES
from ..xapi.query import ALL_PARAMETERS, CURSOR_PARAMETER
from ..xapi.signatures import SIGNATURE_USAGE_TYPE
from .openapi_examples import EXAMPLES

OPENAPI_VERSION = "3.1.0"
SWAGGER_UI_DIR = os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist")
# the files of the Swagger UI distribution the page loads (anything else under /docs/ is a 404)
SWAGGER_UI_ASSETS = {
    "swagger-ui.css": "text/css",
    "index.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}
PAGE_SCRIPT = "init.js"          # the page's own start-up script (below), not part of the package

openapi = Blueprint("openapi", __name__)


# --- xAPI fields as JSON Schema --------------------------------------------------------------

def _anchored(regex):
    return "^(?:%s)$" % regex.pattern


_STRING_FORMATS = {
    # field class: (format, pattern or None, description)
    xfields.MailtoIRI: ("iri", _anchored(xformats._MAILTO), "a mailto: IRI of an e-mail address (IFI-1)"),
    xfields.IRL: ("iri", None, "an absolute IRL, resolvable (FMT-2)"),
    xfields.IRI: ("iri", None, "an absolute IRI with a scheme (FMT-1)"),
    xfields.UUID: ("uuid", _anchored(xformats._UUID), "a UUID, 8-4-4-4-12 hexadecimal (FMT-4)"),
    xfields.Sha1Hex: (None, _anchored(xformats._SHA1), "SHA-1 hex digest of a mailto IRI (IFI-2)"),
    xfields.Sha2Hex: (None, "^(?:%s)$" % "|".join("[0-9A-Fa-f]{%d}" % n for n in sorted(xformats.SHA2_LENGTHS)),
                      "SHA-224/256/384/512 hex digest of the attachment data (ATT-7)"),
    xfields.MediaType: (None, None, "an Internet media type such as application/pdf (ATT-5)"),
    xfields.LanguageTag: (None, None, "an RFC 5646 language tag such as en-US (LANG-2)"),
    xfields.Duration: ("duration", _anchored(xformats._DURATION),
                       "an ISO 8601 duration such as PT1H30M5.25S; precision beyond 0.01 s is not "
                       "kept in comparisons (DUR-1, DUR-4)"),
    xfields.Timestamp: (None, None, "an ISO 8601 timestamp with seconds, e.g. 2026-03-02T09:15:42.120Z; "
                                    "offsets +hh:mm, +hhmm, +hh; without a zone it is UTC. Under xAPI 2.0 "
                                    "also RFC 3339 forms (lower-case t/z, a space separator). Stored in UTC "
                                    "with milliseconds (TIME-1..TIME-8)"),
}


def _xapi_field(self, field, ret=None, **kwargs):
    """An apispec attribute function: JSON Schema of the xAPI field classes of schemas.fields."""
    if isinstance(field, xfields.String):
        return {"type": "string"}
    if isinstance(field, xfields.Boolean):
        return {"type": "boolean"}
    if isinstance(field, xfields.Number):
        return {"type": "number", "description": "a finite JSON number, kept as sent (GEN-13)"}
    if isinstance(field, xfields.Constant):
        return {"type": "string", "const": field.value, "enum": [field.value]}
    if isinstance(field, xfields.Choice):
        return {"type": "string", "enum": sorted(field.choices)}
    if isinstance(field, xfields.NonNegativeInteger):
        return {"type": "integer", "minimum": 0}
    if isinstance(field, xfields.StatementVersion):
        return {"type": "string", "pattern": _anchored(field.accepted),
                "description": "the xAPI version the statement conforms to: %s (SVER-1)" % field.accepted_text}
    for cls, (fmt, pattern, description) in _STRING_FORMATS.items():
        if isinstance(field, cls):
            out = {"type": "string", "description": description}
            if fmt:
                out["format"] = fmt
            if pattern:
                out["pattern"] = pattern
            return out
    if isinstance(field, xfields.LanguageMap):
        return {"type": "object", "additionalProperties": {"type": "string"},
                "description": "a language map: RFC 5646 language tag -> text (LANG-1..LANG-4)"}
    if isinstance(field, xfields.Extensions):
        return {"type": "object", "additionalProperties": True, "propertyNames": {"format": "iri"},
                "description": "extensions: absolute IRI -> any JSON value (EXT-1..EXT-5)"}
    if isinstance(field, xfields.ByObjectType):
        choices = []
        for schema in dict.fromkeys(field.types.values()):
            choices.append(self.resolve_nested_schema(schema))
        return {"anyOf": choices, "description": "chosen by objectType: %s"
                % ", ".join(name or "(none)" for name in field.types)}
    if isinstance(field, xfields.ContextActivityList):
        activity = self.resolve_nested_schema(field.activity_schema)
        return {"anyOf": [activity, {"type": "array", "items": activity}],
                "description": "one Activity or an array of them; always stored and returned as an array (CA-5)"}
    if isinstance(field, xfields.ListOf) and field.min_length:
        return {"minItems": field.min_length}
    return {}


def _resolve_name(schema):
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__
    return name[:-len("Schema")] if name.endswith("Schema") else name


# --- response shapes that are not xAPI objects ------------------------------------------------

class ErrorDetailSchema(Schema):
    status = fields.Integer(required=True, metadata={"description": "the HTTP status code"})
    message = fields.String(required=True, metadata={"description": "what is wrong, with the requirement id"})


class ErrorSchema(Schema):
    """Every 4xx and 5xx answer carries this body (ERR-3: nothing a client could read as a statement)."""
    error = fields.Nested(ErrorDetailSchema, required=True)


class AboutSchema(Schema):
    version = fields.List(fields.String(), required=True, metadata={"description": "xAPI versions served (ABOUT-2)"})
    extensions = fields.Dict(required=True)


class PersonSchema(Schema):
    objectType = fields.String(required=True, metadata={"enum": ["Person"]})
    name = fields.List(fields.String())
    mbox = fields.List(fields.String())
    mbox_sha1sum = fields.List(fields.String())
    openid = fields.List(fields.String())
    account = fields.List(fields.Nested(schemas.AccountSchema))


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "unavailable"]})
    reason = fields.String()


# --- the document --------------------------------------------------------------------------

def _ref(name):
    return {"$ref": "#/components/schemas/%s" % name}


def _header(description, schema=None):
    return {"description": description, "schema": schema or {"type": "string"}}


XAPI_HEADERS = {
    "X-Experience-API-Version": _header("the xAPI version the request was answered under (VER-10, VER-11)"),
    "X-Request-ID": _header("the request id: the one sent when it was a sane token, else a new one"),
}
STATEMENT_HEADERS = dict(XAPI_HEADERS, **{
    "X-Experience-API-Consistent-Through": _header(
        "every statement stored before this time is in the results of queries (QRY-39)",
        {"type": "string", "format": "date-time"})})
PLAIN_HEADERS = {"X-Request-ID": XAPI_HEADERS["X-Request-ID"]}


def _error(description, headers):
    return {"description": description, "headers": headers,
            "content": {"application/json": {"schema": _ref("Error")}}}


def _errors(headers, *statuses):
    texts = {400: "invalid request: the message names the property or parameter and the requirement id",
             401: "missing or wrong credentials", 403: "the credential lacks the scope",
             404: "not found", 409: "conflict: a statement with this id and other content, or a document "
                                    "changed meanwhile", 412: "a precondition (If-Match / If-None-Match) failed",
             413: "the body, document or attachment is larger than this LRS accepts",
             429: "too many failed authentications from this key or address; retry after Retry-After seconds",
             503: "the database does not answer; retry later"}
    return {str(status): _error(texts[status], headers) for status in statuses}


def _security(*scopes):
    """Alternative security requirements: any one of the scopes (or `all`) suffices (SCOPE-14)."""
    return [{"basicAuth": [scope]} for scope in scopes + ("all",)]


def _query(name, description, required=False, schema=None, json_schema=None):
    parameter = {"name": name, "in": "query", "required": required, "description": description}
    if json_schema is not None:
        parameter["content"] = {"application/json": {"schema": json_schema}}
    else:
        parameter["schema"] = schema or {"type": "string"}
    return parameter


VERSION_PARAMETER = {"name": "X-Experience-API-Version", "in": "header", "required": True,
                     "description": "the xAPI version of the request (VER-1..VER-8)"}
AGENT_PARAMETER_SCHEMA = {"anyOf": [_ref("Agent"), _ref("Group")]}


def _statement_parameters():
    """The query parameters of GET /xapi/statements (QRY-4..QRY-12), named by lrs.xapi.query."""
    uuid = {"type": "string", "format": "uuid", "pattern": _anchored(xformats._UUID)}
    boolean = {"type": "string", "enum": ["true", "false"]}
    iri = {"type": "string", "format": "iri"}
    described = {
        "statementId": ("the one statement with this id (QRY-2)", uuid),
        "voidedStatementId": ("the one voided statement with this id (QRY-3)", uuid),
        "agent": ("statements whose actor or object is this Agent or identified Group (QRY-11)", None),
        "verb": ("statements with this verb id", iri),
        "activity": ("statements whose object is this Activity", iri),
        "registration": ("statements of this registration", uuid),
        "related_activities": ("also match the activity anywhere in the statement (QRY-15)", boolean),
        "related_agents": ("also match the agent anywhere in the statement (QRY-14)", boolean),
        "since": ("statements stored after this timestamp", {"type": "string"}),
        "until": ("statements stored at or before this timestamp", {"type": "string"}),
        "limit": ("most statements in the page; 0 means the server's maximum (QRY-8)",
                  {"type": "integer", "minimum": 0}),
        "format": ("ids, exact or canonical (QRY-9, QRY-31..QRY-35)",
                   {"type": "string", "enum": ["ids", "exact", "canonical"]}),
        "attachments": ("true: a multipart/mixed answer with the attachment data (QRY-36)", boolean),
        "ascending": ("oldest first (QRY-12)", boolean),
        CURSOR_PARAMETER: ("the cursor of the next page, from a StatementResult's `more` (QRY-41); "
                           "alone, with no other parameter", {"type": "string"}),
    }
    missing = (ALL_PARAMETERS | {CURSOR_PARAMETER}) - set(described)
    if missing:                                 # a parameter added to query.py must be described here
        raise RuntimeError("OpenAPI: statement parameter(s) %s not described" % ", ".join(sorted(missing)))
    out = []
    for name in sorted(described):
        description, schema = described[name]
        if name == "agent":
            out.append(_query(name, description, json_schema=AGENT_PARAMETER_SCHEMA))
        else:
            out.append(_query(name, description, schema=schema))
    return out


def _statement_examples(many=False):
    return {name: {"summary": summary, "value": [statement] if many else statement}
            for name, (summary, statement) in EXAMPLES.items()}


def _multipart_body():
    return {
        "schema": {"type": "object", "description": (
            "RFC 2046 multipart/mixed: the first part application/json holding the statement(s), then "
            "one part per attachment without fileUrl, each with X-Experience-API-Hash (the sha2 of its "
            "data) and Content-Transfer-Encoding: binary (MP-1..MP-21). Signed statements carry a "
            "JWS attachment with usageType %s (SIG-1..SIG-11)" % SIGNATURE_USAGE_TYPE)}}


def _statement_body(many):
    one = {"anyOf": [_ref("Statement103"), _ref("Statement20")]}
    schema = {"anyOf": [one, {"type": "array", "items": one}]} if many else one
    return {"required": True, "description": (
        "one statement (PUT) or one or an array of statements (POST), validated under the version of "
        "the request's X-Experience-API-Version: Statement103 for 1.0.x, Statement20 for 2.0.x"),
        "content": {"application/json": {"schema": schema, "examples": _statement_examples(many)},
                    "multipart/mixed": _multipart_body()}}


def _document_operations(kind, id_name, key_parameters, read_scope, write_scope, since):
    """GET/HEAD/PUT/POST/DELETE of a State or Profile resource (STATE, APROF, GPROF, DOC)."""
    document_id = _query(id_name, "the document id; without it GET lists the ids")
    id_required = dict(document_id, description="the document id", required=True)
    etag = dict(XAPI_HEADERS, ETag=_header("quoted SHA-1 of the document (CONC-1..CONC-3)"),
                **{"Last-Modified": _header("when the document last changed (DOC-4)")})
    conditions = [
        {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
         "description": "write only if the document's ETag is one of these (CONC-6)"},
        {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
         "description": "`*`: write only if no document exists (CONC-7)"}]
    since_parameter = [_query("since", "list only ids of documents changed after this timestamp")] if since else []
    read = {
        "tags": [kind], "security": _security(*read_scope),
        "parameters": key_parameters + [document_id] + since_parameter,
        "responses": {
            "200": {"description": "the document (its bytes and Content-Type as stored), or, without "
                                   "%s, a JSON array of the ids" % id_name,
                    "headers": etag,
                    "content": {"application/json": {"schema": {}}, "application/octet-stream": {"schema": {}},
                                "*/*": {"schema": {}}}},
            **_errors(XAPI_HEADERS, 400, 401, 403, 404, 503)},
    }
    write_responses = {"204": {"description": "stored", "headers": XAPI_HEADERS},
                       **_errors(XAPI_HEADERS, 400, 401, 403, 409, 412, 413, 503)}
    def body(json_schema, description):
        return {"required": True, "description": description,
                "content": {"application/json": {"schema": json_schema},
                            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
    put_body = body({}, "any document, kept as sent with its Content-Type (DOC-1)")
    post_body = body({"type": "object"}, "JSON: an object, merged one level deep into the stored JSON object "
                                         "(MERGE-1..MERGE-8); other content only when no document exists (MERGE-3)")
    delete_id = document_id if kind == "State" else id_required
    article = "an" if kind[0] in "AEIOU" else "a"
    return {
        "get": dict(read, summary="%s document, or the list of ids" % kind),
        "head": dict(read, summary="as GET, without a body (HEAD-1)"),
        "put": {"tags": [kind], "summary": "store or replace %s %s document" % (article, kind),
                "security": _security(*write_scope),
                "parameters": key_parameters + [id_required] + conditions,
                "requestBody": put_body, "responses": write_responses},
        "post": {"tags": [kind], "summary": "store %s %s document, or merge a JSON object into it" % (article, kind),
                 "security": _security(*write_scope),
                 "parameters": key_parameters + [id_required] + conditions,
                 "requestBody": post_body, "responses": write_responses},
        "delete": {"tags": [kind], "summary": ("delete one %s document, or all of the agent's for the "
                                               "activity without stateId (STATE-13)" % kind
                                               if kind == "State" else "delete %s %s document" % (article, kind)),
                   "security": _security(*write_scope),
                   "parameters": key_parameters + [delete_id] + conditions,
                   "responses": {"204": {"description": "deleted (or there was none)", "headers": XAPI_HEADERS},
                                 **_errors(XAPI_HEADERS, 400, 401, 403, 412, 503)}},
    }


def _options(summary):
    return {"summary": summary, "security": [],
            "responses": {"200": {"description": "CORS preflight answer (Access-Control-Allow-* headers)",
                                  "headers": XAPI_HEADERS}}}


def _paths(versions):
    activity_id = _query("activityId", "the Activity id (an IRI)", required=True, schema={"type": "string",
                                                                                           "format": "iri"})
    agent = _query("agent", "the Agent (JSON)", required=True, json_schema=_ref("Agent"))
    agent_or_group = _query("agent", "the Agent or identified Group (JSON)", required=True,
                            json_schema=AGENT_PARAMETER_SCHEMA)
    registration = _query("registration", "the registration (UUID)",
                          schema={"type": "string", "format": "uuid", "pattern": _anchored(xformats._UUID)})
    statement_ids = {"type": "array", "items": {"type": "string", "format": "uuid"}}
    result = {"anyOf": [_ref("StatementResult"), _ref("Statement103"), _ref("Statement20")]}
    read_scopes = ("statements/read", "statements/read/mine", "all/read")
    any_read = ("all/read", "statements/read", "statements/read/mine", "state", "profile", "define")
    statement_get = {
        "tags": ["Statements"], "security": _security(*read_scopes),
        "parameters": _statement_parameters() + [{
            "name": "Accept-Language", "in": "header", "required": False, "schema": {"type": "string"},
            "description": "languages for format=canonical (QRY-34)"}],
        "responses": {
            "200": {"description": "one Statement (statementId, voidedStatementId) or a StatementResult",
                    "headers": dict(STATEMENT_HEADERS, **{"Last-Modified": _header(
                        "the newest stored time of the statements returned (QRY-47)")}),
                    "content": {"application/json": {"schema": result},
                                "multipart/mixed": {"schema": {"type": "string", "description": (
                                    "attachments=true: the JSON first, then each attachment's data "
                                    "(MPR-1..MPR-8)")}}}},
            **_errors(STATEMENT_HEADERS, 400, 401, 403, 404, 503)}}
    paths = {
        "/xapi/statements": {
            "put": {"tags": ["Statements"], "summary": "store one statement under the given id (SPUT)",
                    "security": _security("statements/write"),
                    "parameters": [_query("statementId", "the id of the statement", required=True,
                                          schema={"type": "string", "format": "uuid",
                                                  "pattern": _anchored(xformats._UUID)})],
                    "requestBody": _statement_body(False),
                    "responses": {"204": {"description": "stored, or the same statement was stored already",
                                          "headers": STATEMENT_HEADERS},
                                  **_errors(STATEMENT_HEADERS, 400, 401, 403, 409, 413, 503)}},
            "post": {"tags": ["Statements"], "summary": "store statements (SPOST)",
                     "security": _security("statements/write"),
                     "requestBody": _statement_body(True),
                     "responses": {"200": {"description": "the ids of the statements, in the order sent",
                                           "headers": STATEMENT_HEADERS,
                                           "content": {"application/json": {"schema": statement_ids}}},
                                   **_errors(STATEMENT_HEADERS, 400, 401, 403, 409, 413, 503)}},
            "get": dict(statement_get, summary="one statement, or a page of statements matching the filters"),
            "head": dict(statement_get, summary="as GET, without a body (HEAD-1)"),
            "options": _options("CORS preflight"),
        },
        "/xapi/activities/state": _document_operations(
            "State", "stateId", [activity_id, agent_or_group, registration], ("state", "all/read"), ("state",),
            since=True),
        "/xapi/activities/profile": _document_operations(
            "Activity Profile", "profileId", [activity_id], ("profile", "all/read"), ("profile",), since=True),
        "/xapi/agents/profile": _document_operations(
            "Agent Profile", "profileId", [agent], ("profile", "all/read"), ("profile",), since=True),
    }
    for path in ("/xapi/activities/state", "/xapi/activities/profile", "/xapi/agents/profile"):
        paths[path]["options"] = _options("CORS preflight")
    activities_get = {
        "tags": ["Activities"], "security": _security(*any_read),
        "parameters": [activity_id],
        "responses": {"200": {"description": "the Activity with its canonical definition (ACTS-1..ACTS-5)",
                              "headers": dict(XAPI_HEADERS, ETag=_header("quoted SHA-1 of the body")),
                              "content": {"application/json": {"schema": _ref("Activity")}}},
                      **_errors(XAPI_HEADERS, 400, 401, 403, 503)}}
    agents_get = {
        "tags": ["Agents"], "security": _security(*any_read),
        "parameters": [agent],
        "responses": {"200": {"description": "the Person object of the Agent (AGENTS-1..AGENTS-6)",
                              "headers": dict(XAPI_HEADERS, ETag=_header("quoted SHA-1 of the body")),
                              "content": {"application/json": {"schema": _ref("Person")}}},
                      **_errors(XAPI_HEADERS, 400, 401, 403, 503)}}
    about_get = {
        "tags": ["About"], "security": [],
        "responses": {"200": {"description": "the versions served (ABOUT-1..ABOUT-6); no credentials needed",
                              "headers": XAPI_HEADERS,
                              "content": {"application/json": {"schema": _ref("About"), "example": {
                                  "version": list(versions), "extensions": {}}}}}}}
    paths["/xapi/activities"] = {"get": dict(activities_get, summary="an Activity"),
                                 "head": dict(activities_get, summary="as GET, without a body"),
                                 "options": _options("CORS preflight")}
    paths["/xapi/agents"] = {"get": dict(agents_get, summary="the Person of an Agent"),
                             "head": dict(agents_get, summary="as GET, without a body"),
                             "options": _options("CORS preflight")}
    paths["/xapi/about"] = {"get": dict(about_get, summary="about this LRS"),
                            "head": dict(about_get, summary="as GET, without a body"),
                            "options": _options("CORS preflight")}
    paths.update(_operations_paths())
    paths.update(_reports_paths())
    paths.update(_admin_paths())
    paths.update(_console_paths())
    return paths


def _plain(summary, description, content, tag="Operations", extra=None):
    get = {"tags": [tag], "summary": summary, "security": [],
           "responses": dict({"200": {"description": description, "headers": PLAIN_HEADERS, "content": content}},
                             **(extra or {}))}
    return {"get": get, "head": dict(get, summary=summary + " (headers only)")}


def _operations_paths():
    health = {"application/json": {"schema": _ref("Health")}}
    return {
        "/health": _plain("liveness", "the process answers", health),
        "/ready": _plain("readiness", "the database answers", health, extra={
            "503": {"description": "the database does not answer", "headers": PLAIN_HEADERS,
                    "content": health}}),
        "/metrics": _plain("Prometheus metrics", "Prometheus text exposition, summed over all workers",
                           {"text/plain": {"schema": {"type": "string"}}}),
        "/openapi.json": _plain("this document", "the OpenAPI document",
                                {"application/json": {"schema": {"type": "object"}}}, tag="Documentation"),
        "/docs": _plain("the API reference page", "Swagger UI showing this document",
                        {"text/html": {"schema": {"type": "string"}}}, tag="Documentation"),
        "/docs/{asset}": dict(_plain(
            "a static file of the reference page", "a Swagger UI file (from the flask-swagger-ui package)",
            {"*/*": {"schema": {"type": "string", "format": "binary"}}}, tag="Documentation",
            extra={"404": _error("no such file", PLAIN_HEADERS)}),
            parameters=[{"name": "asset", "in": "path", "required": True,
                         "schema": {"type": "string", "enum": sorted(SWAGGER_UI_ASSETS) + [PAGE_SCRIPT]}}]),
    }


def _reports_paths():
    """The auditors' reports (issue 13): the `reports/read` scope, no xAPI version header."""
    def get(summary, description, content, parameters=(), not_found=False):
        statuses = (400, 401, 403) + ((404,) if not_found else ()) + (429, 503)
        operation = {"tags": ["Reports"], "summary": summary, "security": _security("reports/read"),
                     "parameters": list(parameters),
                     "responses": {"200": {"description": description, "headers": PLAIN_HEADERS,
                                           "content": content},
                                   **_errors(PLAIN_HEADERS, *statuses)}}
        return {"get": operation, "head": dict(operation, summary=summary + " (headers only)")}
    agent = _query("agent", "the learner (an xAPI Agent, JSON); or give person", json_schema=_ref("Agent"))
    person = _query("person", "the learner by every identifier of a Person object as GET /xapi/agents answers "
                              "(JSON, lists of mbox, mbox_sha1sum, openid, account); or give agent",
                    json_schema=_ref("Person"))
    report_format = _query("format", "json (default) or csv; `Accept: text/csv` also selects CSV",
                           schema={"type": "string", "enum": ["json", "csv"]})
    stores = _query("stores", "store names, comma-separated (default: the credential's store); other stores "
                              "than its own need a grant (403 otherwise)")
    timestamp = {"type": "string", "format": "date-time"}
    as_of = _query("as_of", "what the record showed at this time: statements stored then, voidings since ignored",
                   schema=timestamp)
    activity = _query("activity", "the activity's IRI", required=True, schema={"type": "string", "format": "iri"})
    children = _query("include_children", "also every activity whose context names it as parent or grouping",
                      schema={"type": "string", "enum": ["true", "false"]})

    def period(required):
        return [_query("since", "statements timestamped after this time", required=required, schema=timestamp),
                _query("until", "statements timestamped at or before this time", required=required, schema=timestamp)]
    table = {"application/json": {"schema": {"type": "object"}}, "text/csv": {"schema": {"type": "string"}}}
    after = _query("after", "only checkpoints after this chain entry", schema={"type": "integer", "minimum": 0})
    return {
        "/reports/transcript": get(
            "one learner's transcript: a line per activity attempted, with the statement ids that prove it",
            "the transcript", table, [agent, person, as_of, stores, report_format]),
        "/reports/completions": get(
            "one activity (and its children): who completed, passed, failed, is in progress, with dates and "
            "scores; then (JSON) the completion rate, score distribution and median time to complete",
            "a line per learner and activity, then the summary", table,
            [activity, children] + period(False) + [stores, report_format]),
        "/reports/history": get(
            "completions, passes and failures in a period, by day, week or month, per store or per activity",
            "a row per period (and store or activity)", table,
            period(True) + [_query("by", "the bucket", schema={"type": "string", "enum": ["day", "week", "month"]}),
                            dict(activity, required=False), children,
                            _query("per", "rows per store (default) or per activity",
                                   schema={"type": "string", "enum": ["store", "activity"]}),
                            stores, report_format]),
        "/reports/audit/key": get(
            "the Ed25519 public key that verifies the signed checkpoints", "the public key (PEM)",
            {"application/x-pem-file": {"schema": {"type": "string"}}}, not_found=True),
        "/reports/audit/checkpoints": get(
            "the signed checkpoints of the hash chain of the credential's store, oldest first",
            "the checkpoints, as `python -m lrs audit verify --against` reads them",
            {"application/json": {"schema": {"type": "object"}}}, [after], not_found=True),
    }


def _path_parameters(path):
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{([^{}]+)}", path)]


# (path, method, summary) of the admin HTTP API (issue 14): JSON in and out, the `admin` scope
ADMIN_OPERATIONS = [
    ("/admin/api/scopes", "get", "the scopes a credential can have, with what each allows"),
    ("/admin/api/stores", "get", "every store with its usage (statements, documents, credentials)"),
    ("/admin/api/stores", "post", "create a store: {\"name\": ...}"),
    ("/admin/api/stores/{name}", "get", "one store with its usage"),
    ("/admin/api/stores/{name}", "patch", "rename a store: {\"name\": ...}"),
    ("/admin/api/stores/{name}/statements", "get", "look up a store's statements with the xAPI query filters"),
    ("/admin/api/credentials", "get", "every credential (?store= one store's); never a secret"),
    ("/admin/api/credentials", "post", "create a credential; the answer holds its secret, shown only now"),
    ("/admin/api/credentials/{key}", "get", "one credential: scopes, name, expiry, last use"),
    ("/admin/api/credentials/{key}", "patch", "change a credential's scopes, name or expiry"),
    ("/admin/api/credentials/{key}/revoke", "post", "revoke a credential"),
    ("/admin/api/credentials/{key}/rotate", "post", "give a credential a new secret, shown only now"),
    ("/admin/api/forwarding", "get", "forwarding rules with their outbox state (?store= one store's)"),
    ("/admin/api/forwarding", "post", "add a forwarding rule"),
    ("/admin/api/forwarding/{store}/{rule}/pause", "post", "pause a forwarding rule"),
    ("/admin/api/forwarding/{store}/{rule}/resume", "post", "resume a forwarding rule"),
    ("/admin/api/forwarding/{store}/{rule}", "delete", "remove a forwarding rule and its outbox"),
    ("/admin/api/forwarding/{store}/{rule}/dead-letters", "get", "the dead letters of a rule, with the answers"),
    ("/admin/api/forwarding/{store}/{rule}/dead-letters/retry", "post", "deliver dead letters again"),
    ("/admin/api/stores/{name}/completion-rule", "get", "what counts as completion in the store's reports"),
    ("/admin/api/stores/{name}/completion-rule", "put",
     "set the completion rule: completion_verbs, success_verbs, failure_verbs, result_completion, result_success "
     "(fields not given keep the default)"),
    ("/admin/api/stores/{name}/completion-rule", "delete", "back to the default completion rule"),
    ("/admin/api/credentials/{key}/report-stores", "get", "the other stores whose reports a credential may read"),
    ("/admin/api/credentials/{key}/report-stores", "put",
     "let a credential read the reports of exactly these other stores: {\"stores\": [names]}"),
    ("/admin/api/stores/{name}/erasures", "post", "erase a learner (a data-protection request): {\"agent\": an xAPI "
     "Agent}; their statements' content and their documents go, the audit chain records it (issue 13)"),
]

# (path, methods, summary) of the web console (issue 14): HTML pages and forms
CONSOLE_PAGES = [
    ("/", ("get",), "the console's home (the stores page once signed in)"),
    ("/sign-in", ("get", "post"), "sign in with an admin key and secret"),
    ("/sign-out", ("post",), "sign out"),
    ("/stores", ("get", "post"), "stores and their usage; create one"),
    ("/stores/{name}/rename", ("post",), "rename a store"),
    ("/credentials", ("get", "post"), "credentials; create one (its secret shown once)"),
    ("/credentials/{key}", ("get", "post"), "one credential: change scopes, name, expiry"),
    ("/credentials/{key}/revoke", ("post",), "revoke a credential"),
    ("/credentials/{key}/rotate", ("post",), "give a credential a new secret"),
    ("/statements", ("get",), "the statement browser (the xAPI filters as a form)"),
    ("/forwarding", ("get", "post"), "forwarding status and dead letters; add a rule (a remote secret never shown)"),
    ("/forwarding/{store}/{rule}/retry", ("post",), "deliver a rule's dead letters again"),
    ("/forwarding/{store}/{rule}/pause", ("post",), "pause a forwarding rule"),
    ("/forwarding/{store}/{rule}/resume", ("post",), "resume a paused forwarding rule"),
    ("/forwarding/{store}/{rule}/remove", ("post",), "remove a forwarding rule and what it had still to deliver"),
    ("/console-static/{filename}", ("get",), "the console's stylesheet"),
    ("/transcript", ("get",), "a learner's transcript (administrators and auditors)"),
    ("/transcript/evidence", ("get",), "the statements behind one line of a transcript"),
    ("/completions", ("get",), "who completed, passed or failed an activity, with charts"),
    ("/history", ("get",), "completions of an activity over time, with a chart"),
    ("/charts/{kind}.svg", ("get",), "a report's chart (scores, rates, history) as an SVG image drawn from its query"),
]


def _admin_paths():
    json_any = {"application/json": {"schema": {}}}
    paths = {}
    for path, method, summary in ADMIN_OPERATIONS:
        operation = {
            "tags": ["Administration"], "summary": summary, "security": [{"basicAuth": ["admin"]}],
            "parameters": _path_parameters(path),
            "responses": {"200": {"description": "done", "headers": PLAIN_HEADERS, "content": json_any},
                          **({"201": {"description": "created", "headers": PLAIN_HEADERS, "content": json_any}}
                             if method == "post" else {}),
                          **_errors(PLAIN_HEADERS, 400, 401, 403, 404, 409, 429, 503)}}
        if method in ("post", "patch", "put"):
            operation["requestBody"] = {"required": False, "content": {"application/json": {"schema": {
                "type": "object"}}}}
        paths.setdefault(path, {})[method] = operation
        if method == "get":
            paths[path]["head"] = dict(operation, summary=summary + " (headers only)")
    return paths


_CONSOLE_MEDIA = (("/console-static/", "text/css"), ("/charts/", "image/svg+xml"))    # not HTML: by path prefix


def _console_paths():
    """HTML for people: success, a redirect after a form, or the page again with the error."""
    html = {"text/html": {"schema": {"type": "string"}}}
    page = {"description": "the page", "headers": PLAIN_HEADERS, "content": html}
    responses = {"200": page,
                 "302": {"description": "to the next page (after a form, or to sign in)", "headers": dict(
                     PLAIN_HEADERS, Location=_header("where to go"))},
                 **{str(status): dict(page, description=text, content=dict(html, **{  # JSON outside a page
                     "application/json": {"schema": _ref("Error")}})) for status, text in (
                     (400, "the form again, with what is wrong next to the field"),
                     (401, "sign-in refused"), (403, "not a console credential, or an auditor on an administrator's page"), (404, "no such page or record"),
                     (429, "too many failed sign-ins; try later"), (503, "the database does not answer"))}}
    paths = {}
    for path, methods, summary in CONSOLE_PAGES:
        for method in methods:
            operation = {"tags": ["Console"], "summary": summary, "security": [],
                         "parameters": _path_parameters(path),
                         "responses": dict(responses, **{"200": dict(page, content={media: {"schema": {
                             "type": "string"}}}) for prefix, media in _CONSOLE_MEDIA if path.startswith(prefix)})}
            if method == "post":
                operation["requestBody"] = {"required": False, "content": {
                    "application/x-www-form-urlencoded": {"schema": {"type": "object"}}}}
            paths.setdefault(path, {})[method] = operation
            if method == "get":
                paths[path]["head"] = dict(operation, summary=summary + " (headers only)")
    return paths


def build_document(versions=SUPPORTED_VERSIONS):
    """The OpenAPI document (a dict) of the LRS serving ``versions``."""
    plugin = MarshmallowPlugin(schema_name_resolver=_resolve_name)
    spec = APISpec(
        title="xAPI Learning Record Store", version="1", openapi_version=OPENAPI_VERSION, plugins=[plugin],
        info={"description": (
            "An xAPI Learning Record Store speaking xAPI %s, chosen per request by the "
            "X-Experience-API-Version header. Every xAPI resource needs HTTP Basic credentials "
            "(a key and secret made with `python -m lrs credentials create`) except /xapi/about. "
            "Every answer under /xapi carries X-Experience-API-Version; every error answers JSON "
            "`{\"error\": {\"status\": ..., \"message\": ...}}` whose message names the rule broken."
            % " and ".join(versions))},
        tags=[{"name": name} for name in ("Statements", "State", "Activity Profile", "Agent Profile",
                                          "Activities", "Agents", "About", "Operations", "Documentation", "Reports",
                                          "Administration", "Console")],
    )
    plugin.converter.add_attribute_function(_xapi_field)
    spec.components.security_scheme("basicAuth", {
        "type": "http", "scheme": "basic",
        "description": ("HTTP Basic with a credential's key and secret. A credential carries scopes; an "
                        "operation lists the scopes any one of which allows it (`all` allows everything): "
                        + ", ".join(SCOPES) + ". Default scopes of a new credential: statements/write "
                        "statements/read/mine. statements/read/mine reads only the statements the "
                        "credential wrote.")})
    for name, schema in (("Statement103", schemas.Statement103Schema), ("Statement20", schemas.Statement20Schema),
                         ("Error", ErrorSchema), ("About", AboutSchema), ("Person", PersonSchema),
                         ("Health", HealthSchema)):
        spec.components.schema(name, schema=schema)
    spec.components.schema("StatementResult", {
        "type": "object", "required": ["statements"], "additionalProperties": False,
        "properties": {"statements": {"type": "array", "items": {"anyOf": [_ref("Statement103"),
                                                                          _ref("Statement20")]}},
                       "more": {"type": "string", "description": "URL of the next page, or empty (QRY-41)"}}})
    for path, operations in _paths(versions).items():
        parameters = operations.pop("parameters", None)
        spec.path(path=path, operations=operations, parameters=parameters)
    document = spec.to_dict()
    _finish(document, versions)
    return document


def _finish(document, versions):
    """What apispec cannot say: the version header's values, and the labels of the xAPI objects."""
    for path, operations in document["paths"].items():
        if "head" in operations:                      # HEAD answers have headers, never a body
            head = operations["head"] = copy.deepcopy(operations["head"])
            for response in head["responses"].values():
                response.pop("content", None)
        for method, operation in operations.items():
            if not path.startswith("/xapi/") or path == "/xapi/about" or method in ("options", "parameters"):
                continue
            operation.setdefault("parameters", []).append(
                dict(VERSION_PARAMETER, schema={"type": "string", "enum": list(versions)}))
    components = document["components"]["schemas"]
    one_identifier = {"oneOf": [{"required": [name]} for name in IFI_PROPERTIES]}
    for name in ("Agent", "Member"):                  # exactly one identifier (AGT-4)
        components[name].update(one_identifier)
    for name in ("Group", "Team"):                    # identified, or anonymous with members (AGT-9)
        components[name]["anyOf"] = [{"required": [key]} for key in IFI_PROPERTIES + ("member",)]
    for name, schema in components.items():
        cls = getattr(schemas, name + "Schema", None) or getattr(schemas.objects, name + "Schema", None)
        label = getattr(cls, "label", None)
        if label and "description" not in schema:
            schema["description"] = "%s (xAPI %s)" % (label[0].upper() + label[1:], _version_of(name))


def _version_of(name):
    if name.endswith("20"):
        return "%s only" % XAPI_2_0_0
    return XAPI_1_0_3 if name.endswith("103") else "%s and %s" % SUPPORTED_VERSIONS


# --- HTTP -------------------------------------------------------------------------------------

def document_for(app):
    """The document of this application, built once."""
    document = app.extensions.get("lrs.openapi")
    if document is None:
        document = app.extensions["lrs.openapi"] = build_document(app.extensions["lrs"].settings.xapi_versions)
    return document


@openapi.route("/openapi.json", methods=["GET"])
def openapi_json():
    body = json.dumps(document_for(current_app), ensure_ascii=False, indent=1)
    return Response(body, status=200, mimetype="application/json")


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>xAPI LRS: API reference</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="stylesheet" href="/docs/index.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/%s"></script>
</body>
</html>
"""

_INIT = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout"
  });
});
"""


@openapi.route("/docs", methods=["GET"])
def docs_page():
    return Response(_PAGE % PAGE_SCRIPT, status=200, mimetype="text/html")


@openapi.route("/docs/<asset>", methods=["GET"])
def docs_asset(asset):
    if asset == PAGE_SCRIPT:
        return Response(_INIT, status=200, mimetype="text/javascript")
    mimetype = SWAGGER_UI_ASSETS.get(asset)
    if mimetype is None:
        abort(404, description="no file %s in the reference page" % asset)
    return send_from_directory(SWAGGER_UI_DIR, asset, mimetype=mimetype, max_age=86400)
