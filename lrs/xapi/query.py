"""Statement query parameters: their validation (QRY-4..QRY-12) and the `more` cursor (QRY-41..QRY-46, QRY-52)."""
import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from typing import Optional

import schemas

from ..errors import BadRequest
from .agents import agent_key
from .jsonbody import loads, parse_json

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
# A short token (QRY-46) holding what the next page needs, authenticated by the server: the
# compact JSON state, base64url, then '.' and a truncated HMAC-SHA256 over the store id and that
# state. A cursor that was edited, made up, or issued to another store (QRY-52) fails the HMAC
# and is refused with 400; the fields of an authentic one are checked all the same (types and
# ranges), so that no cursor ever widens a query beyond one page of at most the page limit.
# Access rules still come from the credential that presents the cursor, never from the token.

CURSOR_SECRET_NAME = "more-cursor-hmac-sha256"       # the key kept in the store when not configured
FILTER_KINDS = ("agent", "related_agent", "verb", "activity", "related_activity", "registration")
_MAC_BYTES = 16                       # 128 bits: forging one is 2**-128 per try
_MAX_TOKEN = 8192                     # characters; an issued cursor is far shorter
_SEQ_MAX = (1 << 63) - 1
_MS_MIN, _MS_MAX = -(1 << 63), (1 << 63) - 1
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_NOT_ISSUED = "the more parameter is not a cursor this LRS issued for this store"


def _b64encode(raw):
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _b64decode(text):
    if not _BASE64URL.fullmatch(text):
        raise ValueError("not base64url")
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


class CursorCodec:
    """Issues and reads the `more` cursors of one LRS (every worker and replica shares `key`)."""

    def __init__(self, key, page_limit):
        if len(key) < 16:
            raise ValueError("a cursor key needs at least 16 bytes")
        self._key = bytes(key)
        self._page_limit = page_limit

    def _mac(self, store_id, payload):
        message = b"lrs more cursor\0" + store_id.encode("utf-8") + b"\0" + payload
        return hmac.new(self._key, message, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, request, after_seq, max_seq, store_id):
        """The cursor continuing `request` after `after_seq`, for the credentials of `store_id`."""
        limit = min(request.limit, self._page_limit) if request.limit > 0 else 0
        state = {"f": [list(pair) for pair in request.filters], "fm": request.format,
                 "at": request.attachments, "s": request.since_ms, "u": request.until_ms, "l": limit,
                 "a": request.ascending, "n": after_seq, "m": max_seq}
        return self.seal({k: v for k, v in state.items() if k == "n" or not _is_default(k, v)}, store_id)

    def seal(self, state, store_id):
        """The token of a cursor state (a dict of the short field names above)."""
        payload = json.dumps(state, separators=(",", ":")).encode("utf-8")
        return _b64encode(payload) + "." + _b64encode(self._mac(store_id, payload))

    def decode(self, token, store_id):
        """The StatementRequest of a cursor issued for `store_id`; BadRequest for any other token."""
        payload_text, dot, mac_text = token.partition(".")
        if not dot or len(token) > _MAX_TOKEN:
            raise BadRequest(_NOT_ISSUED)
        try:
            payload, mac = _b64decode(payload_text), _b64decode(mac_text)
        except ValueError:
            raise BadRequest(_NOT_ISSUED) from None
        if not hmac.compare_digest(mac, self._mac(store_id, payload)):
            raise BadRequest(_NOT_ISSUED + " (it was changed, made up, or issued to another store, QRY-52)")
        try:
            return self._request(loads(payload, "the cursor"))
        except ValueError as error:          # InvalidJSON or a field out of type or range
            raise BadRequest("%s: %s" % (_NOT_ISSUED, error)) from None

    def _request(self, state):
        if type(state) is not dict:
            raise ValueError("not an object")
        unknown = set(state) - {"f", "fm", "at", "s", "u", "l", "a", "n", "m"}
        if unknown:
            raise ValueError("unknown field(s) %s" % ", ".join(sorted(unknown)))
        return StatementRequest(
            filters=_filters(state.get("f", [])), format=_one_of(state, "fm", FORMATS, "exact"),
            attachments=_flag(state, "at"), ascending=_flag(state, "a"),
            since_ms=_integer(state, "s", _MS_MIN, _MS_MAX), until_ms=_integer(state, "u", _MS_MIN, _MS_MAX),
            limit=_integer(state, "l", 0, self._page_limit, 0),
            after_seq=_integer(state, "n", 0, _SEQ_MAX, required=True), max_seq=_integer(state, "m", 0, _SEQ_MAX))


_DEFAULTS = {"f": [], "fm": "exact", "at": False, "s": None, "u": None, "l": 0, "a": False, "m": None}


def _is_default(name, value):
    """Left out of the token to keep it short; 0 is not None (a since of 1970-01-01 stays)."""
    default = _DEFAULTS[name]
    return type(value) is type(default) and value == default


def _integer(state, name, low, high, default=None, required=False):
    if name not in state:
        if required:
            raise ValueError("%s is missing" % name)
        return default
    value = state[name]
    if type(value) is not int or not low <= value <= high:
        raise ValueError("%s must be a whole number from %d to %d" % (name, low, high))
    return value


def _flag(state, name):
    value = state.get(name, False)
    if type(value) is not bool:
        raise ValueError("%s must be true or false" % name)
    return value


def _one_of(state, name, choices, default):
    value = state.get(name, default)
    if value not in choices or type(value) is not str:
        raise ValueError("%s must be one of %s" % (name, ", ".join(choices)))
    return value


def _filters(value):
    if type(value) is not list or len(value) > len(FILTER_KINDS):
        raise ValueError("f must be a list of at most %d filters" % len(FILTER_KINDS))
    filters = []
    for pair in value:
        if (type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str or pair[0] not in FILTER_KINDS
                or type(pair[1]) is not str):
            raise ValueError("f must hold [kind, value] pairs of strings with kind one of %s"
                             % ", ".join(FILTER_KINDS))
        filters.append((pair[0], pair[1]))
    return filters
