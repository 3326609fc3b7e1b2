"""Helpers and fixtures for the document-resource tests (State, Activity Profile, Agent Profile).

`docs` / `docs20` run a test once per document resource, under xAPI 1.0.3 / 2.0, on every
backend of tests/api/conftest.py. Import the fixtures you use by name into the test module.
"""
import json
import re
import urllib.parse
from dataclasses import dataclass, field

import pytest

from lrs.auth import create_credential

from .conftest import XAPIClient

AGENT = {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.gov"}
OTHER_AGENT = {"objectType": "Agent", "mbox": "mailto:grace@example.gov"}
ACTIVITY_ID = "http://example.gov/activities/unit-1"
OTHER_ACTIVITY_ID = "http://example.gov/activities/unit-2"
REGISTRATION = "8f87ccde-bb56-4c2e-ab83-44982ef22df0"
SHA1_ETAG = re.compile(r'^"[0-9a-f]{40}"$')
HTTP_DATE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                       r"\d{4} \d\d:\d\d:\d\d GMT$")


@dataclass(frozen=True)
class Resource:
    name: str                 # state | activity_profile | agent_profile
    path: str
    id_name: str
    base: dict = field(default_factory=dict)      # the parameters that name the owner

    @property
    def is_profile(self):
        return self.name != "state"


STATE = Resource("state", "/xapi/activities/state", "stateId",
                 {"activityId": ACTIVITY_ID, "agent": json.dumps(AGENT)})
ACTIVITY_PROFILE = Resource("activity_profile", "/xapi/activities/profile", "profileId",
                            {"activityId": ACTIVITY_ID})
AGENT_PROFILE = Resource("agent_profile", "/xapi/agents/profile", "profileId", {"agent": json.dumps(AGENT)})
RESOURCES = [STATE, ACTIVITY_PROFILE, AGENT_PROFILE]
PROFILES = [ACTIVITY_PROFILE, AGENT_PROFILE]


def _bytes(body):
    if isinstance(body, (dict, list)):
        return json.dumps(body).encode("utf-8")
    if isinstance(body, str):
        return body.encode("utf-8")
    return body


class Documents:
    """Requests on one document resource, with its owner parameters filled in."""

    def __init__(self, client: XAPIClient, resource: Resource):
        self.client = client
        self.resource = resource

    def with_client(self, client):
        return Documents(client, self.resource)

    def params(self, doc_id=None, **extra):
        params = dict(self.resource.base)
        if doc_id is not None:
            params[self.resource.id_name] = doc_id
        for name, value in extra.items():
            if value is None:
                params.pop(name, None)
            else:
                params[name] = value
        return params

    def url(self, doc_id=None, **extra):
        return self.resource.path + "?" + urllib.parse.urlencode(self.params(doc_id, **extra))

    def _write(self, method, doc_id, body, content_type, headers, extra):
        sent = dict(headers or {})
        if content_type is not None:
            sent["Content-Type"] = content_type
        return self.client.request(method, self.url(doc_id, **extra), headers=sent, data=_bytes(body))

    def put(self, doc_id, body, content_type="application/json", headers=None, **extra):
        return self._write("PUT", doc_id, body, content_type, headers, extra)

    def post(self, doc_id, body, content_type="application/json", headers=None, **extra):
        return self._write("POST", doc_id, body, content_type, headers, extra)

    def get(self, doc_id=None, headers=None, **extra):
        return self.client.get(self.url(doc_id, **extra), headers=headers)

    def head(self, doc_id=None, **extra):
        return self.client.head(self.url(doc_id, **extra))

    def delete(self, doc_id=None, headers=None, **extra):
        return self.client.delete(self.url(doc_id, **extra), headers=headers)

    def create(self, doc_id, body, content_type="application/json", **extra):
        """PUT with If-None-Match: * (accepted by every resource and version); returns the ETag."""
        response = self.put(doc_id, body, content_type, headers={"If-None-Match": "*"}, **extra)
        assert response.status_code == 204, response.get_data(as_text=True)
        return self.etag(doc_id, **extra)

    def etag(self, doc_id, **extra):
        response = self.get(doc_id, **extra)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.headers["ETag"]

    def body(self, doc_id, **extra):
        return self.get(doc_id, **extra).get_data()


def credential_client(client, scopes):
    """A client of the same app authenticated by a new credential with only `scopes`."""
    storage = client.app.extensions["lrs"].storage
    store = storage.get_store("default")
    key, secret = create_credential(storage, store.id, scopes, iterations=1000)
    return client.with_auth(key, secret)


@pytest.fixture(params=RESOURCES, ids=[r.name for r in RESOURCES])
def docs(request, client):
    """Every document resource under xAPI 1.0.3."""
    return Documents(client, request.param)


@pytest.fixture(params=RESOURCES, ids=[r.name for r in RESOURCES])
def docs20(request, client20):
    """Every document resource under xAPI 2.0."""
    return Documents(client20, request.param)


@pytest.fixture(params=PROFILES, ids=[r.name for r in PROFILES])
def profiles(request, client):
    """The two profile resources under xAPI 1.0.3."""
    return Documents(client, request.param)


@pytest.fixture(params=PROFILES, ids=[r.name for r in PROFILES])
def profiles20(request, client20):
    return Documents(client20, request.param)


@pytest.fixture
def state(client):
    return Documents(client, STATE)


@pytest.fixture
def state20(client20):
    return Documents(client20, STATE)
