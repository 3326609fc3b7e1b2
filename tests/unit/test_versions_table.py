"""One version table (issue 10, VER-15): schemas.versions holds every rule that differs between
xAPI 1.0.3 and 2.0.0, for the schemas, the service layer and the HTTP layer alike, and no other
module names or compares a version string."""
import ast
import dataclasses
import pathlib
import re

import pytest

from schemas.versions import RULES, SUPPORTED_VERSIONS, VersionRules, rules_for

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCES = ["lrs", "schemas", "deploy", "wsgi.py"]
TABLE_MODULE = pathlib.Path("schemas", "versions.py")

# A string that is a version ("1.0.3", "2.0", "2."), or a regular expression matching one.
VERSION_VALUE = re.compile(r"\s*[12]\.(?:0(?:\.\d+)?)?\s*")
VERSION_REGEX = re.compile(r"[12]\\\.0")


def _source_files():
    for name in SOURCES:
        path = ROOT / name
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def _docstrings(tree):
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def version_literals(path):
    """(line, value) of every string constant in the file that is a version or matches one;
    docstrings and prose (an error message saying "xAPI 2.0") are not comparisons."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = _docstrings(tree)
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and (VERSION_VALUE.fullmatch(node.value) or VERSION_REGEX.search(node.value))]


def test_the_scan_sees_a_version_comparison(tmp_path):
    """The scan itself can fail: a comparison, a table key and a header regex are all found."""
    module = tmp_path / "sample.py"
    module.write_text('"""Docstring naming 1.0.3 is fine."""\n'
                      'import re\n'
                      'def f(version):\n'
                      '    """So is this: 2.0.0."""\n'
                      '    if version == "2.0.0":\n'
                      '        return {"1.0.3": 1}\n'
                      '    raise ValueError("prose about xAPI 2.0 is fine")\n'
                      'HEADER = re.compile(r"^2\\.0(\\.\\d+)?$")\n')
    assert sorted(line for line, _ in version_literals(module)) == [5, 6, 8]


def test_no_module_but_the_table_compares_version_strings_VER_15():
    offenders = ["%s:%d %r" % (path.relative_to(ROOT), line, value)
                 for path in _source_files() if path.relative_to(ROOT) != TABLE_MODULE
                 for line, value in version_literals(path)]
    assert offenders == [], "version strings outside schemas/versions.py: " + "; ".join(offenders)


def test_the_table_lists_exactly_the_supported_versions():
    assert tuple(RULES) == SUPPORTED_VERSIONS
    assert [rules.version for rules in RULES.values()] == list(SUPPORTED_VERSIONS)


def test_every_rule_is_a_required_field_so_no_version_inherits_a_default():
    for field in dataclasses.fields(VersionRules):
        assert field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING, field.name


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_each_version_sets_every_field_of_the_table(version):
    rules = RULES[version]
    missing = [field.name for field in dataclasses.fields(VersionRules) if getattr(rules, field.name, None) is None]
    assert missing == []


def test_the_table_holds_the_data_service_and_http_rules():
    """Both former tables in one: schemas' data rules and lrs' service and HTTP rules."""
    names = {field.name for field in dataclasses.fields(VersionRules)}
    assert {"timestamp", "statement_versions", "version_rule",                        # TIME-4, SVER-2/3
            "statement_version_default", "conflicts_ignore_attachments",               # SVER-5, CMP-12
            "profile_put_new_requires_precondition", "state_put_existing_conflicts",   # CONC-11..CONC-14
            "alternate_syntax", "headers"} <= names                                     # ALT-11, VER-2..VER-5


def _comparable(value):
    if isinstance(value, re.Pattern):
        return value.pattern
    if hasattr(value, "rfc3339"):           # schemas.formats.TimestampFormat
        return value.rfc3339
    return value


def test_every_field_differs_between_the_versions():
    """The table holds only rules that differ; a rule both versions share belongs in the code."""
    old, new = RULES[SUPPORTED_VERSIONS[0]], RULES[SUPPORTED_VERSIONS[1]]
    same = [field.name for field in dataclasses.fields(VersionRules)
            if _comparable(getattr(old, field.name)) == _comparable(getattr(new, field.name))]
    assert same == []


@pytest.mark.parametrize("alias, version", [("1.0", "1.0.3"), ("1.0.1", "1.0.3"), ("1.0.3", "1.0.3"),
                                            ("2.0", "2.0.0"), ("2.0.0", "2.0.0"), ("2.0.7", "2.0.0")])
def test_rules_for_reads_the_aliases_of_a_version_VER_2_to_VER_5(alias, version):
    assert rules_for(alias) is RULES[version]


@pytest.mark.parametrize("value", ["0.95", "1.1", "3.0", "2.0.x", "", None])
def test_rules_for_refuses_other_versions_as_a_caller_bug(value):
    with pytest.raises(ValueError):
        rules_for(value)
