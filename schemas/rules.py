"""The data rules that differ between xAPI 1.0.3 and 2.0.0, in one table (schemas/README.md, "How it is built").

Everything else that differs is structural and lives in the schema classes as subclasses
(``Context20Schema(Context103Schema)`` adds contextAgents/contextGroups, CTX-1, CAG-8), chosen
per version in ``objects.STATEMENT_SCHEMAS``.
"""
import re
from dataclasses import dataclass

from .formats import TimestampFormat

SUPPORTED_VERSIONS = ("1.0.3", "2.0.0")


@dataclass(frozen=True)
class VersionRules:
    version: str
    timestamp: TimestampFormat        # TIME-2 (both), TIME-4 (2.0: RFC 3339 variants)
    statement_versions: re.Pattern    # SVER-2 / SVER-3: accepted values of the `version` property
    statement_versions_text: str      # the same, for messages
    version_rule: str


RULES = {
    "1.0.3": VersionRules(
        version="1.0.3",
        timestamp=TimestampFormat(rfc3339=False),
        statement_versions=re.compile(r"1\.0(?:\.\d+)?"),
        statement_versions_text="1.0 or 1.0.N",
        version_rule="SVER-2"),
    "2.0.0": VersionRules(
        version="2.0.0",
        timestamp=TimestampFormat(rfc3339=True),
        statement_versions=re.compile(r"1\.0(?:\.\d+)?|2\.0\.0"),
        statement_versions_text="1.0, 1.0.N or 2.0.0",
        version_rule="SVER-3"),
}


def rules_for(version):
    """The rule set of a negotiated version: "1.0.3"/"2.0.0", also "1.0", "1.0.N" and "2.0"
    (VER-2..VER-4). Anything else is a programming error of the caller."""
    rules = RULES.get(version)
    if rules is not None:
        return rules
    if isinstance(version, str):
        if re.fullmatch(r"1\.0(?:\.\d+)?", version):
            return RULES["1.0.3"]
        if re.fullmatch(r"2\.0(?:\.\d+)?", version):
            return RULES["2.0.0"]
    raise ValueError("unsupported xAPI version %r; expected one of %s" % (version, ", ".join(SUPPORTED_VERSIONS)))
