"""The layers import one way (issue 10): schemas, the store and the xAPI rules load without Flask;
the HTTP handlers (lrs.api) talk to services only, never to the store; schemas imports nothing of lrs."""
import ast
import pathlib
import re
import subprocess
import sys

import pytest

FLASK_FREE = ["schemas", "lrs.store", "lrs.store.sqlite", "lrs.store.mongo", "lrs.xapi.statements",
              "lrs.xapi.documents", "lrs.xapi.query", "lrs.xapi.activities", "lrs.xapi.agents", "lrs.versions",
              "lrs.services"]


@pytest.mark.parametrize("module", FLASK_FREE)
def test_module_imports_without_flask_or_mongomock(module):
    code = ("import sys, importlib; importlib.import_module(%r); "
            "print(sorted(m for m in ('flask', 'werkzeug', 'mongomock') if m in sys.modules))" % module)
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]", "%s pulls in %s" % (module, loaded.strip())


def test_the_flask_factory_lives_in_lrs_app():
    from lrs.app import create_app
    assert callable(create_app)


ROOT = pathlib.Path(__file__).resolve().parents[2]


def _imported_modules(path, package):
    """The absolute names of the modules a file imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names += [module] + [module + "." + alias.name for alias in node.names]
    return names


def _package_files(package):
    for path in sorted((ROOT / package.replace(".", "/")).rglob("*.py")):
        yield path, ".".join(path.relative_to(ROOT).parent.parts)        # the package a relative import starts in


def test_import_resolution_sees_a_relative_store_import(tmp_path):
    """The checks below can fail: `from ..store import X` inside lrs.api is lrs.store."""
    sample = tmp_path / "handler.py"
    sample.write_text("from ..store import DocumentKey\nfrom . import lrs\nimport lrs.store.sqlite\n")
    names = _imported_modules(sample, "lrs.api")
    assert {"lrs.store", "lrs.store.DocumentKey", "lrs.api.lrs", "lrs.store.sqlite"} <= set(names)


def test_the_http_layer_imports_nothing_from_the_store():
    """HTTP handlers talk to services only (issue 10): lrs.api never imports lrs.store."""
    offenders = ["%s: %s" % (path.relative_to(ROOT), name) for path, package in _package_files("lrs.api")
                 for name in _imported_modules(path, package) if name == "lrs.store" or name.startswith("lrs.store.")]
    assert offenders == []


def test_the_http_layer_never_reaches_for_the_storage_object():
    offenders = ["%s:%d" % (path.relative_to(ROOT), node.lineno) for path, _ in _package_files("lrs.api")
                 for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(node, ast.Attribute) and node.attr == "storage"]
    assert offenders == []


def test_the_http_layer_names_no_database_driver():
    """Driver errors are the store's to translate into lrs errors; the HTTP layer knows lrs errors only."""
    drivers = re.compile(r"\b(sqlite3|pymongo|mongomock|bson)\b")
    offenders = ["%s:%d" % (path.relative_to(ROOT), number) for path, _ in _package_files("lrs.api")
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if drivers.search(line)]
    assert offenders == []


def test_schemas_import_nothing_from_lrs():
    """schemas is a standalone package under the service: no import arrow runs back up to lrs."""
    offenders = ["%s: %s" % (path.relative_to(ROOT), name) for path, package in _package_files("schemas")
                 for name in _imported_modules(path, package) if name == "lrs" or name.startswith("lrs.")]
    assert offenders == []
