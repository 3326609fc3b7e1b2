"""Parameters of the document resources: required, invalid, unknown; State registrations; scopes
(STATE-2..STATE-6, STATE-13, STATE-14, STATE-16, GPROF-2..GPROF-4, APROF-2, APROF-3, DOC-3, DOC-11,
SCOPE-4, SCOPE-5, SCOPE-7, SCOPE-14).
"""
import json

import pytest

from lrs.auth import create_credential

from .documents_fixtures import (  # noqa: F401
    ACTIVITY_PROFILE, AGENT, AGENT_PROFILE, OTHER_AGENT, REGISTRATION, STATE, Documents, credential_client,
    docs, state,
)

METHODS = ["GET", "PUT", "POST", "DELETE"]


def send(documents, method, doc_id="doc", **params):
    """One request of `method` with the resource's parameters changed by `params` (None removes)."""
    if method in ("PUT", "POST"):
        return documents._write(method, doc_id, b"{}", "application/json", {"If-None-Match": "*"}, params)
    return documents.client.request(method, documents.url(doc_id, **params))


# --- State ------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_state_without_activity_id_is_400_STATE_2(state, method):
    response = send(state, method, activityId=None)
    assert response.status_code == 400
    assert "activityId" in response.json["error"]["message"]


@pytest.mark.parametrize("method", METHODS)
def test_state_with_an_activity_id_that_is_not_an_iri_is_400_STATE_2(state, method):
    assert send(state, method, activityId="true").status_code == 400


@pytest.mark.parametrize("method", METHODS)
def test_state_without_agent_is_400_STATE_3(state, method):
    response = send(state, method, agent=None)
    assert response.status_code == 400
    assert "agent" in response.json["error"]["message"]


@pytest.mark.parametrize("agent", ["true", "not JSON", '{"name": "no identifier"}', '{"mbox": "ada@example.gov"}',
                                   '{"mbox": "mailto:ada@example.gov"', '["mailto:ada@example.gov"]'])
def test_state_with_an_invalid_agent_is_400_STATE_3(state, agent):
    assert send(state, "PUT", agent=agent).status_code == 400


@pytest.mark.parametrize("method", METHODS)
def test_state_with_a_registration_that_is_not_a_uuid_is_400_STATE_4(state, method):
    assert send(state, method, registration="true").status_code == 400


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_state_write_without_state_id_is_400_STATE_5(state, method):
    response = send(state, method, doc_id=None)
    assert response.status_code == 400
    assert "stateId" in response.json["error"]["message"]


def test_a_state_with_a_registration_is_a_different_document_STATE_6_STATE_14(state):
    state.create("doc", b"with", "text/plain", registration=REGISTRATION)
    assert state.get("doc").status_code == 404
    assert state.body("doc", registration=REGISTRATION) == b"with"


def test_registration_case_does_not_make_another_document_STATE_6(state):
    state.create("doc", b"with", "text/plain", registration=REGISTRATION)
    assert state.body("doc", registration=REGISTRATION.upper()) == b"with"


def test_the_id_list_without_registration_covers_every_registration_STATE_14(state):
    state.create("plain", b"1", "text/plain")
    state.create("registered", b"2", "text/plain", registration=REGISTRATION)
    assert state.get().json == ["plain", "registered"]


def test_the_id_list_with_a_registration_covers_only_it_STATE_10(state):
    state.create("plain", b"1", "text/plain")
    state.create("registered", b"2", "text/plain", registration=REGISTRATION)
    assert state.get(registration=REGISTRATION).json == ["registered"]


def test_delete_without_state_id_deletes_every_state_of_the_activity_and_agent_STATE_13_STATE_14(state):
    state.create("a", b"1", "text/plain")
    state.create("b", b"2", "text/plain", registration=REGISTRATION)
    assert state.delete().status_code == 204
    assert state.get().json == []


def test_delete_without_state_id_keeps_other_agents_documents_STATE_13(state):
    other = Documents(state.client, STATE)
    state.create("a", b"1", "text/plain")
    other.create("a", b"other", "text/plain", agent=json.dumps(OTHER_AGENT))
    state.delete()
    assert other.body("a", agent=json.dumps(OTHER_AGENT)) == b"other"


def test_delete_all_with_a_registration_keeps_the_other_registrations_STATE_13(state):
    state.create("a", b"1", "text/plain")
    state.create("b", b"2", "text/plain", registration=REGISTRATION)
    state.delete(registration=REGISTRATION)
    assert state.get().json == ["a"]


def test_since_on_delete_is_400_and_nothing_is_deleted_STATE_16(state):
    state.create("a", b"1", "text/plain")
    assert state.delete(since="2020-01-01T00:00:00Z").status_code == 400
    assert state.get().json == ["a"]


def test_state_may_belong_to_an_identified_group_STATE_3(state):
    group = json.dumps({"objectType": "Group", "mbox": "mailto:team@example.gov"})
    assert state.put("doc", {"a": 1}, agent=group).status_code == 204
    assert state.get("doc", agent=group).json == {"a": 1}


def test_the_agent_is_matched_by_identifier_not_by_name_STATE_6(state):
    state.create("doc", b"1", "text/plain")
    renamed = json.dumps({"mbox": AGENT["mbox"], "name": "Someone else"})
    assert state.body("doc", agent=renamed) == b"1"


# --- profiles ------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_activity_profile_without_activity_id_is_400_APROF_2(client, method):
    response = send(Documents(client, ACTIVITY_PROFILE), method, activityId=None)
    assert response.status_code == 400


@pytest.mark.parametrize("method", METHODS)
def test_activity_profile_with_an_invalid_activity_id_is_400_APROF_2(client, method):
    assert send(Documents(client, ACTIVITY_PROFILE), method, activityId="not an iri").status_code == 400


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_activity_profile_without_profile_id_is_400_APROF_3(client, method):
    response = send(Documents(client, ACTIVITY_PROFILE), method, doc_id=None)
    assert response.status_code == 400
    assert "profileId" in response.json["error"]["message"]


@pytest.mark.parametrize("method", METHODS)
def test_agent_profile_without_agent_is_400_GPROF_2(client, method):
    assert send(Documents(client, AGENT_PROFILE), method, agent=None).status_code == 400


@pytest.mark.parametrize("agent", ["true", "not JSON", '{"name": "no identifier"}'])
def test_agent_profile_with_an_invalid_agent_is_400_GPROF_2(client, agent):
    assert send(Documents(client, AGENT_PROFILE), "GET", agent=agent).status_code == 400


def test_agent_profile_for_a_group_is_400_GPROF_3(client):
    group = json.dumps({"objectType": "Group", "mbox": "mailto:team@example.gov"})
    response = send(Documents(client, AGENT_PROFILE), "PUT", agent=group)
    assert response.status_code == 400
    assert "Group" in response.json["error"]["message"]


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_agent_profile_without_profile_id_is_400_GPROF_4(client, method):
    assert send(Documents(client, AGENT_PROFILE), method, doc_id=None).status_code == 400


# --- every resource ----------------------------------------------------------------------------

def test_an_unknown_parameter_is_400_DOC_11(docs):
    response = send(docs, "GET", dummy="1")
    assert response.status_code == 400
    assert "dummy" in response.json["error"]["message"]


def test_a_mis_cased_parameter_is_400_DOC_11(docs):
    name = docs.resource.id_name
    response = docs.client.get(docs.resource.path + "?" + "&".join(
        ["%s=%s" % (k, v) for k, v in docs.params().items()] + ["%s=doc" % name.lower()]))
    assert response.status_code == 400


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_since_on_a_write_is_400_DOC_11(docs, method):
    assert send(docs, method, since="2020-01-01T00:00:00Z").status_code == 400
    assert docs.get("doc").status_code == 404


def test_a_repeated_parameter_is_400_DOC_11(docs):
    url = docs.url("doc") + "&" + docs.resource.id_name + "=other"
    assert docs.client.get(url).status_code == 400


def test_an_empty_document_id_is_400_DOC_10(docs):
    assert send(docs, "GET", doc_id="").status_code == 400


def test_documents_about_unknown_activities_and_agents_are_accepted_DOC_3(docs):
    fresh = {"activityId": "http://example.gov/never/seen",
             "agent": json.dumps({"account": {"homePage": "http://example.gov", "name": "new"}})}
    fresh = {name: value for name, value in fresh.items() if name in docs.resource.base}
    assert send(docs, "PUT", **fresh).status_code == 204
    assert docs.get("doc", **fresh).status_code == 200


def test_a_write_rejected_for_its_parameters_stores_nothing_DOC_8(docs):
    assert send(docs, "PUT", dummy="x").status_code == 400
    assert docs.get().json == []


# --- scopes ------------------------------------------------------------------------------------

def test_the_state_scope_reads_and_writes_state_SCOPE_4(client):
    scoped = Documents(credential_client(client, ["state"]), STATE)
    assert scoped.put("doc", {"a": 1}).status_code == 204
    assert scoped.get("doc").status_code == 200
    assert scoped.delete("doc").status_code == 204


def test_the_state_scope_does_not_reach_profiles_SCOPE_14(client):
    scoped = Documents(credential_client(client, ["state"]), ACTIVITY_PROFILE)
    assert scoped.get().status_code == 403


def test_the_profile_scope_reads_and_writes_both_profiles_SCOPE_5(client):
    scoped = credential_client(client, ["profile"])
    for resource in (ACTIVITY_PROFILE, AGENT_PROFILE):
        documents = Documents(scoped, resource)
        assert documents.put("doc", {"a": 1}, headers={"If-None-Match": "*"}).status_code == 204
        assert documents.get("doc").status_code == 200


def test_the_profile_scope_does_not_reach_state_SCOPE_14(client):
    assert Documents(credential_client(client, ["profile"]), STATE).put("doc", {"a": 1}).status_code == 403


def test_all_read_reads_documents_but_cannot_write_them_SCOPE_7(docs):
    docs.create("doc", {"a": 1})
    reader = docs.with_client(credential_client(docs.client, ["all/read"]))
    assert reader.get("doc").status_code == 200
    assert reader.get().status_code == 200
    assert reader.put("doc", {"a": 2}, headers={"If-Match": "*"}).status_code == 403
    assert reader.delete("doc").status_code == 403
    assert docs.get("doc").json == {"a": 1}


def test_statement_scopes_do_not_reach_documents_SCOPE_14(docs):
    writer = docs.with_client(credential_client(docs.client, ["statements/write", "statements/read"]))
    assert writer.get().status_code == 403


def test_the_all_scope_writes_documents_SCOPE_7(docs):
    everything = docs.with_client(credential_client(docs.client, ["all"]))
    assert everything.put("doc", {"a": 1}, headers={"If-None-Match": "*"}).status_code == 204


def test_another_store_sees_none_of_the_documents_SEC_9(docs):
    """README.md, Stores and credentials: every document belongs to one store and is never read across stores."""
    docs.create("doc", {"a": 1})
    storage = docs.client.app.extensions["lrs"].storage
    other = storage.create_store("other-department")
    key, secret = create_credential(storage, other.id, ["all"], iterations=1000)
    outsider = docs.with_client(docs.client.with_auth(key, secret))
    assert outsider.get("doc").status_code == 404
    assert outsider.get().json == []
