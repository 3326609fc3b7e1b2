"""Reading JSON request bodies the way xAPI wants them read (GEN-1, GEN-10, ENC-2)."""
import json

from ..errors import BadRequest


class _DuplicateKey(ValueError):
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
        return json.loads(body, object_pairs_hook=_reject_duplicates)
    except _DuplicateKey as error:
        raise BadRequest("%s repeats the key %r in one object (GEN-10)" % (what, str(error))) from None
    except RecursionError:
        raise BadRequest("%s is nested too deeply" % what) from None
    except ValueError as error:
        raise BadRequest("%s is not valid JSON (GEN-1): %s" % (what, error)) from None


def dumps(value):
    """Compact UTF-8 JSON bytes, as stored and returned."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
