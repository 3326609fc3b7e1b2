"""xAPI version negotiation: which rule set of the version table a request's header selects.

The table itself, every rule that differs between xAPI versions, is schemas.versions (RULES);
negotiation only maps the X-Experience-API-Version header onto one of its rule sets.
"""
import re

from schemas.versions import SUPPORTED_VERSIONS, selected_by

from .errors import BadRequest

_HEADER_SHAPE = re.compile(r"^\d+\.\d+(\.\d+)?$")


def negotiate(header, enabled):
    """The rule set name (a key of schemas.versions.RULES) a version header selects; BadRequest otherwise.

    VER-1 (missing), VER-2/VER-3 (1.0 and 1.0.N), VER-4/VER-5 (2.0, 2.0.N), VER-6 (older),
    VER-7 (unknown newer), VER-8 (malformed), VER-14 (switched off).
    """
    if header is None:
        raise BadRequest("the X-Experience-API-Version header is required (VER-1)")
    value = header.strip()
    rules = selected_by(value)
    if rules is None:
        if _HEADER_SHAPE.match(value):
            raise BadRequest("xAPI version %r is not supported; use %s (VER-6, VER-7)"
                             % (value, " or ".join(SUPPORTED_VERSIONS)))
        raise BadRequest("X-Experience-API-Version %r is not a version number (VER-8)" % value)
    if rules.version not in enabled:
        raise BadRequest("xAPI version %s is switched off on this LRS (VER-14)" % rules.version)
    return rules.version
