"""Fixtures for tests that drive the LRS over HTTP (Flask test client).

`client` runs every API test against both backends: the embedded SQLite default and the
MongoDB backend (mongomock in memory, or a real server when LRS_TEST_MONGODB_URL is set).
"""
import base64
import os
import uuid

import pytest

from lrs.app import create_app
from lrs.config import Settings

ADMIN_KEY, ADMIN_SECRET = "admin", "admin-secret-for-tests"


def _database_url(backend, tmp_path):
    if backend == "sqlite":
        return "sqlite:///" + str(tmp_path / "lrs.sqlite3")
    if backend == "mongodb":
        base = os.environ["LRS_TEST_MONGODB_URL"].rstrip("/")
        return "%s/lrs_test_%s" % (base, uuid.uuid4().hex[:12])
    return "mongomock://test-%s" % uuid.uuid4().hex


BACKENDS = ["sqlite", "mongomock"] + (["mongodb"] if os.environ.get("LRS_TEST_MONGODB_URL") else [])


def basic(key, secret):
    return "Basic " + base64.b64encode(("%s:%s" % (key, secret)).encode()).decode()


class XAPIClient:
    """A test client that sends credentials and a version header unless told otherwise."""

    def __init__(self, app, version="1.0.3", auth=(ADMIN_KEY, ADMIN_SECRET)):
        self.app = app
        self.flask = app.test_client()
        self.version = version
        self.auth = auth

    def with_version(self, version):
        return XAPIClient(self.app, version, self.auth)

    def with_auth(self, key, secret):
        return XAPIClient(self.app, self.version, (key, secret))

    def request(self, method, path, headers=None, version=True, auth=True, **kwargs):
        sent = {}
        if auth and self.auth:
            sent["Authorization"] = basic(*self.auth)
        if version and self.version:
            sent["X-Experience-API-Version"] = self.version
        sent.update(headers or {})
        return self.flask.open(path, method=method, headers=sent, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def head(self, path, **kwargs):
        return self.request("HEAD", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def post_statements(self, statements, **kwargs):
        return self.post("/xapi/statements", json=statements, **kwargs)


def make_settings(database_url, **changes):
    values = dict(database_url=database_url, admin_key=ADMIN_KEY, admin_secret=ADMIN_SECRET,
                  secret_hash_iterations=1000, fallback_xapi_version="1.0.3")
    values.update(changes)
    return Settings(**values)


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def make_app(backend, tmp_path):
    """Build an app on the current backend with settings changed as the test needs."""
    apps = []

    def factory(**changes):
        app = create_app(make_settings(_database_url(backend, tmp_path / str(len(apps))), **changes),
                         announce=lambda message: None)
        apps.append(app)
        return app

    (tmp_path / "0").mkdir(exist_ok=True)
    yield factory
    for app in apps:
        app.extensions["lrs"].storage.close()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return XAPIClient(app, "1.0.3")


@pytest.fixture
def client20(app):
    return XAPIClient(app, "2.0.0")


def statement(**overrides):
    """A small valid statement; keyword arguments replace or add top-level properties."""
    base = {
        "actor": {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.gov"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {"objectType": "Activity", "id": "http://example.gov/courses/safety",
                   "definition": {"name": {"en-US": "Safety"}}},
    }
    base.update(overrides)
    return base
