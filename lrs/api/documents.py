"""/xapi/activities/state, /xapi/activities/profile, /xapi/agents/profile (STATE, APROF, GPROF, DOC).

Each handler reads and checks its parameters (precise 400s: missing, invalid, unknown,
DOC-11), checks the scope (SCOPE-14), then hands bytes, Content-Type and preconditions to
lrs.xapi.documents.DocumentService, which applies the xAPI rules atomically. HEAD is answered
by the GET handlers (Flask strips the body, HEAD-1).
"""
import json

import schemas
from flask import Response, g, request

from ..errors import BadRequest, PayloadTooLarge
from ..timeutil import http_date
from ..xapi.agents import agent_key
from ..xapi.documents import ACTIVITY_PROFILE, AGENT_PROFILE, STATE, DocumentKey, DocumentScope, Preconditions
from ..xapi.jsonbody import dumps, parse_json
from . import lrs, xapi
from .params import allow_only, parameters

READ_SCOPES = {STATE: ("state", "all/read"), ACTIVITY_PROFILE: ("profile", "all/read"),
               AGENT_PROFILE: ("profile", "all/read")}
WRITE_SCOPES = {STATE: ("state",), ACTIVITY_PROFILE: ("profile",), AGENT_PROFILE: ("profile",)}


def _service():
    return lrs().documents


# --- parameters ---------------------------------------------------------------------------

def _schema(check, *arguments):
    try:
        return check(*arguments)
    except schemas.XAPIValidationError as error:
        raise BadRequest(error.message) from None


def _required(params, name, resource):
    value = params.get(name)
    if value is None or value == "":
        raise BadRequest("the %s parameter is required for %s %s" % (name, request.method, resource))
    return value


def activity_id_param(params, resource, name="activityId"):
    """An IRI (STATE-2, APROF-2, ACTS-2)."""
    return _schema(schemas.validate_iri, _required(params, name, resource), name)


def agent_param(params, resource, allow_group):
    """The identifier key of the `agent` parameter: URL-encoded JSON of an Agent (STATE-3, GPROF-2)."""
    text = _required(params, "agent", resource)
    agent = parse_json(text, "the agent parameter")
    if not isinstance(agent, dict):
        raise BadRequest("the agent parameter must be a JSON object (an Agent), not %s" % json.dumps(agent))
    if agent.get("objectType") == "Group" and not allow_group:
        raise BadRequest("the agent parameter of %s must be an Agent, not a Group; send a Group's "
                         "identifier inside an Agent object instead (GPROF-3, AGENTS-2)" % resource)
    validated = _schema(lambda: schemas.validate_agent(agent, g.version, allow_group=allow_group))
    validated = validated if isinstance(validated, dict) else agent
    key = agent_key(validated)
    if key is None:
        raise BadRequest("the agent parameter must carry an identifier (mbox, mbox_sha1sum, openid or "
                         "account); an anonymous Group cannot own documents")
    return validated, key


def _registration(params):
    if "registration" not in params:
        return None
    return _schema(schemas.validate_uuid, params["registration"], "registration").lower()    # STATE-4


def _since(params):
    if "since" not in params:
        return None
    return _schema(schemas.parse_timestamp, params["since"], g.version)                        # STATE-11


def _doc_id(params, name, required, resource):
    if required:
        return _required(params, name, resource)                  # STATE-5, GPROF-4, APROF-3
    value = params.get(name)
    if value == "":
        raise BadRequest("%s must not be empty" % name)
    return value


def _allowed(id_name, scope_names):
    """The parameters of the current method (DOC-11; since only on GET, STATE-15/16)."""
    allowed = set(scope_names) | {id_name}
    if request.method in ("GET", "HEAD"):
        allowed.add("since")
    return allowed


# --- request bodies and responses ----------------------------------------------------------

def _body():
    """The request body, refused with 413 before reading it when it is announced too large (DOC-9)."""
    limit = lrs().settings.max_document_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge("the document is %d bytes; this LRS accepts at most %d (DOC-9)"
                              % (request.content_length, limit))
    return request.get_data(cache=True, parse_form_data=False)


def _preconditions():
    return Preconditions.from_headers(request.headers.get("If-Match"), request.headers.get("If-None-Match"))


def _document_response(document):
    response = Response(document.content, status=200, content_type=document.content_type)  # DOC-1
    response.headers["ETag"] = document.etag                                                # CONC-1
    response.headers["Last-Modified"] = http_date(document.updated_ms)                      # DOC-4
    return response


def _ids_response(listing):
    response = Response(dumps(listing.ids), status=200, mimetype="application/json")
    if listing.last_modified_ms is not None:
        response.headers["Last-Modified"] = http_date(listing.last_modified_ms)              # DOC-5
    return response


def _no_content():
    return Response(status=204)


def _dispatch(kind, params, resource, id_name, key_fields, scope_fields, multiple_delete):
    """The common flow of the three resources once their own parameters are read."""
    principal = g.principal
    service = _service()
    store_id = principal.store_id
    method = request.method
    if method in ("GET", "HEAD"):
        principal.require(*READ_SCOPES[kind])
        doc_id = _doc_id(params, id_name, False, resource)
        since = _since(params)          # validated even when ignored beside an id (STATE-15)
        if doc_id is None:
            return _ids_response(service.list_ids(store_id, DocumentScope(kind=kind, **scope_fields), since))
        return _document_response(service.get(store_id, DocumentKey(kind=kind, doc_id=doc_id, **key_fields)))
    principal.require(*WRITE_SCOPES[kind])
    if method == "DELETE":
        doc_id = _doc_id(params, id_name, not multiple_delete, resource)
        if doc_id is None:
            service.delete_all(store_id, DocumentScope(kind=kind, **scope_fields))          # STATE-13
        else:
            service.delete(store_id, DocumentKey(kind=kind, doc_id=doc_id, **key_fields), _preconditions())
        return _no_content()
    doc_id = _doc_id(params, id_name, True, resource)
    key = DocumentKey(kind=kind, doc_id=doc_id, **key_fields)
    preconditions = _preconditions()
    body = _body()
    content_type = request.headers.get("Content-Type")
    write = service.put if method == "PUT" else service.post
    write(store_id, key, body, content_type, preconditions, g.version)
    return _no_content()


METHODS = ["GET", "PUT", "POST", "DELETE"]


@xapi.route("/activities/state", methods=METHODS)
def activity_state():
    """STATE-1..STATE-17."""
    resource = "activities/state"
    params = parameters()
    allow_only(params, _allowed("stateId", ("activityId", "agent", "registration")), resource)
    activity_id = activity_id_param(params, resource)
    _, key = agent_param(params, resource, allow_group=True)
    registration = _registration(params)
    key_fields = dict(activity_id=activity_id, agent_key=key, registration=registration)
    scope_fields = dict(activity_id=activity_id, agent_key=key, registration=registration,
                        all_registrations=registration is None)                     # STATE-14
    return _dispatch(STATE, params, resource, "stateId", key_fields, scope_fields, multiple_delete=True)


@xapi.route("/activities/profile", methods=METHODS)
def activity_profile():
    """APROF-1..APROF-5."""
    resource = "activities/profile"
    params = parameters()
    allow_only(params, _allowed("profileId", ("activityId",)), resource)
    activity_id = activity_id_param(params, resource)
    fields = dict(activity_id=activity_id)
    return _dispatch(ACTIVITY_PROFILE, params, resource, "profileId", fields, fields, multiple_delete=False)


@xapi.route("/agents/profile", methods=METHODS)
def agent_profile():
    """GPROF-1..GPROF-6."""
    resource = "agents/profile"
    params = parameters()
    allow_only(params, _allowed("profileId", ("agent",)), resource)
    _, key = agent_param(params, resource, allow_group=False)
    fields = dict(agent_key=key)
    return _dispatch(AGENT_PROFILE, params, resource, "profileId", fields, fields, multiple_delete=False)
