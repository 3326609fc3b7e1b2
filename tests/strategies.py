"""hypothesis strategies for valid xAPI statements of both versions, and the settings profiles.

`statements(version)` draws a valid Statement (a dict) under "1.0.3" or "2.0.0": every object
type (Activity with every interaction type and its component lists, Agent, Group identified or
anonymous with members, StatementRef, SubStatement), every context shape (contextActivities as an
object or arrays, instructor, team, statement, 2.0 contextAgents/contextGroups), results with
scores in range and durations, extensions with any JSON value, language maps, timestamps in every
form the version allows, attachments with fileUrl. `statements_with_data(version)` adds
attachments whose data travels in a multipart/mixed request: (statement, {sha2: bytes}).
`multipart_body` builds that request.

Profiles (`LRS_HYPOTHESIS_PROFILE`): "ci" (the default: fixed seed, few examples, no shrinking; what
the test suite runs) and "long" (random seed, many examples, failures shrunk to the smallest
example; for a human who wants to search harder).
"""
import hashlib
import json
import os
import string

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

# --- profiles -------------------------------------------------------------------------------------

PROFILE_VARIABLE = "LRS_HYPOTHESIS_PROFILE"
_COMMON = dict(deadline=None, database=None, print_blob=True,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                      HealthCheck.data_too_large])
# ci does not shrink: a failure is reported at once with the statement that showed it (shrinking can
# take minutes per failing test); the long profile shrinks it to the smallest one.
settings.register_profile("ci", derandomize=True, max_examples=25,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate], **_COMMON)
settings.register_profile("long", derandomize=False, max_examples=1000, **_COMMON)
settings.load_profile(os.environ.get(PROFILE_VARIABLE, "ci"))


def is_ci():
    return os.environ.get(PROFILE_VARIABLE, "ci") == "ci"


def examples(ci_count):
    """max_examples for a test: `ci_count` under the ci profile, the profile's own number otherwise."""
    return ci_count if is_ci() else settings.get_profile(os.environ[PROFILE_VARIABLE]).max_examples


VERSIONS = ("1.0.3", "2.0.0")
VOIDED = "http://adlnet.gov/expapi/verbs/voided"

# --- scalars --------------------------------------------------------------------------------------

_SEGMENT = st.text(alphabet=string.ascii_lowercase + string.digits + "-._~", min_size=1, max_size=8)
_UNICODE_SEGMENT = st.text(alphabet="éüßçøåñ中文例", min_size=1, max_size=4)


@st.composite
def iris(draw):
    """Absolute IRIs: http(s) URLs with unicode paths, query and fragment, urn:, tag: and mailto-free."""
    kind = draw(st.sampled_from(["http", "https", "urn", "tag", "unicode"]))
    path = "/".join(draw(st.lists(_SEGMENT, min_size=1, max_size=3)))
    if kind in ("http", "https"):
        host = draw(st.sampled_from(["example.gov", "lrs.example.org", "w3id.org", "EXAMPLE.com:8080"]))
        iri = "%s://%s/%s" % (kind, host, path)
        if draw(st.booleans()):
            iri += "?q=%s&x=%%20" % draw(_SEGMENT)
        if draw(st.booleans()):
            iri += "#" + draw(_SEGMENT)
        return iri
    if kind == "urn":
        return "urn:uuid:%s" % draw(st.uuids())
    if kind == "tag":
        return "tag:example.gov,2026:%s" % path
    return "https://例え.example/%s/%s" % (draw(_UNICODE_SEGMENT), path)


def irls():
    return st.builds(lambda host, path: "https://%s/%s" % (host, path),
                     st.sampled_from(["example.gov", "cdn.example.org"]), _SEGMENT)


uuids = st.builds(str, st.uuids())
mixed_case_uuids = st.builds(lambda u, upper: str(u).upper() if upper else str(u), st.uuids(), st.booleans())
LANGUAGE_TAGS = ("en-US", "en", "fr-CA", "zh-Hant-TW", "sr-Latn-RS", "de-CH-1996", "es-419", "cmn",
                 "x-private", "i-klingon", "en-GB-oed", "ja-JP-u-ca-japanese", "EN-us")
language_tags = st.sampled_from(LANGUAGE_TAGS)
texts = st.text(max_size=24)
language_maps = st.dictionaries(language_tags, texts, max_size=3)
finite_numbers = st.one_of(st.integers(-10 ** 6, 10 ** 6),
                           st.floats(allow_nan=False, allow_infinity=False, width=64))
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), finite_numbers, texts),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(texts, children, max_size=3)),
    max_leaves=8)
extensions = st.dictionaries(iris(), json_values, max_size=3)


@st.composite
def timestamps(draw, version):
    """Timestamps in the forms the version accepts (TIME-2, TIME-4, TIME-6): offsets Z, ±hh:mm,
    ±hhmm, ±hh or none, fractions of any length; 2.0 also t/z and a space separator."""
    year = draw(st.integers(1971, 2090))
    month, day = draw(st.integers(1, 12)), draw(st.integers(1, 28))
    hour, minute, second = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    separator, utc = "T", "Z"
    if version == "2.0.0":
        separator, utc = draw(st.sampled_from(["T", "t", " "])), draw(st.sampled_from(["Z", "z"]))
    value = "%04d-%02d-%02d%s%02d:%02d:%02d" % (year, month, day, separator, hour, minute, second)
    fraction = draw(st.one_of(st.just(""), st.text(alphabet=string.digits, min_size=1, max_size=9)))
    if fraction:
        value += "." + fraction
    zone = draw(st.sampled_from(["utc", "colon", "plain", "hours", "none"]))
    hours, minutes = draw(st.integers(0, 14)), draw(st.sampled_from([0, 30, 45]))
    if zone == "hours":
        minutes = 0
    sign = "+" if hours == minutes == 0 else draw(st.sampled_from("+-"))      # -00:00 means unknown (TIME-3)
    return value + {"utc": utc, "colon": "%s%02d:%02d" % (sign, hours, minutes),
                    "plain": "%s%02d%02d" % (sign, hours, minutes), "hours": "%s%02d" % (sign, hours),
                    "none": ""}[zone]


@st.composite
def durations(draw):
    """ISO 8601 durations (DUR-1): PnW, or PnYnMnDTnHnMnS with a fraction on the last part only."""
    if draw(st.booleans()):
        return "P%dW" % draw(st.integers(0, 60))
    parts = [("Y", False), ("M", False), ("D", False), ("H", True), ("M", True), ("S", True)]
    chosen = draw(st.lists(st.sampled_from(range(6)), min_size=1, max_size=6, unique=True).map(sorted))
    out, in_time = "P", False
    for position, index in enumerate(chosen):
        unit, is_time = parts[index]
        if is_time and not in_time:
            out, in_time = out + "T", True
        number = str(draw(st.integers(0, 5000)))
        if position == len(chosen) - 1 and draw(st.booleans()):
            number += "." + draw(st.text(alphabet=string.digits, min_size=1, max_size=4))
        out += number + unit
    return out


def _optional(draw, mapping, **strategies_by_key):
    """Add each key of `strategies_by_key` to `mapping` or not (a drawn choice per key)."""
    for key, strategy in strategies_by_key.items():
        if draw(st.booleans()):
            mapping[key] = draw(strategy)
    return mapping


# --- agents and groups (AGT, IFI) -----------------------------------------------------------------

mailtos = st.builds(lambda local, domain: "mailto:%s@%s" % (local, domain),
                    st.text(alphabet=string.ascii_letters + string.digits + "._+-", min_size=1, max_size=10),
                    st.sampled_from(["example.gov", "Example.ORG", "mail.example.com"]))
accounts = st.fixed_dictionaries({"homePage": irls(), "name": st.text(min_size=1, max_size=12)})
identifiers = st.one_of(
    st.builds(lambda v: {"mbox": v}, mailtos),
    st.builds(lambda v: {"mbox_sha1sum": v}, st.text(alphabet="0123456789abcdefABCDEF", min_size=40, max_size=40)),
    st.builds(lambda v: {"openid": v}, iris()),
    st.builds(lambda v: {"account": v}, accounts))


@st.composite
def agents(draw, object_type=None):
    """An Agent; `object_type` True: always with objectType, None: maybe."""
    agent = {}
    if object_type or (object_type is None and draw(st.booleans())):
        agent["objectType"] = "Agent"
    agent.update(draw(identifiers))
    return _optional(draw, agent, name=texts)


@st.composite
def groups(draw, anonymous=None):
    """An identified Group (maybe with members) or an anonymous one with at least one member."""
    group = {"objectType": "Group"}
    if anonymous is None:
        anonymous = draw(st.booleans())
    if not anonymous:
        group.update(draw(identifiers))
    members = draw(st.lists(agents(), min_size=1 if anonymous else 0, max_size=3))
    if members or (not anonymous and draw(st.booleans())):
        group["member"] = members
    return _optional(draw, group, name=texts)


actors = st.one_of(agents(), groups())

# --- verbs, activities (VERB, ACT, ADEF) -------------------------------------------------------------

verbs = st.builds(lambda verb_id, display: dict({"id": verb_id}, **({"display": display} if display else {})),
                  iris(), st.one_of(st.none(), language_maps))

# the component lists each interaction type uses (ADEF-8)
INTERACTION_COMPONENTS = {"true-false": (), "choice": ("choices",), "fill-in": (), "long-fill-in": (),
                          "matching": ("source", "target"), "performance": ("steps",),
                          "sequencing": ("choices",), "likert": ("scale",), "numeric": (), "other": ()}
_component_ids = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=8)


@st.composite
def components(draw):
    """An interaction component list with unique ids (ADEF-9, ADEF-10)."""
    ids = draw(st.lists(_component_ids, min_size=1, max_size=4, unique=True))
    return [_optional(draw, {"id": component_id}, description=language_maps) for component_id in ids]


@st.composite
def activity_definitions(draw):
    definition = _optional(draw, {}, name=language_maps, description=language_maps, type=iris(),
                           moreInfo=irls(), extensions=extensions)
    if draw(st.booleans()):
        interaction = draw(st.sampled_from(sorted(INTERACTION_COMPONENTS)))
        definition["interactionType"] = interaction
        if draw(st.booleans()):
            definition["correctResponsesPattern"] = draw(st.lists(texts, max_size=3))
        for name in INTERACTION_COMPONENTS[interaction]:
            definition[name] = draw(components())
    return definition


@st.composite
def activities(draw, object_type=None):
    activity = {}
    if object_type or (object_type is None and draw(st.booleans())):
        activity["objectType"] = "Activity"
    activity["id"] = draw(iris())
    return _optional(draw, activity, definition=activity_definitions())


statement_refs = st.builds(lambda ref_id: {"objectType": "StatementRef", "id": ref_id}, mixed_case_uuids)

# --- result and context (RES, SCORE, CTX, CA, CAG) -------------------------------------------------


@st.composite
def scores(draw):
    """A Score within its rules: -1 <= scaled <= 1, min < max, min <= raw <= max (SCORE-3..SCORE-5)."""
    score = {}
    if draw(st.booleans()):
        score["scaled"] = draw(st.one_of(st.floats(-1, 1), st.sampled_from([-1, 0, 1])))
    low = draw(st.one_of(st.none(), finite_numbers.filter(lambda n: abs(n) < 1e12)))
    high = draw(st.one_of(st.none(), finite_numbers.filter(lambda n: abs(n) < 1e12)))
    if low is not None and high is not None and not low < high:
        low, high = (high, low) if high < low else (None, high)
    if low is not None:
        score["min"] = low
    if high is not None:
        score["max"] = high
    if draw(st.booleans()):
        raw = draw(finite_numbers.filter(lambda n: abs(n) < 1e12))
        if low is not None and raw < low:
            raw = low
        if high is not None and raw > high:
            raw = high
        score["raw"] = raw
    return score


results = st.fixed_dictionaries({}, optional={
    "score": scores(), "success": st.booleans(), "completion": st.booleans(), "response": texts,
    "duration": durations(), "extensions": extensions})


def _context_activity_lists():
    one_or_many = st.one_of(activities(), st.lists(activities(), min_size=1, max_size=2))
    return st.fixed_dictionaries({}, optional={name: one_or_many for name in ("parent", "grouping", "category",
                                                                             "other")})


def contexts(version, object_is_activity):
    optional = {"registration": mixed_case_uuids, "instructor": actors, "team": groups(),
                "contextActivities": _context_activity_lists(), "language": language_tags,
                "statement": statement_refs, "extensions": extensions}
    if object_is_activity:                           # revision and platform only then (CTX-7, CTX-8)
        optional.update(revision=texts, platform=texts)
    if version == "2.0.0":
        relevant = st.lists(iris(), min_size=1, max_size=2)
        optional["contextAgents"] = st.lists(st.fixed_dictionaries(
            {"objectType": st.just("contextAgent"), "agent": agents()}, optional={"relevantTypes": relevant}),
            max_size=2)
        optional["contextGroups"] = st.lists(st.fixed_dictionaries(
            {"objectType": st.just("contextGroup"), "group": groups()}, optional={"relevantTypes": relevant}),
            max_size=2)
    return st.fixed_dictionaries({}, optional=optional)


# --- attachments (ATT) --------------------------------------------------------------------------------

_HASHES = (hashlib.sha224, hashlib.sha256, hashlib.sha384, hashlib.sha512)
media_types = st.sampled_from(["text/plain", "application/pdf", "image/png", "application/octet-stream",
                               'text/plain; charset="utf-8"', "video/mp4"])


@st.composite
def attachments(draw, data=None):
    """An Attachment; with `data` (bytes) its sha2 and length are those of the data, else it has a fileUrl."""
    payload = data if data is not None else draw(st.binary(max_size=16))
    digest = draw(st.sampled_from(_HASHES))(payload).hexdigest()
    attachment = {"usageType": draw(iris()), "display": draw(language_maps), "contentType": draw(media_types),
                  "length": len(payload), "sha2": digest.upper() if draw(st.booleans()) and data is None else digest}
    _optional(draw, attachment, description=language_maps)
    if data is None or draw(st.booleans()):
        attachment["fileUrl"] = draw(irls())
    return attachment


# --- statements ------------------------------------------------------------------------------------


@st.composite
def _parts(draw, version, object_strategy):
    """What Statements and SubStatements share: actor, verb, object, result, context, timestamp, attachments."""
    obj = draw(object_strategy)
    verb = draw(verbs)
    statement = {"actor": draw(actors), "verb": verb, "object": obj}
    is_activity = obj.get("objectType", "Activity") == "Activity"
    _optional(draw, statement, result=results, context=contexts(version, is_activity),
              timestamp=timestamps(version), attachments=st.lists(attachments(), max_size=2))
    return statement


@st.composite
def sub_statements(draw, version):
    """A SubStatement (SUB-1..SUB-6), with a timestamp more often than not (issue 17)."""
    inner = st.one_of(activities(), agents(object_type=True), groups(), statement_refs)
    sub = dict({"objectType": "SubStatement"}, **draw(_parts(version, inner)))
    if "timestamp" not in sub and draw(st.booleans()):
        sub["timestamp"] = draw(timestamps(version))
    return sub


def statement_objects(version):
    return st.one_of(activities(), agents(object_type=True), groups(), statement_refs, sub_statements(version))


@st.composite
def statements(draw, version, with_id=True):
    """A valid Statement under `version` (see the module docstring)."""
    statement = draw(_parts(version, statement_objects(version)))
    if statement["object"].get("objectType") == "StatementRef" and draw(st.booleans()):
        statement["verb"] = {"id": VOIDED, "display": {"en-US": "voided"}}          # VOID-2
    if with_id:
        statement["id"] = draw(mixed_case_uuids)
    accepted = ["1.0.0", "1.0.3", "1.0"] + (["2.0.0"] if version == "2.0.0" else [])
    _optional(draw, statement, version=st.sampled_from(accepted), stored=timestamps(version),
              authority=agents(object_type=True))
    return statement


@st.composite
def statements_with_data(draw, version):
    """(statement, {sha2: data}): a statement with one or two attachments whose data is sent as parts."""
    statement = draw(statements(version))
    datas = draw(st.lists(st.binary(min_size=0, max_size=64), min_size=1, max_size=2, unique=True))
    with_data = [draw(attachments(data)) for data in datas]
    statement["attachments"] = statement.get("attachments", []) + with_data
    return statement, {a["sha2"]: data for a, data in zip(with_data, datas)}


def multipart_body(statements_json, parts, boundary="hypothesis-boundary-7f3a"):
    """(body, Content-Type) of a multipart/mixed statement request: the JSON, then one part per data."""
    chunks = [b"--", boundary.encode(), b"\r\nContent-Type: application/json\r\n\r\n",
              json.dumps(statements_json).encode()]
    for sha2, data in parts.items():
        chunks += [b"\r\n--", boundary.encode(), b"\r\nContent-Type: application/octet-stream\r\n"
                   b"Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: ", sha2.encode(), b"\r\n\r\n", data]
    chunks += [b"\r\n--", boundary.encode(), b"--\r\n"]
    return b"".join(chunks), "multipart/mixed; boundary=" + boundary
