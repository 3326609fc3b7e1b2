"""The layers import one way: schemas, the store and the xAPI rules load without Flask (issue 10)."""
import subprocess
import sys

import pytest

FLASK_FREE = ["schemas", "lrs.store", "lrs.store.sqlite", "lrs.store.mongo", "lrs.xapi.statements",
              "lrs.xapi.documents", "lrs.xapi.query", "lrs.services"]


@pytest.mark.parametrize("module", FLASK_FREE)
def test_module_imports_without_flask_or_mongomock(module):
    code = ("import sys, importlib; importlib.import_module(%r); "
            "print(sorted(m for m in ('flask', 'werkzeug', 'mongomock') if m in sys.modules))" % module)
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]", "%s pulls in %s" % (module, loaded.strip())


def test_the_flask_factory_lives_in_lrs_app():
    from lrs.app import create_app
    assert callable(create_app)
