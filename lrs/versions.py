"""xAPI version negotiation and the one table of rules that differ between versions.

Every behaviour that depends on the negotiated version reads it from `RULES[version]`;
nowhere else in the service or HTTP layers is a version compared (VER-15).
"""
import re
from dataclasses import dataclass

from .errors import BadRequest

KNOWN_VERSIONS = ("1.0.3", "2.0.0")

_HEADER_1_0 = re.compile(r"^1\.0(\.\d+)?$")
_HEADER_2_0 = re.compile(r"^2\.0(\.\d+)?$")
_HEADER_SHAPE = re.compile(r"^\d+\.\d+(\.\d+)?$")


@dataclass(frozen=True)
class VersionRules:
    version: str                          # the value of the response header (VER-11)
    statement_version_default: str       # SVER-5
    alternate_syntax: bool               # ALT-1 (1.0.3) / ALT-11 (2.0)
    profile_put_new_requires_precondition: bool   # CONC-11 (1.0.3) / CONC-12 (2.0)
    state_put_existing_conflicts: bool   # CONC-13 (1.0.3) / CONC-14 (2.0, a setting)
    ids_format_verb_id_only: bool        # QRY-32
    conflicts_ignore_attachments: bool   # CMP-12: 2.0 equivalence ignores attachments


RULES = {
    "1.0.3": VersionRules(
        version="1.0.3",
        statement_version_default="1.0.0",
        alternate_syntax=True,
        profile_put_new_requires_precondition=True,
        state_put_existing_conflicts=False,
        ids_format_verb_id_only=True,
        conflicts_ignore_attachments=False,
    ),
    "2.0.0": VersionRules(
        version="2.0.0",
        statement_version_default="2.0.0",
        alternate_syntax=False,
        profile_put_new_requires_precondition=False,
        state_put_existing_conflicts=True,
        ids_format_verb_id_only=True,
        conflicts_ignore_attachments=True,
    ),
}


def negotiate(header, enabled):
    """The rule set ("1.0.3" or "2.0.0") a version header selects; BadRequest otherwise.

    VER-1 (missing), VER-2/VER-3 (1.0 and 1.0.N), VER-4/VER-5 (2.0, 2.0.N), VER-6 (older),
    VER-7 (unknown newer), VER-8 (malformed), VER-14 (switched off).
    """
    if header is None:
        raise BadRequest("the X-Experience-API-Version header is required (VER-1)")
    value = header.strip()
    if _HEADER_1_0.match(value):
        chosen = "1.0.3"
    elif _HEADER_2_0.match(value):
        chosen = "2.0.0"
    elif _HEADER_SHAPE.match(value):
        raise BadRequest("xAPI version %r is not supported; use 1.0.3 or 2.0.0 (VER-6, VER-7)" % value)
    else:
        raise BadRequest("X-Experience-API-Version %r is not a version number (VER-8)" % value)
    if chosen not in enabled:
        raise BadRequest("xAPI version %s is switched off on this LRS (VER-14)" % chosen)
    return chosen
