"""One marshmallow schema per xAPI object (xAPI 1.0.3 Part Two / IEEE 9274.1.1 data model).

Version differences are structural subclasses at the end of this module (Context20Schema,
SubStatement20Schema, Statement20Schema) plus the per-version table in versions.py; nothing here asks
"which version" at run time.
"""
from .errors import XAPIValidationError
from .fields import (IRI, IRL, UUID, Boolean, ByObjectType, Choice, Constant, ContextActivityList, Duration,
                     Extensions, LanguageMap, LanguageTag, ListOf, MailtoIRI, MediaType, NonNegativeInteger,
                     Number, Object, Sha1Hex, Sha2Hex, StatementVersion, String, Timestamp, XSchema)
from .versions import RULES, XAPI_1_0_3, XAPI_2_0_0

R103, R20 = RULES[XAPI_1_0_3], RULES[XAPI_2_0_0]
VOIDED = "http://adlnet.gov/expapi/verbs/voided"                                   # VOID-1
INTERACTION_TYPES = ("true-false", "choice", "fill-in", "long-fill-in", "matching", "performance",
                     "sequencing", "likert", "numeric", "other")                  # ADEF-6
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")                 # ADEF-8


def identifier_count(out):
    """How many inverse functional identifiers an Agent or Group carries (AGT-4, AGT-10)."""
    return ("mbox" in out) + ("mbox_sha1sum" in out) + ("openid" in out) + ("account" in out)


# --- Agents and Groups (AGT, IFI) ---------------------------------------------------------------------

class AccountSchema(XSchema):
    label = "an Account"
    type_rule = unknown_rule = "IFI-4"
    homePage = IRL(required=True, rule="IFI-4")
    name = String(required=True, rule="IFI-4")


class AgentSchema(XSchema):
    label = "an Agent"
    type_rule = "AGT-6"
    unknown_rule = "AGT-5"
    unknown_rules = {"member": "only a Group has members, AGT-5"}
    objectType = Constant("Agent", rule="AGT-2")
    name = String(rule="AGT-3")
    mbox = MailtoIRI(rule="IFI-1")
    mbox_sha1sum = Sha1Hex(rule="IFI-2")
    openid = IRI(rule="IFI-3")
    account = Object(AccountSchema, rule="IFI-4")

    def rules(self, out):
        if identifier_count(out) != 1:
            raise XAPIValidationError("an Agent must carry exactly one identifier of mbox, mbox_sha1sum, openid, "
                                      "account; found %d (AGT-4)" % identifier_count(out))


class MemberSchema(AgentSchema):
    """A Group member: an Agent, never a Group (AGT-11, AGT-12)."""
    label = "a Group member (an Agent)"
    type_rule = "AGT-11"
    objectType = Constant("Agent", rule="a Group member must be an Agent, not a Group: AGT-12")


class GroupSchema(XSchema):
    label = "a Group"
    type_rule = "AGT-7"
    unknown_rule = "AGT-13"
    objectType = Constant("Group", required=True, rule="AGT-7")
    name = String(rule="AGT-8")
    member = ListOf(Object(MemberSchema), rule="AGT-11")
    mbox = MailtoIRI(rule="IFI-1")
    mbox_sha1sum = Sha1Hex(rule="IFI-2")
    openid = IRI(rule="IFI-3")
    account = Object(AccountSchema, rule="IFI-4")

    def rules(self, out):
        count = identifier_count(out)
        if count > 1:
            raise XAPIValidationError("an identified Group carries exactly one identifier of mbox, mbox_sha1sum, "
                                      "openid, account; found %d (AGT-10)" % count)
        if count == 0 and not out.get("member"):       # absent or [] (Data 2.4.2.2)
            raise XAPIValidationError("an anonymous Group (no identifier) must list at least one member "
                                      "Agent (AGT-9)", ["member"] if "member" in out else [])


class TeamSchema(GroupSchema):
    label = "a Group (context.team)"
    type_rule = "CTX-4"
    objectType = Constant("Group", required=True, rule="context.team must be a Group: CTX-4, AGT-7")


class AuthorityGroupSchema(GroupSchema):
    """An authority Group: anonymous, exactly two Agents (application and user, AUTH-2)."""
    label = "an authority Group"

    def rules(self, out):
        super().rules(out)
        if identifier_count(out):
            raise XAPIValidationError("an authority Group must be anonymous (no identifier), the 3-legged OAuth "
                                      "pair of two Agents (AUTH-2)")
        if len(out["member"]) != 2:
            raise XAPIValidationError("an authority Group must have exactly two member Agents, not %d (AUTH-2)"
                                      % len(out["member"]), ["member"])


# --- Verb (VERB) ----------------------------------------------------------------------------------------

class VerbSchema(XSchema):
    label = "a Verb"
    type_rule = "VERB-1"
    unknown_rule = "VERB-3"
    id = IRI(required=True, rule="VERB-1")
    display = LanguageMap(rule="VERB-2")


# --- Activity and its definition (ACT, ADEF) --------------------------------------------------------------

class InteractionComponentSchema(XSchema):
    label = "an interaction component"
    type_rule = unknown_rule = "ADEF-9"
    id = String(required=True, rule="ADEF-9")
    description = LanguageMap(rule="ADEF-9")


def _components():
    return ListOf(Object(InteractionComponentSchema), rule="ADEF-8", unique_ids=True)


class ActivityDefinitionSchema(XSchema):
    label = "an Activity definition"
    type_rule = "ACT-3"
    unknown_rule = "ADEF-1"
    name = LanguageMap(rule="ADEF-2")
    description = LanguageMap(rule="ADEF-2")
    type = IRI(rule="ADEF-3")
    moreInfo = IRL(rule="ADEF-4")
    interactionType = Choice(INTERACTION_TYPES, rule="ADEF-6")
    correctResponsesPattern = ListOf(String(rule="ADEF-7"), rule="ADEF-7")     # any length, unparsed (ADEF-13/14)
    choices = _components()
    scale = _components()
    source = _components()
    target = _components()
    steps = _components()
    extensions = Extensions(rule="ADEF-5")

    def rules(self, out):
        if "interactionType" not in out:
            for name in ("correctResponsesPattern",) + COMPONENT_LISTS:
                if name in out:
                    raise XAPIValidationError("requires interactionType in the same definition (ADEF-11)", [name])


class ActivitySchema(XSchema):
    label = "an Activity"
    type_rule = "ACT-1"
    unknown_rule = "ACT-4"
    objectType = Constant("Activity", rule="ACT-2")
    id = IRI(required=True, rule="ACT-1")
    definition = Object(ActivityDefinitionSchema, rule="ACT-3")


class StatementRefSchema(XSchema):
    label = "a StatementRef"
    type_rule = unknown_rule = "SREF-1"
    objectType = Constant("StatementRef", required=True, rule="SREF-1")
    id = UUID(required=True, rule="SREF-1")


# --- Result and Score (RES, SCORE) -------------------------------------------------------------------------

class ScoreSchema(XSchema):
    label = "a Score"
    type_rule = "SCORE-1"
    unknown_rule = "SCORE-2"
    scaled = Number(rule="SCORE-2")
    raw = Number(rule="SCORE-2")
    min = Number(rule="SCORE-2")
    max = Number(rule="SCORE-2")

    def rules(self, out):
        scaled, raw, low, high = out.get("scaled"), out.get("raw"), out.get("min"), out.get("max")
        if scaled is not None and not -1 <= scaled <= 1:
            raise XAPIValidationError("must lie between -1 and 1 inclusive, not %r (SCORE-3)" % scaled, ["scaled"])
        if low is not None and high is not None and not low < high:
            raise XAPIValidationError("must be greater than min (%r), not %r (SCORE-4)" % (low, high), ["max"])
        if raw is not None:
            if low is not None and raw < low:
                raise XAPIValidationError("must not be below min (%r), not %r (SCORE-5)" % (low, raw), ["raw"])
            if high is not None and raw > high:
                raise XAPIValidationError("must not be above max (%r), not %r (SCORE-5)" % (high, raw), ["raw"])


class ResultSchema(XSchema):
    label = "a Result"
    type_rule = "STMT-5"
    unknown_rule = "RES-1"
    score = Object(ScoreSchema, rule="SCORE-1")
    success = Boolean(rule="RES-2")
    completion = Boolean(rule="RES-2")
    response = String(rule="RES-3")
    duration = Duration(rule="RES-4")
    extensions = Extensions(rule="RES-5")


# --- Context (CTX, CA, CAG) ---------------------------------------------------------------------------------

AGENT_OR_GROUP = {None: AgentSchema, "Agent": AgentSchema, "Group": GroupSchema}


class ContextActivitiesSchema(XSchema):
    label = "contextActivities"
    type_rule = "CA-1"
    unknown_rule = "CA-2"
    parent = ContextActivityList(ActivitySchema, rule="CA-3")
    grouping = ContextActivityList(ActivitySchema, rule="CA-3")
    category = ContextActivityList(ActivitySchema, rule="CA-3")
    other = ContextActivityList(ActivitySchema, rule="CA-3")


class ContextAgentSchema(XSchema):
    label = "a contextAgent"
    type_rule = "CAG-1"
    unknown_rule = "CAG-5"
    objectType = Constant("contextAgent", required=True, rule="CAG-2")
    agent = Object(AgentSchema, required=True, rule="CAG-3")
    relevantTypes = ListOf(IRI(rule="CAG-4"), rule="CAG-4", min_length=1)


class ContextGroupSchema(XSchema):
    label = "a contextGroup"
    type_rule = unknown_rule = "CAG-6"
    objectType = Constant("contextGroup", required=True, rule="CAG-6")
    group = Object(GroupSchema, required=True, rule="CAG-6")
    relevantTypes = ListOf(IRI(rule="CAG-4"), rule="CAG-4", min_length=1)


class Context103Schema(XSchema):
    label = "a Context"
    type_rule = "STMT-5"
    unknown_rule = "CTX-1, GEN-9"
    unknown_rules = {"contextAgents": "it exists from xAPI 2.0 on: CAG-8, GEN-9",
                     "contextGroups": "it exists from xAPI 2.0 on: CAG-8, GEN-9"}
    registration = UUID(rule="CTX-2")
    instructor = ByObjectType(AGENT_OR_GROUP, rule="CTX-3")
    team = Object(TeamSchema, rule="CTX-4")
    contextActivities = Object(ContextActivitiesSchema, rule="CA-1")
    revision = String(rule="CTX-5")
    platform = String(rule="CTX-6")
    language = LanguageTag(rule="CTX-9")
    statement = Object(StatementRefSchema, rule="CTX-10")
    extensions = Extensions(rule="CTX-11")


class Context20Schema(Context103Schema):
    unknown_rules = {}
    contextAgents = ListOf(Object(ContextAgentSchema), rule="CAG-1")
    contextGroups = ListOf(Object(ContextGroupSchema), rule="CAG-6")


# --- Attachment (ATT) ---------------------------------------------------------------------------------------

class AttachmentSchema(XSchema):
    label = "an Attachment"
    type_rule = "STMT-6"
    unknown_rule = "ATT-1"
    usageType = IRI(required=True, rule="ATT-2")
    display = LanguageMap(required=True, rule="ATT-3")
    description = LanguageMap(rule="ATT-4")
    contentType = MediaType(required=True, rule="ATT-5")
    length = NonNegativeInteger(required=True, rule="ATT-6")
    sha2 = Sha2Hex(required=True, rule="ATT-7, ATT-9")
    fileUrl = IRL(rule="ATT-8")


# --- Statement and SubStatement (STMT, SUB) -------------------------------------------------------------------

IDENTIFYING_KEYS = ("mbox", "mbox_sha1sum", "openid", "account", "member")


class StatementObject(ByObjectType):
    """The `object` of a Statement or SubStatement: without objectType it is an Activity (OBJ-2);
    an Agent or Group sent without objectType gets a message that says so (AGT-14)."""

    @staticmethod
    def missing_hint(value):
        if any(key in value for key in IDENTIFYING_KEYS):
            raise XAPIValidationError("an Agent or Group used as object must carry objectType; without it the "
                                      "object is read as an Activity (AGT-14, OBJ-2)")


class _StatementParts(XSchema):
    """What Statements and SubStatements share (GEN-19)."""
    required_rules = {"actor": "STMT-1", "verb": "STMT-2", "object": "STMT-3"}
    actor = ByObjectType(AGENT_OR_GROUP, required=True, rule="AGT-1")
    verb = Object(VerbSchema, required=True, rule="VERB-1")
    result = Object(ResultSchema, rule="STMT-5")
    attachments = ListOf(Object(AttachmentSchema), rule="STMT-6")

    def rules(self, out):
        context = out.get("context")
        if context is not None and ("revision" in context or "platform" in context):
            object_type = out["object"].get("objectType", "Activity")
            if object_type != "Activity":
                name = "revision" if "revision" in context else "platform"
                raise XAPIValidationError("is only allowed when the object is an Activity, not a %s (%s)"
                                          % (object_type, "CTX-7" if name == "revision" else "CTX-8"),
                                          ["context", name])


SUB_OBJECT_TYPES = {None: ActivitySchema, "Activity": ActivitySchema, "Agent": AgentSchema,
                    "Group": GroupSchema, "StatementRef": StatementRefSchema}


class SubStatement103Schema(_StatementParts):
    label = "a SubStatement"
    type_rule = "SUB-1"
    unknown_rule = "SUB-5"
    unknown_rules = {name: "a SubStatement has no id, stored, version or authority: SUB-3"
                     for name in ("id", "stored", "version", "authority")}
    objectType = Constant("SubStatement", required=True, rule="SUB-1")
    object = StatementObject(SUB_OBJECT_TYPES, required=True, rule="OBJ-1",
                             refused={"SubStatement": "a SubStatement cannot contain a SubStatement (SUB-4)"})
    context = Object(Context103Schema, rule="STMT-5")
    timestamp = Timestamp(R103, rule="TIME-1")                      # may lie in the future (SUB-6)


class Statement103Schema(_StatementParts):
    label = "a Statement"
    type_rule = "GEN-1"
    unknown_rule = "STMT-4, GEN-9"
    id = UUID(rule="ID-1")
    object = StatementObject(dict(SUB_OBJECT_TYPES, SubStatement=SubStatement103Schema), required=True,
                             rule="OBJ-1")
    context = Object(Context103Schema, rule="STMT-5")
    timestamp = Timestamp(R103, rule="TIME-1")
    stored = Timestamp(R103, normalise=False, rule="TIME-10")      # checked, kept; the store overwrites it
    authority = ByObjectType({None: AgentSchema, "Agent": AgentSchema, "Group": AuthorityGroupSchema},
                             rule="AUTH-2")
    version = StatementVersion(R103)

    def rules(self, out):
        super().rules(out)
        if out["verb"]["id"] == VOIDED and out["object"].get("objectType") != "StatementRef":
            raise XAPIValidationError("a voiding statement (verb %s) must have a StatementRef object (VOID-2)"
                                      % VOIDED, ["object"])


# --- xAPI 2.0: contextAgents/contextGroups (CTX-1, CAG-7) and the 2.0 timestamp and version rules --------------

class SubStatement20Schema(SubStatement103Schema):
    context = Object(Context20Schema, rule="STMT-5")
    timestamp = Timestamp(R20, rule="TIME-1")


class Statement20Schema(Statement103Schema):
    object = StatementObject(dict(SUB_OBJECT_TYPES, SubStatement=SubStatement20Schema), required=True,
                             rule="OBJ-1")
    context = Object(Context20Schema, rule="STMT-5")
    timestamp = Timestamp(R20, rule="TIME-1")
    stored = Timestamp(R20, normalise=False, rule="TIME-10")
    version = StatementVersion(R20)


STATEMENT_SCHEMAS = {R103.version: Statement103Schema, R20.version: Statement20Schema}
