"""Reading JSON the way xAPI wants it read (GEN-1, GEN-10, ENC-2): the one JSON parser of the LRS.

Every JSON the LRS receives (statement bodies and multipart statement parts, documents merged as
JSON, the `agent` parameters, JWS headers and payloads, `more` cursors) goes through `loads`, so
that all of them refuse the same things: malformed JSON, a key repeated in one object (GEN-10),
and what Python's json module accepts but JSON (RFC 8259) does not: NaN, Infinity, -Infinity and
numbers too large for a double (1e400, which Python reads as Infinity). Stored and served back,
such values would make every page holding them unreadable to standards-compliant JSON parsers.
"""
import json
import math

from ..errors import BadRequest


class InvalidJSON(ValueError):
    """JSON this LRS does not accept; the message says what is wrong."""


class _DuplicateKey(ValueError):
    pass


class _NotFinite(ValueError):
    pass


def _reject_duplicates(pairs):
    result = dict(pairs)
    if len(result) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def _reject_constant(name):
    raise _NotFinite(name)                      # NaN, Infinity, -Infinity


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text)                  # e.g. 1e400
    return value


def loads(text, what="the JSON"):
    """Parsed JSON from str or bytes; InvalidJSON (a ValueError) naming `what` and the fault."""
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant,
                          parse_float=_finite_float)
    except _DuplicateKey as error:
        raise InvalidJSON("%s repeats the key %r in one object (GEN-10)" % (what, str(error))) from None
    except _NotFinite as error:
        raise InvalidJSON("%s holds the number %s, which JSON cannot carry: NaN, Infinity and numbers "
                          "beyond the range of a double are not JSON (GEN-1)" % (what, str(error)[:40])) from None
    except RecursionError:
        raise InvalidJSON("%s is nested too deeply" % what) from None
    except (ValueError, TypeError) as error:
        raise InvalidJSON("%s is not valid JSON (GEN-1): %s" % (what, error)) from None


def parse_json(body, what="request body"):
    """Parsed JSON from UTF-8 bytes or str; BadRequest that says what is wrong."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadRequest("%s is not valid UTF-8 (ENC-2): %s" % (what, error)) from None
    if body.startswith("\ufeff"):
        body = body[1:]
    try:
        return loads(body, what)
    except InvalidJSON as error:
        raise BadRequest(str(error)) from None


def dumps(value):
    """Compact UTF-8 JSON bytes, as stored and returned (never NaN or Infinity: ValueError)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
