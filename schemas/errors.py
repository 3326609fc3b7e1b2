"""The one exception type of the schemas package.

An error is raised deep inside a validator with a path relative to that validator; each enclosing
object or array prepends its key or index while the exception travels up (``path.insert``), so the
success path never builds paths at all.
"""


class XAPIValidationError(ValueError):
    """A value broke an xAPI data rule.

    ``path``    list of keys (str) and indexes (int) from the root to the offending value;
    ``detail``  what is wrong, ending with the requirement id(s), e.g. ``... (IFI-1)``;
    ``root``    name of the whole value (``statement``, ``agent``, ``statements``, a parameter name);
    ``message`` ``root.path: detail``, e.g. ``statement.actor.mbox: must be a mailto: IRI ... (IFI-1)``.
    """

    def __init__(self, detail, path=None, root="statement"):
        super().__init__(detail)
        self.detail = detail
        self.path = list(path) if path else []
        self.root = root

    @property
    def message(self):
        return "%s%s: %s" % (self.root, format_path(self.path), self.detail)

    def __str__(self):
        return self.message


def wrong_type(expected, value, rule):
    """The error for a value of the wrong JSON type; null gets its own rule (GEN-2)."""
    if value is None:
        return XAPIValidationError("must not be null (GEN-2)")
    if type(value) is str and expected in ("a number", "a boolean", "an integer"):
        return XAPIValidationError("must be %s, not a string (%s %s; GEN-3)" % (expected, shown(value), rule))
    return XAPIValidationError("must be %s, not %s (%s, GEN-3)" % (expected, json_kind(value), rule))


def format_path(path):
    return "".join("[%d]" % part if isinstance(part, int) else "." + part for part in path)


def json_kind(value):
    """The JSON type name of a parsed value, for messages."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string" if value else "empty string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def shown(value, limit=60):
    """A short repr of a value for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
