"""Shared test set-up: the repository root on sys.path so `lrs` and `schemas` import."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests import mongo_double  # noqa: E402  (needs the path above)

mongo_double.register()          # mongomock://NAME opens the MongoDB backend on the test double
_DATA = os.path.join(ROOT, "data")
_DATA_EXISTED = os.path.exists(_DATA)


def pytest_sessionfinish(session, exitstatus):
    """Tests keep their databases in tmp paths: a run that leaves a data/ directory in the
    repository root (the default database location) fails (issue 11)."""
    if not _DATA_EXISTED and os.path.exists(_DATA):
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.ensure_newline()
        reporter.write_line(
            "FAILED: the test run left %s behind (a test used the default database location)" % _DATA,
            red=True)
        session.exitstatus = 1
