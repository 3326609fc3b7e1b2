"""GET /xapi/activities (ACTS-1..ACTS-6) and GET /xapi/agents (AGENTS-1..AGENTS-8); HEAD via GET.

Both answer any credential with a read scope (SCOPE-14) and carry an ETag, the quoted SHA-1 of
the body returned (CONC-1..CONC-3).
"""
from flask import Response, g

from ..xapi.documents import etag_of
from ..xapi.jsonbody import dumps
from . import lrs, xapi
from .documents import activity_id_param, agent_param
from .params import allow_only, parameters

READ_SCOPES = ("all/read", "statements/read", "statements/read/mine", "state", "profile", "define")


def _json_with_etag(value):
    body = dumps(value)
    response = Response(body, status=200, mimetype="application/json")
    response.headers["ETag"] = etag_of(body)
    return response


@xapi.route("/activities", methods=["GET"])
def activities():
    """The Activity with its canonical definition, or a bare Activity for an unknown id (ACTS-5)."""
    g.principal.require(*READ_SCOPES)
    params = parameters()
    allow_only(params, {"activityId"}, "activities")
    activity_id = activity_id_param(params, "activities")                               # ACTS-2
    return _json_with_etag(lrs().activities.activity(g.principal.store_id, activity_id))  # ACTS-1, ACTS-3


@xapi.route("/agents", methods=["GET"])
def agents():
    """The Person for an Agent: its identifier and the names seen in statements (AGENTS-1..AGENTS-7)."""
    g.principal.require(*READ_SCOPES)
    params = parameters()
    allow_only(params, {"agent"}, "agents")
    agent, _ = agent_param(params, "agents", allow_group=False)                         # AGENTS-2
    return _json_with_etag(lrs().agents.person_of(g.principal.store_id, agent))
