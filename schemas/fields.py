"""marshmallow fields for xAPI values, and the base schema that compiles a schema into one fast
validating function.

Every field here is a real marshmallow field (so the schemas stay the single description of the data,
usable for OpenAPI generation and for ``Schema.load``), and also offers ``checker()``: a plain
function ``value -> normalised value`` that raises ``XAPIValidationError``. ``XSchema.compiled()``
turns a schema's fields into one such function: a type check, one dict lookup per key (unknown keys
and mis-cased keys rejected, GEN-5, GEN-9), required keys, then the schema's object-level ``rules``.
That avoids marshmallow's per-field machinery (error dicts, hooks, partial handling) on the hot path
while keeping its declarations; see README of this package for the numbers.

Paths: a checker raises with a path relative to itself; containers prepend their key or index as the
exception passes (``error.path.insert(0, key)``), so nothing is spent on paths while data is valid.
"""
from marshmallow import RAISE, Schema, ValidationError, fields

from . import formats
from .errors import XAPIValidationError, json_kind, shown, wrong_type


class XField(fields.Field):
    """Base of the xAPI fields. ``rule`` is the requirement id cited when the value is missing or
    wrong; ``check`` validates one value and returns it (normalised where the rules say so)."""

    rule = "GEN-3"

    def __init__(self, *, rule=None, **kwargs):
        super().__init__(**kwargs)
        if rule is not None:
            self.rule = rule

    def check(self, value):
        raise NotImplementedError

    def checker(self):
        return self.check

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return self.checker()(value)
        except XAPIValidationError as error:
            raise ValidationError(error.message) from None


# --- scalars ------------------------------------------------------------------------------------

class String(XField):
    def check(self, value):
        if type(value) is str:
            return value
        raise wrong_type("a string", value, self.rule)


class Boolean(XField):
    def check(self, value):
        if value is True or value is False:
            return value
        raise wrong_type("a boolean", value, self.rule)


class Number(XField):
    """A JSON number returned as received (int stays int, float keeps full precision, GEN-13);
    never a bool, a numeric string or NaN/Infinity."""

    def check(self, value):
        if formats.is_finite_number(value):
            return value
        raise wrong_type("a number", value, self.rule)


class NonNegativeInteger(XField):
    def check(self, value):
        if type(value) is int and value >= 0:
            return value
        if type(value) is int:
            raise XAPIValidationError("must not be negative (%s)" % self.rule)
        raise wrong_type("an integer", value, self.rule)


class Constant(XField):
    """An exact string such as an objectType (GEN-6)."""

    def __init__(self, value, **kwargs):
        super().__init__(**kwargs)
        self.value = value

    def check(self, value):
        if value == self.value and type(value) is str:
            return value
        if type(value) is not str:
            raise wrong_type('the string "%s"' % self.value, value, self.rule)
        raise XAPIValidationError('must be exactly "%s", not %s (%s, GEN-6)' % (self.value, shown(value), self.rule))


class Choice(XField):
    """One of a fixed set of strings, matched exactly (GEN-6)."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = frozenset(choices)
        self.listed = ", ".join(sorted(choices))

    def check(self, value):
        if type(value) is str and value in self.choices:
            return value
        if type(value) is not str:
            raise wrong_type("a string", value, self.rule)
        raise XAPIValidationError("must be one of %s (exact case), not %s (%s, GEN-6)"
                                  % (self.listed, shown(value), self.rule))


class IRI(XField):
    """An absolute IRI with a valid scheme (FMT-1, GEN-8); also used for IRLs (FMT-2)."""

    rule = "FMT-1"
    kind = "an absolute IRI"

    def check(self, value):
        if formats.is_iri(value):
            return value
        if type(value) is not str:
            raise wrong_type("a string holding %s" % self.kind, value, self.rule)
        raise XAPIValidationError("%s is not %s with a valid scheme such as http: (%s, GEN-8)"
                                  % (shown(value), self.kind, self.rule))


class IRL(IRI):
    rule = "FMT-2"
    kind = "an absolute IRL"


class UUID(XField):
    """A UUID in 8-4-4-4-12 hex form, either case, returned as received (FMT-4, ID-4)."""

    rule = "FMT-4"

    def check(self, value):
        if formats.is_uuid(value):
            return value
        if type(value) is not str:
            raise wrong_type("a string holding a UUID", value, self.rule)
        raise XAPIValidationError("%s is not a UUID in 8-4-4-4-12 hexadecimal form (%s, FMT-4)"
                                  % (shown(value), self.rule))


class MailtoIRI(XField):
    rule = "IFI-1"

    def check(self, value):
        if type(value) is str and formats._MAILTO.fullmatch(value) is not None:
            return value
        if type(value) is not str:
            raise wrong_type("a string holding a mailto: IRI", value, self.rule)
        raise XAPIValidationError("must be a mailto: IRI with an e-mail address, not %s (IFI-1)" % shown(value))


class Sha1Hex(XField):
    rule = "IFI-2"

    def check(self, value):
        if type(value) is str and formats._SHA1.fullmatch(value) is not None:
            return value
        if type(value) is not str:
            raise wrong_type("a string of 40 hexadecimal digits", value, self.rule)
        raise XAPIValidationError("must be the SHA-1 hex digest (40 hexadecimal digits) of a mailto IRI, "
                                  "not %s (IFI-2)" % shown(value))


class Sha2Hex(XField):
    rule = "ATT-7"

    def check(self, value):
        if (type(value) is str and len(value) in formats.SHA2_LENGTHS
                and formats._SHA2.fullmatch(value) is not None):
            return value
        if type(value) is not str:
            raise wrong_type("a string holding a SHA-2 hex digest", value, self.rule)
        raise XAPIValidationError("must be a SHA-2 hex digest (56, 64, 96 or 128 hexadecimal digits), not %s (ATT-7)"
                                  % shown(value))


class MediaType(XField):
    rule = "ATT-5"

    def check(self, value):
        if type(value) is str and formats._MEDIA_TYPE.fullmatch(value) is not None:
            return value
        if type(value) is not str:
            raise wrong_type("a string holding a media type", value, self.rule)
        raise XAPIValidationError("must be an Internet media type such as text/plain, not %s (ATT-5)" % shown(value))


class LanguageTag(XField):
    rule = "LANG-2"

    def check(self, value):
        if formats.is_language_tag(value):
            return value
        if type(value) is not str:
            raise wrong_type("a string holding an RFC 5646 language tag", value, self.rule)
        raise XAPIValidationError("%s is not an RFC 5646 language tag such as en-US (%s)" % (shown(value), self.rule))


class Duration(XField):
    """An ISO 8601 duration, kept exactly as received (DUR-1, DUR-5)."""

    rule = "DUR-1"

    def check(self, value):
        return formats.check_duration(value)


class Timestamp(XField):
    """A timestamp in the syntax of one version (versions.py). ``normalise``: return it in UTC as
    `YYYY-MM-DDThh:mm:ss.mmmZ` (TIME-8) rather than as received (used for `stored`, TIME-10)."""

    rule = "TIME-1"

    def __init__(self, version_rules, normalise=True, **kwargs):
        super().__init__(**kwargs)
        self.format = version_rules.timestamp
        self.normalise = normalise

    def check(self, value):
        normalised = formats.normalise_timestamp(value, self.format, self.rule)
        return normalised if self.normalise else value


class StatementVersion(XField):
    """The statement's `version` property, accepted per the version rules (SVER-1..SVER-3)."""

    def __init__(self, version_rules, **kwargs):
        super().__init__(rule=version_rules.version_rule, **kwargs)
        self.accepted = version_rules.statement_versions
        self.accepted_text = version_rules.statement_versions_text

    def check(self, value):
        if type(value) is str and self.accepted.fullmatch(value) is not None:
            return value
        if type(value) is not str:
            raise wrong_type("a version string", value, "SVER-1")
        raise XAPIValidationError("statement version %s is not accepted under this xAPI version; expected %s "
                                  "(SVER-1, %s)" % (shown(value), self.accepted_text, self.rule))


# --- maps -----------------------------------------------------------------------------------------

class LanguageMap(XField):
    """{language tag: string} (LANG-1..LANG-4); `{}` accepted (GEN-12)."""

    rule = "LANG-1"

    def check(self, value):
        if type(value) is not dict:
            raise wrong_type("a language map (an object of language tag: string)", value, self.rule)
        is_tag = formats.is_language_tag
        for key, text in value.items():
            if type(text) is not str or not is_tag(key):
                if not is_tag(key):
                    raise XAPIValidationError("%s is not an RFC 5646 language tag such as en-US (LANG-2)"
                                              % shown(key), [key])
                error = wrong_type("a string", text, "LANG-3")
                error.path.insert(0, key)
                raise error
        return dict(value)


def copy_json(value):
    """A deep copy of parsed JSON (dicts and lists rebuilt, scalars shared)."""
    kind = type(value)
    if kind is dict:
        return {key: copy_json(item) for key, item in value.items()}
    if kind is list:
        return [copy_json(item) for item in value]
    return value


class Extensions(XField):
    """{absolute IRI: any JSON value, null included} (EXT-1..EXT-3, EXT-5); `{}` accepted (GEN-12)."""

    rule = "EXT-1"

    def check(self, value):
        if type(value) is not dict:
            raise wrong_type("an extensions object (IRI keys, any values)", value, self.rule)
        is_iri = formats.is_iri
        out = {}
        for key, item in value.items():
            if not is_iri(key):
                raise XAPIValidationError("extension key %s is not an absolute IRI (EXT-2, GEN-8)" % shown(key), [key])
            kind = type(item)
            out[key] = copy_json(item) if kind is dict or kind is list else item
        return out


# --- containers -----------------------------------------------------------------------------------

class Object(fields.Nested):
    """One xAPI object described by an ``XSchema`` subclass."""

    def __init__(self, nested, *, rule=None, **kwargs):
        super().__init__(nested, **kwargs)
        self.rule = rule or nested.type_rule

    def checker(self):
        return self.nested.compiled()

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return self.checker()(value)
        except XAPIValidationError as error:
            raise ValidationError(error.message) from None


class ListOf(fields.List):
    """A JSON array of one kind of element; ``min_length`` (CAG-4) and ``unique_ids`` (ADEF-10)."""

    def __init__(self, inner, *, rule="GEN-3", min_length=0, unique_ids=False, **kwargs):
        super().__init__(inner, **kwargs)
        self.rule = rule
        self.min_length = min_length
        self.unique_ids = unique_ids

    def checker(self):
        inner = self.inner.checker()
        rule, min_length, unique_ids = self.rule, self.min_length, self.unique_ids

        def check(value):
            if type(value) is not list:
                raise wrong_type("an array", value, rule)
            if len(value) < min_length:
                raise XAPIValidationError("must hold at least %d element(s) (%s)" % (min_length, rule))
            try:
                out = [inner(item) for item in value]
            except XAPIValidationError:
                for index, item in enumerate(value):
                    try:
                        inner(item)
                    except XAPIValidationError as error:
                        error.path.insert(0, index)
                        raise
                raise
            if unique_ids and len(out) > 1:
                seen = set()
                for index, item in enumerate(out):
                    if item["id"] in seen:
                        raise XAPIValidationError("repeats the id %s of an earlier component (ADEF-10)"
                                                  % shown(item["id"]), [index, "id"])
                    seen.add(item["id"])
            return out

        return check

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return self.checker()(value)
        except XAPIValidationError as error:
            raise ValidationError(error.message) from None


class ByObjectType(XField):
    """An object whose schema is chosen by its `objectType` (AGT-1, OBJ-1, CTX-3).

    ``types`` maps objectType values to ``XSchema`` classes, with the key ``None`` for a missing
    objectType; ``refused`` maps known-but-not-allowed-here values to a reason (SUB-4, AUTH-2).
    """

    def __init__(self, types, *, refused=None, **kwargs):
        super().__init__(**kwargs)
        self.types = types
        self.refused = refused or {}

    def checker(self):
        checks = {name: schema.compiled() for name, schema in self.types.items()}
        refused, rule = self.refused, self.rule
        allowed = ", ".join('"%s"' % name for name in self.types if name is not None)
        missing_hint = self.missing_hint

        def check(value):
            if type(value) is not dict:
                raise wrong_type("an object (%s)" % allowed.replace('"', ""), value, rule)
            object_type = value.get("objectType")
            if object_type is None or type(object_type) is str:
                check_one = checks.get(object_type)
                if check_one is not None:
                    if object_type is None and missing_hint is not None:
                        try:
                            return check_one(value)
                        except XAPIValidationError:
                            missing_hint(value)
                            raise
                    return check_one(value)
                if object_type in refused:
                    raise XAPIValidationError(refused[object_type], ["objectType"])
                raise XAPIValidationError("must be one of %s (exact case), not %s (%s, GEN-6)"
                                          % (allowed, shown(object_type), rule), ["objectType"])
            raise XAPIValidationError("must be a string, one of %s, not %s (%s, GEN-3)"
                                      % (allowed, json_kind(object_type), rule), ["objectType"])

        return check

    missing_hint = None

    def check(self, value):
        return self.checker()(value)


class ContextActivityList(XField):
    """One Activity or an array of Activities, always returned as an array (CA-3, CA-5)."""

    rule = "CA-3"

    def __init__(self, activity_schema, **kwargs):
        super().__init__(**kwargs)
        self.activity_schema = activity_schema

    def checker(self):
        activity = self.activity_schema.compiled()
        rule = self.rule

        def check(value):
            kind = type(value)
            if kind is dict:
                return [activity(value)]
            if kind is list:
                try:
                    return [activity(item) for item in value]
                except XAPIValidationError:
                    for index, item in enumerate(value):
                        try:
                            activity(item)
                        except XAPIValidationError as error:
                            error.path.insert(0, index)
                            raise
                    raise
            raise wrong_type("an Activity or an array of Activities", value, rule)

        return check

    def check(self, value):
        return self.checker()(value)


# --- schemas ----------------------------------------------------------------------------------------

class XSchema(Schema):
    """Base of the xAPI object schemas.

    Class attributes: ``label`` (the object's name in messages), ``type_rule`` (cited when the value
    is not an object), ``unknown_rules`` (specific requirement ids for keys that are known to be
    wrong at this position, e.g. ``member`` on an Agent, AGT-5). ``rules(out)`` holds the
    object-level rules and runs on the normalised copy after every field passed.
    """

    class Meta:
        unknown = RAISE

    label = "an object"
    type_rule = "GEN-3"
    unknown_rule = "GEN-9"      # cited for any key not defined here
    unknown_rules = {}          # key -> requirement ids, for keys known to be wrong here
    required_rules = {}         # key -> requirement id cited when a required key is missing

    def rules(self, out):
        """Object-level rules; raise XAPIValidationError with a path relative to the object."""

    _compiled = None

    @classmethod
    def compiled(cls):
        """The validating function of this schema, built once per class."""
        compiled = cls.__dict__.get("_compiled")      # per class: a subclass never reuses its parent's
        if compiled is None:
            compiled = cls._compiled = _compile(cls())
        return compiled

    def load(self, data, *, many=None, partial=None, unknown=None):
        """marshmallow's entry point, with the same validation as the compiled function."""
        check = type(self).compiled()
        try:
            if many:
                return [check(item) for item in data]
            return check(data)
        except XAPIValidationError as error:
            raise ValidationError(error.message) from None


def _compile(schema):
    checks = {name: field.checker() for name, field in schema.fields.items()}
    required = tuple((name, schema.required_rules.get(name, field.rule))
                     for name, field in schema.fields.items() if field.required)
    lowered = {name.lower(): name for name in checks}
    rules = schema.rules if type(schema).rules is not XSchema.rules else None
    label, type_rule, unknown_rules = schema.label, schema.type_rule, schema.unknown_rules
    unknown_rule = schema.unknown_rule

    def unknown(key):
        if key in unknown_rules:
            return XAPIValidationError("is not allowed in %s (%s)" % (label, unknown_rules[key]), [key])
        near = lowered.get(key.lower()) if isinstance(key, str) else None
        if near is not None:
            return XAPIValidationError("is not a property of %s; property names are case-sensitive, did you "
                                       "mean %s? (GEN-5)" % (label, shown(near)), [key])
        return XAPIValidationError("is not a property of %s; only %s are allowed (%s)"
                                   % (label, ", ".join(checks), unknown_rule), [key])

    def check(value):
        if type(value) is not dict:
            raise wrong_type(label, value, type_rule)
        out = {}
        for key, item in value.items():
            check_one = checks.get(key)
            if check_one is None:
                raise unknown(key)
            try:
                out[key] = check_one(item)
            except XAPIValidationError as error:
                error.path.insert(0, key)
                raise
        for name, rule in required:
            if name not in out:
                raise XAPIValidationError("is required in %s (%s)" % (label, rule), [name])
        if rules is not None:
            rules(out)
        return out

    return check
