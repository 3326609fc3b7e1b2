"""Validation and normalisation of xAPI data, per version (1.0.3 and 2.0.0); no Flask, no storage.

Public API (the service layer is written against exactly these names):

    XAPIValidationError            .message "statement.actor.mbox: ... (IFI-1)", .path ["actor", "mbox"]
    validate_statement(data, version) -> dict
    validate_statements(data, version) -> list      errors prefixed "statements[3]."
    validate_agent(data, version, allow_group=True) -> dict
    validate_activity_id(value) -> str
    validate_iri(value, what) -> str
    validate_uuid(value, what) -> str
    parse_timestamp(value, version, what="timestamp") -> int   (ms since epoch, UTC)
    is_language_tag(value) -> bool
    SUPPORTED_VERSIONS, RULES, rules_for(version) -> VersionRules   the one version table (versions.py)

The marshmallow schemas themselves (``Statement20Schema`` ...) are exported for documentation
(OpenAPI) and for ``Schema.load``, which validates exactly like the functions above.
"""
from .errors import XAPIValidationError, json_kind
from .fields import IRI, UUID, XSchema
from .formats import is_language_tag, timestamp_millis
from .objects import (AccountSchema, ActivityDefinitionSchema, ActivitySchema, AgentSchema, AttachmentSchema,
                      AuthorityGroupSchema, Context20Schema, Context103Schema, ContextActivitiesSchema,
                      ContextAgentSchema, ContextGroupSchema, GroupSchema, InteractionComponentSchema,
                      ResultSchema, ScoreSchema, Statement20Schema, Statement103Schema, STATEMENT_SCHEMAS,
                      StatementRefSchema, SubStatement20Schema, SubStatement103Schema, VerbSchema,
                      identifier_count)
from .versions import RULES, SUPPORTED_VERSIONS, VersionRules, rules_for

__all__ = ["XAPIValidationError", "validate_statement", "validate_statements", "validate_agent",
           "validate_activity_id", "validate_iri", "validate_uuid", "parse_timestamp", "is_language_tag",
           "SUPPORTED_VERSIONS", "RULES", "VersionRules", "rules_for", "STATEMENT_SCHEMAS",
           "AccountSchema", "ActivityDefinitionSchema", "ActivitySchema", "AgentSchema", "AttachmentSchema",
           "AuthorityGroupSchema", "Context103Schema", "Context20Schema", "ContextActivitiesSchema",
           "ContextAgentSchema", "ContextGroupSchema", "GroupSchema", "InteractionComponentSchema",
           "ResultSchema", "ScoreSchema", "Statement103Schema", "Statement20Schema", "StatementRefSchema",
           "SubStatement103Schema", "SubStatement20Schema", "VerbSchema"]

# Compiled once at import: one validating function per version.
_STATEMENT_CHECKS = {version: schema.compiled() for version, schema in STATEMENT_SCHEMAS.items()}
_AGENT_CHECK = AgentSchema.compiled()
_GROUP_CHECK = GroupSchema.compiled()
_IRI_CHECK = IRI(rule="FMT-1, GEN-17").check
_UUID_CHECK = UUID(rule="FMT-4, GEN-17").check


def _statement_check(version):
    check = _STATEMENT_CHECKS.get(version)
    return check if check is not None else _STATEMENT_CHECKS[rules_for(version).version]


def validate_statement(data, version):
    """A new, normalised copy of one statement, or XAPIValidationError.

    Normalisation only: contextActivities values become arrays (CA-5), `timestamp` is rewritten in
    UTC as YYYY-MM-DDThh:mm:ss.mmmZ (TIME-8, truncated to ms, TIME-7); everything else, `stored`
    included, is returned as received (numbers, key order). The input is never modified.
    """
    check = _statement_check(version)
    if type(data) is not dict:
        raise XAPIValidationError("must be a JSON object (a Statement), not %s (GEN-1)" % json_kind(data))
    try:
        return check(data)
    except RecursionError:
        raise XAPIValidationError("is nested too deeply to be processed (GEN-1)") from None


def validate_statements(data, version):
    """validate_statement over a list; errors name the position: `statements[3].actor.mbox: ...`."""
    check = _statement_check(version)
    if type(data) is not list:
        raise XAPIValidationError("must be an array of statements (GEN-1)", root="statements")
    out = []
    for index, statement in enumerate(data):
        try:
            if type(statement) is not dict:
                raise XAPIValidationError("must be a JSON object (a Statement), not %s (GEN-1)" % json_kind(statement))
            out.append(check(statement))
        except XAPIValidationError as error:
            error.root = "statements"
            error.path.insert(0, index)
            raise
        except RecursionError:
            raise XAPIValidationError("is nested too deeply to be processed (GEN-1)", [index],
                                      root="statements") from None
    return out


def validate_agent(data, version, allow_group=True):
    """The `agent` parameter (QRY-11, STATE-3, GPROF-2): an Agent or, when ``allow_group``, an
    identified Group; never an anonymous Group, which has no identity (AGT-15). Returns a copy."""
    rules_for(version)
    try:
        if type(data) is dict and data.get("objectType") == "Group":
            if not allow_group:
                raise XAPIValidationError("must be an Agent, not a Group (GPROF-3)")
            out = _GROUP_CHECK(data)
            if not identifier_count(out):
                raise XAPIValidationError("an anonymous Group (no mbox, mbox_sha1sum, openid or account) cannot "
                                          "be used here, it has no identity (QRY-11, AGT-15)")
            return out
        return _AGENT_CHECK(data)
    except XAPIValidationError as error:
        error.root = "agent"
        raise


def validate_iri(value, what):
    """An absolute IRI query or form parameter (GEN-17, FMT-1); returned unchanged."""
    try:
        return _IRI_CHECK(value)
    except XAPIValidationError as error:
        error.root = what
        raise


def validate_activity_id(value):
    return validate_iri(value, "activityId")


def validate_uuid(value, what):
    """A UUID parameter (GEN-17, FMT-4); returned as received (callers lower-case it, ID-4)."""
    try:
        return _UUID_CHECK(value)
    except XAPIValidationError as error:
        error.root = what
        raise


def parse_timestamp(value, version, what="timestamp"):
    """Milliseconds since 1970-01-01T00:00:00Z of a timestamp in the syntax of ``version``
    (TIME-1..TIME-6; sub-millisecond digits truncated, TIME-7)."""
    try:
        return timestamp_millis(value, rules_for(version).timestamp)
    except XAPIValidationError as error:
        error.root = what
        raise
