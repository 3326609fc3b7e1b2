"""Time values as the LRS keeps them: integer milliseconds since the Unix epoch, UTC.

Serialised as ISO 8601 with a `Z` and exactly three fraction digits (TIME-8).
"""
import time
from datetime import datetime, timezone

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def now_ms():
    return time.time_ns() // 1_000_000


def format_ms(ms):
    """2026-11-28T16:41:59.123Z for a millisecond timestamp; the year always in four digits, as
    ISO 8601 wants (strftime's %Y writes 535 for the year 535)."""
    seconds, millis = divmod(ms, 1000)
    t = time.gmtime(seconds)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                                                  millis)


def datetime_to_ms(value):
    """Milliseconds for an aware datetime (truncating below the millisecond, TIME-7)."""
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def http_date(ms):
    """RFC 7231 HTTP-date for Last-Modified."""
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(ms // 1000))
