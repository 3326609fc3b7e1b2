"""Statement query parameters: their validation (QRY-4..QRY-12) and the `more` cursor (QRY-41..QRY-46)."""
import base64
import json
from dataclasses import dataclass, field
from typing import Optional

import schemas

from ..errors import BadRequest
from .agents import agent_key
from .jsonbody import parse_json

SINGLE_PARAMETERS = {"statementId", "voidedStatementId"}
SHAPE_PARAMETERS = {"format", "attachments"}
FILTER_PARAMETERS = {"agent", "verb", "activity", "registration", "related_activities",
                     "related_agents", "since", "until", "limit", "ascending"}
ALL_PARAMETERS = SINGLE_PARAMETERS | SHAPE_PARAMETERS | FILTER_PARAMETERS
CURSOR_PARAMETER = "more"
FORMATS = ("exact", "ids", "canonical")


@dataclass
class StatementRequest:
    """A validated GET on the statement resource."""

    statement_id: Optional[str] = None
    voided: bool = False                 # statement_id came as voidedStatementId
    format: str = "exact"
    attachments: bool = False
    filters: list = field(default_factory=list)
    since_ms: Optional[int] = None
    until_ms: Optional[int] = None
    limit: int = 0
    ascending: bool = False
    after_seq: Optional[int] = None      # set when continuing through `more`
    max_seq: Optional[int] = None


def _boolean(name, value):
    if value == "true":
        return True
    if value == "false":
        return False
    raise BadRequest("%s must be true or false, got %r (QRY-7)" % (name, value))


def schema_value(check, *arguments):
    try:
        return check(*arguments)
    except schemas.XAPIValidationError as error:
        raise BadRequest(error.message) from None


def parse_statement_request(params, version):
    """A StatementRequest from query (or alternate-syntax form) parameters."""
    unknown = sorted(set(params) - ALL_PARAMETERS)
    if unknown:
        raise BadRequest("unknown parameter(s) %s for statements; names are case-sensitive (QRY-10)"
                         % ", ".join(unknown))
    request = StatementRequest()
    if "format" in params:
        if params["format"] not in FORMATS:
            raise BadRequest("format must be one of ids, exact, canonical (QRY-9)")
        request.format = params["format"]
    if "attachments" in params:
        request.attachments = _boolean("attachments", params["attachments"])
    single = SINGLE_PARAMETERS & set(params)
    if single:
        if len(single) > 1:
            raise BadRequest("statementId and voidedStatementId cannot be used together (QRY-4)")
        extra = sorted(set(params) - single - SHAPE_PARAMETERS)
        if extra:
            raise BadRequest("with %s only format and attachments are allowed, not %s (QRY-5)"
                             % (single.pop(), ", ".join(extra)))
        name = single.pop()
        request.statement_id = schema_value(schemas.validate_uuid, params[name], name).lower()
        request.voided = name == "voidedStatementId"
        return request
    related_agents = _boolean("related_agents", params["related_agents"]) if "related_agents" in params else False
    related_activities = (_boolean("related_activities", params["related_activities"])
                          if "related_activities" in params else False)
    if "agent" in params:
        agent = schema_value(schemas.validate_agent, parse_json(params["agent"], "the agent parameter"),
                              version)
        request.filters.append(("related_agent" if related_agents else "agent", agent_key(agent)))
    if "verb" in params:
        request.filters.append(("verb", schema_value(schemas.validate_iri, params["verb"], "verb")))
    if "activity" in params:
        activity = schema_value(schemas.validate_iri, params["activity"], "activity")
        request.filters.append(("related_activity" if related_activities else "activity", activity))
    if "registration" in params:
        registration = schema_value(schemas.validate_uuid, params["registration"], "registration")
        request.filters.append(("registration", registration.lower()))
    if "since" in params:
        request.since_ms = schema_value(schemas.parse_timestamp, params["since"], version, "since")
    if "until" in params:
        request.until_ms = schema_value(schemas.parse_timestamp, params["until"], version, "until")
    if "limit" in params:
        text = params["limit"]
        if not text.isdigit() or not text.isascii():
            raise BadRequest("limit must be a non-negative integer, got %r (QRY-8)" % text)
        request.limit = int(text)
    if "ascending" in params:
        request.ascending = _boolean("ascending", params["ascending"])
    return request


# --- the `more` cursor ----------------------------------------------------------------
# An opaque, short token (QRY-46) holding what the next page needs. It is not signed: every
# access rule is applied again from the credential that presents it, never from the token
# (QRY-52: the store and read/mine restriction come from the credential).

def encode_cursor(request, after_seq, max_seq):
    state = {"f": request.filters, "fm": request.format, "at": request.attachments,
             "s": request.since_ms, "u": request.until_ms, "l": request.limit,
             "a": request.ascending, "n": after_seq, "m": max_seq}
    raw = json.dumps({k: v for k, v in state.items() if v not in (None, [], False)},
                     separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token):
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        state = json.loads(raw)
        request = StatementRequest(
            format=state.get("fm", "exact"), attachments=bool(state.get("at", False)),
            filters=[tuple(pair) for pair in state.get("f", [])],
            since_ms=state.get("s"), until_ms=state.get("u"), limit=int(state.get("l", 0)),
            ascending=bool(state.get("a", False)), after_seq=int(state["n"]),
            max_seq=state.get("m"))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BadRequest("the more parameter is not a cursor this LRS issued") from None
    if request.format not in FORMATS or any(len(pair) != 2 for pair in request.filters):
        raise BadRequest("the more parameter is not a cursor this LRS issued")
    return request
