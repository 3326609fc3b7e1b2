"""Two LRS deployments for federation tests (issue 12): a department (source) and an agency
(target), each a Flask app on its own database, on the current backend (sqlite and mongomock).

`serve(app)` runs an app on 127.0.0.1 (a free port) with werkzeug's threaded server, so the
forwarder and the pull client talk real HTTP to it; `FaultInjector` wraps an app to answer
scripted faults (500, 503, 429, 400, ...) before letting requests through.
"""
import threading
import time
from collections import deque

import pytest
from cryptography.fernet import Fernet
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from lrs.app import create_app
from tests.api.conftest import backend  # noqa: F401  (the fixture: every test on every backend)
from tests.api.conftest import ADMIN_KEY, ADMIN_SECRET, XAPIClient, _database_url, make_settings

SECRET_KEY = Fernet.generate_key().decode()


@pytest.fixture
def make_app(backend, tmp_path):
    apps = []

    def factory(name):
        (tmp_path / name).mkdir()
        app = create_app(make_settings(_database_url(backend, tmp_path / name), secret_key=SECRET_KEY),
                         announce=lambda message: None)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["lrs"].storage.close()


@pytest.fixture
def department(make_app):
    return make_app("department")


@pytest.fixture
def agency(make_app):
    return make_app("agency")


def client_of(app, version="1.0.3"):
    return XAPIClient(app, version)


class Served:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_port

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve():
    running = []

    def start(app):
        served = Served(app)
        running.append(served)
        return served

    yield start
    for served in running:
        served.stop()


class FaultInjector:
    """WSGI middleware: answers the scripted faults in turn (status, headers, body), then, or
    for every request when `always` is set, passes requests on and counts them. With
    `fail_after` N, `always` is set to that fault once N requests have passed (a source going
    down mid-run)."""

    def __init__(self, app, faults=(), always=None, fail_after=None):
        self.app = app
        self.faults = deque(faults)
        self.always = always
        self.fail_after = fail_after          # (count, fault) or None
        self.passed = []                  # (method, path) of requests that reached the LRS
        self.queries = []                 # their query strings
        self.seen = 0

    def __call__(self, environ, start_response):
        self.seen += 1
        if self.fail_after and len(self.passed) >= self.fail_after[0]:
            self.always, self.fail_after = self.fail_after[1], None
        fault = self.always or (self.faults.popleft() if self.faults else None)
        if isinstance(fault, Stall):
            time.sleep(fault.seconds)         # the client gives up; the request is then handled
            fault = None
        if fault is CUT_SHORT:
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "1000")])
            return _cut_short()
        if fault is not None:
            status, headers, body = fault
            return Response(body, status=status, headers=headers)(environ, start_response)
        self.passed.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        self.queries.append(environ.get("QUERY_STRING", ""))
        return self.app(environ, start_response)


class Stall:
    """A fault of FaultInjector: hold the request `seconds`, then let it through (a target that
    stores the statements but whose answer comes too late)."""

    def __init__(self, seconds):
        self.seconds = seconds


# a fault of FaultInjector: the answer announces 1000 bytes, and the connection closes after 6
CUT_SHORT = object()


def _cut_short():
    yield b'["cut"'
    raise ConnectionAbortedError("the fault injector closes the connection mid-body")

ADMIN = (ADMIN_KEY, ADMIN_SECRET)


@pytest.fixture
def cli(department, monkeypatch, capsys):
    """cli(*argv) -> what `python -m lrs ARGV` prints, run against the department's database."""
    settings = department.extensions["lrs"].settings
    monkeypatch.setattr("lrs.config.Settings.from_env", classmethod(lambda cls, environ=None: settings))

    def run(*argv):
        from lrs.__main__ import main
        capsys.readouterr()
        main(list(argv))
        return capsys.readouterr().out

    return run
