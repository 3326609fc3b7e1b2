"""Exceptions of the service layer.

The HTTP layer maps each class to its status code; nothing below the HTTP layer knows
about status codes except through these types.
"""


class LRSError(Exception):
    """Base of every error the LRS reports to a client."""

    status = 500

    def __init__(self, message, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(LRSError):
    status = 400


class Unauthorized(LRSError):
    status = 401


class Forbidden(LRSError):
    status = 403


class NotFound(LRSError):
    status = 404


class MethodNotAllowed(LRSError):
    status = 405

    def __init__(self, message, allowed=()):
        super().__init__(message)
        self.allowed = tuple(allowed)


class Conflict(LRSError):
    status = 409


class PreconditionFailed(LRSError):
    status = 412


class PayloadTooLarge(LRSError):
    status = 413


class TooManyRequests(LRSError):
    """Too many failed attempts: answered 429 with Retry-After (whole seconds)."""

    status = 429

    def __init__(self, message, retry_after=1):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class StorageUnavailable(LRSError):
    """The database cannot be reached; answered 503 with Retry-After so that clients retry.

    A second is long enough for a lock to clear or a replica-set election to end, short enough
    that a content tool's learner does not wait for nothing (RFC 9110 section 10.2.3)."""

    status = 503
    retry_after = 1


class ConfigError(ValueError):
    """A setting has a value the LRS cannot use (start-up prints its message as one line)."""
