"""Formatted string values: IRIs, UUIDs, mailto IRIs, hashes, language tags, media types, durations
and timestamps. Plain functions over precompiled regular expressions; the marshmallow fields in
``fields.py`` call them. Every regex is applied with ``fullmatch`` (``$`` would accept a trailing
newline).
"""
import math
import re
from datetime import datetime, timedelta

from .errors import XAPIValidationError, shown, wrong_type

# --- IRIs (FMT-1, FMT-2, GEN-8, GEN-16) -------------------------------------------------------
# An absolute IRI: a scheme (letter, then letters, digits, + - .), a colon and at least one more
# character; no whitespace or control characters, none of <>"{}|\^` and only well-formed %XX.
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20\x7f<>\"{}|\\^`]+")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def is_iri(value):
    return (type(value) is str and _IRI.fullmatch(value) is not None
            and ("%" not in value or _BAD_PERCENT.search(value) is None))


# --- UUIDs (FMT-4, ID-1) ------------------------------------------------------------------------
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


def is_uuid(value):
    return type(value) is str and _UUID.fullmatch(value) is not None


# --- Inverse functional identifiers (IFI-1, IFI-2) ----------------------------------------------
# mailto: followed by one addr-spec (local@domain), no second @, no whitespace, no query part.
_MAILTO = re.compile(r"mailto:[^@\s<>()\[\],;:\"\\/?]+@[^@\s<>()\[\],;:\"\\/?#.][^@\s<>()\[\],;:\"\\/?#]*")
_SHA1 = re.compile(r"[0-9A-Fa-f]{40}")
_SHA2 = re.compile(r"[0-9A-Fa-f]+")
SHA2_LENGTHS = frozenset((56, 64, 96, 128))       # SHA-224, SHA-256, SHA-384, SHA-512 (ATT-7)

# --- Media types (ATT-5): type/subtype *(; name=value), RFC 7231 tokens --------------------------
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_MEDIA_TYPE = re.compile(r"%s/%s(?:[ \t]*;[ \t]*%s=(?:%s|\"(?:[^\"\\]|\\.)*\"))*[ \t]*"
                         % (_TOKEN, _TOKEN, _TOKEN, _TOKEN))

# --- Language tags (LANG-2, CTX-9): RFC 5646 langtag / privateuse / irregular grandfathered -----
_LANGTAG = re.compile(
    r"(?:(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})"   # language (with extlangs)
    r"(?:-[a-z]{4})?"                                            # script
    r"(?:-(?:[a-z]{2}|[0-9]{3}))?"                               # region
    r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"                  # variants
    r"(?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*"                       # extensions
    r"(?:-x(?:-[a-z0-9]{1,8})+)?"                                # private use
    r"|x(?:-[a-z0-9]{1,8})+"                                     # private use tag
    r"|en-gb-oed|i-(?:ami|bnn|default|enochian|hak|klingon|lux|mingo|navajo|pwn|tao|tay|tsu)"
    r"|sgn-(?:be-fr|be-nl|ch-de))",
    re.IGNORECASE)
_LANG_CACHE = {}


def is_language_tag(value):
    """True for a well-formed RFC 5646 tag (`cmn`, `zh-Hant`, `sr-Latn-RS`), False otherwise
    (`a12345678`, `something`, non-strings). Subtag shapes are checked, not the registry."""
    if type(value) is not str:
        return False
    known = _LANG_CACHE.get(value)
    if known is None:
        known = _LANGTAG.fullmatch(value) is not None
        if len(_LANG_CACHE) > 4096:
            _LANG_CACHE.clear()
        _LANG_CACHE[value] = known
    return known


# --- Durations (DUR-1, DUR-2) ---------------------------------------------------------------------
_N = r"(\d+(?:\.\d+)?)"
_DURATION = re.compile(
    r"P(?:%sW|(?=\d|T\d)(?:%sY)?(?:%sM)?(?:%sD)?(?:T(?=\d)(?:%sH)?(?:%sM)?(?:%sS)?)?)"
    % ((_N,) * 7))


def check_duration(value):
    """The duration unchanged (DUR-5), or XAPIValidationError: ISO 8601 `P[nY][nM][nD][T[nH][nM][nS]]`
    or `PnW`, a decimal fraction only on the last component given."""
    if type(value) is not str:
        raise wrong_type("a string holding an ISO 8601 duration", value, "DUR-1")
    match = _DURATION.fullmatch(value)
    if match is None:
        raise XAPIValidationError("%s is not an ISO 8601 duration such as PT1H30M or P4W (DUR-1, DUR-2)"
                                  % shown(value))
    if "." in value:
        parts = [part for part in match.groups() if part is not None]
        if any("." in part for part in parts[:-1]):
            raise XAPIValidationError("%s has a fraction on a component other than the last one (DUR-1)"
                                      % shown(value))
    return value


# --- Timestamps (TIME-1..TIME-8) ------------------------------------------------------------------
class TimestampFormat:
    """One version's accepted timestamp syntax (see versions.py). Both accept ISO 8601 extended
    `YYYY-MM-DDThh:mm:ss[.f](Z|±hh:mm|±hhmm|±hh)` and zone-less values (read as UTC, TIME-6);
    `rfc3339` adds lower-case t/z and a space separator (TIME-4)."""

    def __init__(self, rfc3339):
        separator, utc = ("[Tt ]", "[Zz]") if rfc3339 else ("T", "Z")
        self.rfc3339 = rfc3339
        self.pattern = re.compile(
            r"(\d{4})-(\d{2})-(\d{2})%s(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
            r"(?:(%s)|([+-])(\d{2})(?::?(\d{2}))?)?" % (separator, utc))


_EPOCH = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)


def _parse_timestamp(value, fmt, rule="TIME-1"):
    """(naive UTC datetime without sub-second part, milliseconds 0..999); XAPIValidationError."""
    if type(value) is not str:
        raise wrong_type("a string holding an ISO 8601 timestamp", value, rule)
    match = fmt.pattern.fullmatch(value)
    if match is None:
        raise XAPIValidationError(
            "%s is not an ISO 8601 timestamp such as 2026-01-01T12:00:00.000Z%s (%s, TIME-2)"
            % (shown(value), " (RFC 3339 forms are accepted too)" if fmt.rfc3339 else "", rule))
    year, month, day, hour, minute, second, fraction, _utc, sign, off_h, off_m = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError as error:
        raise XAPIValidationError("%s is not a real date and time: %s (%s)" % (shown(value), error, rule)) from None
    if sign is not None:
        hours, minutes = int(off_h), int(off_m or 0)
        if hours > 23 or minutes > 59:
            raise XAPIValidationError("%s has an impossible UTC offset (%s)" % (shown(value), rule))
        if hours == 0 and minutes == 0 and sign == "-":
            raise XAPIValidationError("%s has a negative-zero UTC offset (-00:00, -0000, -00), which "
                                      "means an unknown zone; send Z or +00:00 (TIME-3)" % shown(value))
        offset = timedelta(hours=hours, minutes=minutes)
        try:
            moment = moment - offset if sign == "+" else moment + offset
        except OverflowError:
            raise XAPIValidationError("%s lies outside the years 0001-9999 in UTC (%s)" % (shown(value), rule)) from None
    millis = int(fraction[:3].ljust(3, "0")) if fraction else 0          # truncated, never rounded (TIME-7)
    return moment, millis


def normalise_timestamp(value, fmt, rule="TIME-1"):
    """The same instant in UTC as `YYYY-MM-DDThh:mm:ss.mmmZ` (TIME-8)."""
    moment, millis = _parse_timestamp(value, fmt, rule)
    return "%s.%03dZ" % (moment.isoformat(), millis)


def timestamp_millis(value, fmt, rule="TIME-1"):
    """Milliseconds since 1970-01-01T00:00:00Z."""
    moment, millis = _parse_timestamp(value, fmt, rule)
    return (moment - _EPOCH) // _SECOND * 1000 + millis


def is_finite_number(value):
    """A JSON number: int or float, never bool (a Python bool is an int), never NaN/Infinity."""
    kind = type(value)
    return kind is int or (kind is float and math.isfinite(value))


__all__ = ["is_iri", "is_uuid", "is_language_tag", "check_duration", "TimestampFormat",
           "normalise_timestamp", "timestamp_millis", "is_finite_number", "SHA2_LENGTHS"]
