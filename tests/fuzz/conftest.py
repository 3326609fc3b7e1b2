"""Fixtures of the API fuzzing: an LRS on the default backend, a credential made for the run, and
the schemathesis schema loaded from the application's own /openapi.json."""
import pytest
import schemathesis

from lrs.auth import create_credential
from tests import strategies
from tests.api.conftest import basic, backend, make_app  # noqa: F401

SEED = 15                 # issue 15; a fixed seed so that every run fuzzes with the same inputs


def fuzz_config():
    """schemathesis settings: explicit examples and fuzzing phases (positive and negative data),
    bounded by the hypothesis profile of tests/strategies.py."""
    return schemathesis.Config.from_dict({
        "seed": SEED,
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": False},
                   "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
        "generation": {"mode": "all", "max-examples": strategies.examples(12),
                       "deterministic": strategies.is_ci(), "database": "none"},
    })


@pytest.fixture
def fuzzed(make_app):
    """(app, Authorization header value of a fresh credential with scope `all`)."""
    app = make_app(sqlite_synchronous="NORMAL")
    storage = app.extensions["lrs"].storage
    store_id = storage.get_store("default").id
    key, secret = create_credential(storage, store_id, ["all"], name="fuzzer", iterations=1000)
    return app, basic(key, secret)
