"""Limits on failed authentication attempts, per credential key and per client address (issue 11).

Failures are counted in a moving window by the `limits` library, in this process's memory. Over
a limit, `blocked()` says for how long (the Retry-After of the 429 answer): an address over its
limit is refused before its credentials are checked; a key over its limit still has a right secret
accepted when checking it is cheap, and is refused without the slow KDF otherwise (lrs/auth.py).

Counts are per process: under gunicorn each worker counts the failures it saw, so a client whose
requests are spread over N workers can fail up to N times the limit before every worker refuses
it. What the limits protect — CPU against floods of wrong secrets, and a guesser's rate — holds
per worker all the same.
"""
import hashlib
import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger("lrs.auth")


@dataclass(frozen=True)
class Blocked:
    """Seconds until the key, or the address, may try again (0: that one is not over its limit)."""

    key_retry: int
    address_retry: int


class FailureThrottle:
    """At most `per_key` failed attempts per key and `per_address` per client address in any
    `window_seconds`; 0 switches a limit off."""

    def __init__(self, per_key=10, per_address=30, window_seconds=60):
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_key = RateLimitItemPerSecond(per_key, window_seconds) if per_key else None
        self._per_address = RateLimitItemPerSecond(per_address, window_seconds) if per_address else None

    def _checks(self, key, address):
        # keys are hashed: an attacker's 8 KB "keys" cost 32 bytes each, and none is kept readable
        if self._per_key is not None:
            yield "key", self._per_key, hashlib.sha256(key.encode("utf-8")).hexdigest()
        if self._per_address is not None and address:
            yield "address", self._per_address, address

    def blocked(self, key, address):
        """A Blocked when the key or the address is over its limit, else None."""
        retry = {"key": 0, "address": 0}
        for kind, item, identity in self._checks(key, address):
            if not self._limiter.test(item, kind, identity):
                reset = self._limiter.get_window_stats(item, kind, identity).reset_time
                retry[kind] = max(1, math.ceil(reset - time.time()))
        if not any(retry.values()):
            return None
        return Blocked(key_retry=retry["key"] or retry["address"], address_retry=retry["address"])

    def failed(self, key, address):
        """Count one failed attempt; log once when the key or the address reaches its limit."""
        for kind, item, identity in self._checks(key, address):
            self._limiter.hit(item, kind, identity)
            if not self._limiter.test(item, kind, identity):
                log.warning("failed authentications reached the limit for one %s%s (%d in %d s); "
                            "further attempts get 429", kind,
                            " (%s)" % address if kind == "address" else "",
                            item.amount, item.get_expiry())
