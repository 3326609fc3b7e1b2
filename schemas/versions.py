"""The one table of every rule that differs between xAPI 1.0.3 and 2.0.0 (VER-15).

Every layer reads it: the schemas (timestamp syntax, the statement's `version` property), the
service layer in lrs.xapi (defaults, statement equivalence, document preconditions) and the
HTTP layer in lrs.api (the alternate request syntax, which header values select a rule set).
No other module names or compares a version string; tests/unit/test_versions_table.py checks
both that and that every rule set has every field.

Structural differences of the data model are schema subclasses instead
(``Context20Schema(Context103Schema)`` adds contextAgents/contextGroups, CTX-1, CAG-8), chosen
per version in ``objects.STATEMENT_SCHEMAS``.
"""
import re
from dataclasses import dataclass

from .formats import TimestampFormat

XAPI_1_0_3, XAPI_2_0_0 = "1.0.3", "2.0.0"
SUPPORTED_VERSIONS = (XAPI_1_0_3, XAPI_2_0_0)


@dataclass(frozen=True)
class VersionRules:
    version: str                          # the rule set's name, sent in the response header (VER-11)
    headers: re.Pattern                   # the X-Experience-API-Version values that select it (VER-2..VER-5)
    # data rules (schemas)
    timestamp: TimestampFormat            # TIME-2 (both), TIME-4 (2.0: RFC 3339 variants)
    statement_versions: re.Pattern        # SVER-2 / SVER-3: accepted values of the `version` property
    statement_versions_text: str          # the same, for messages
    version_rule: str                     # the requirement id those messages cite
    # service rules (lrs.xapi)
    statement_version_default: str        # SVER-5: `version` of a statement stored without one
    conflicts_ignore_attachments: bool    # CMP-12: 2.0 equivalence ignores attachments
    equivalence_ignores_timestamp: bool   # CMP-12: 2.0 equivalence ignores `timestamp` (1.0.3: CMP-5)
    profile_put_new_requires_precondition: bool   # CONC-11 (1.0.3) / CONC-12 (2.0)
    state_put_existing_conflicts: bool    # CONC-13 (1.0.3) / CONC-14 (2.0, also a setting)
    # HTTP rules (lrs.api)
    alternate_syntax: bool                # ALT-1 (1.0.3) / ALT-11 (2.0: no ?method= syntax)


RULES = {
    XAPI_1_0_3: VersionRules(
        version=XAPI_1_0_3,
        headers=re.compile(r"1\.0(?:\.\d+)?"),
        timestamp=TimestampFormat(rfc3339=False),
        statement_versions=re.compile(r"1\.0(?:\.\d+)?"),
        statement_versions_text="1.0 or 1.0.N",
        version_rule="SVER-2",
        statement_version_default="1.0.0",
        conflicts_ignore_attachments=False,
        equivalence_ignores_timestamp=False,
        profile_put_new_requires_precondition=True,
        state_put_existing_conflicts=False,
        alternate_syntax=True),
    XAPI_2_0_0: VersionRules(
        version=XAPI_2_0_0,
        headers=re.compile(r"2\.0(?:\.\d+)?"),
        timestamp=TimestampFormat(rfc3339=True),
        statement_versions=re.compile(r"1\.0(?:\.\d+)?|2\.0\.0"),
        statement_versions_text="1.0, 1.0.N or 2.0.0",
        version_rule="SVER-3",
        statement_version_default="2.0.0",
        conflicts_ignore_attachments=True,
        equivalence_ignores_timestamp=True,
        profile_put_new_requires_precondition=False,
        state_put_existing_conflicts=True,
        alternate_syntax=False),
}

# The rule set whose timestamp syntax accepts every timestamp either version accepts (TIME-4 is a
# superset of TIME-2): for reading timestamps that were validated already (statement comparison).
LENIENT_TIMESTAMPS = XAPI_2_0_0


def selected_by(value):
    """The rule set a version value selects ("1.0", "1.0.N", "2.0", "2.0.N"), or None."""
    for rules in RULES.values():
        if rules.headers.fullmatch(value):
            return rules
    return None


def rules_for(version):
    """The rule set of a negotiated version: "1.0.3"/"2.0.0", also "1.0", "1.0.N" and "2.0"
    (VER-2..VER-4). Anything else is a programming error of the caller."""
    rules = RULES.get(version)
    if rules is None and isinstance(version, str):
        rules = selected_by(version)
    if rules is None:
        raise ValueError("unsupported xAPI version %r; expected one of %s"
                         % (version, ", ".join(SUPPORTED_VERSIONS)))
    return rules
