"""GET /xapi/agents: the Person object for an Agent (AGENTS-1..AGENTS-8, STRICT-27, SCOPE-14)."""
import hashlib
import json
import urllib.parse

import pytest

from .conftest import statement
from .documents_fixtures import SHA1_ETAG, credential_client

PERSON_KEYS = {"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"}


def agents_url(agent):
    return "/xapi/agents?agent=" + urllib.parse.quote(json.dumps(agent))


def test_an_agent_seen_with_a_name_comes_back_as_a_person_with_a_name_array_AGENTS_1_AGENTS_6_STRICT_27(client):
    client.post_statements(statement(actor={"objectType": "Agent", "name": "Ada Lovelace",
                                            "mbox": "mailto:ada@example.gov"}))
    response = client.get(agents_url({"mbox": "mailto:ada@example.gov"}))
    assert response.status_code == 200
    assert response.json == {"objectType": "Person", "name": ["Ada Lovelace"], "mbox": ["mailto:ada@example.gov"]}


def test_every_name_seen_for_the_agent_is_listed_AGENTS_6(client):
    for name in ("Ada", "Ada Lovelace"):
        client.post_statements(statement(actor={"name": name, "mbox": "mailto:ada@example.gov"}))
    assert sorted(client.get(agents_url({"mbox": "mailto:ada@example.gov"})).json["name"]) == ["Ada", "Ada Lovelace"]


def test_an_unknown_agent_is_a_person_with_just_its_identifier_AGENTS_5(client):
    response = client.get(agents_url({"objectType": "Agent", "mbox": "mailto:nobody@example.gov"}))
    assert response.status_code == 200
    assert response.json == {"objectType": "Person", "mbox": ["mailto:nobody@example.gov"]}


def test_the_name_given_in_the_request_is_included_AGENTS_5(client):
    response = client.get(agents_url({"name": "Grace", "mbox": "mailto:grace@example.gov"}))
    assert response.json == {"objectType": "Person", "name": ["Grace"], "mbox": ["mailto:grace@example.gov"]}


def test_an_account_is_returned_as_a_complete_object_in_an_array_AGENTS_3(client):
    account = {"homePage": "http://example.gov/sso", "name": "u-123"}
    assert client.get(agents_url({"account": account})).json == {"objectType": "Person", "account": [account]}


def test_the_person_has_only_person_properties_each_an_array_AGENTS_3_AGENTS_4(client):
    client.post_statements(statement())
    person = client.get(agents_url({"mbox": "mailto:ada@example.gov"})).json
    assert set(person) <= PERSON_KEYS
    assert person["objectType"] == "Person"
    assert all(isinstance(value, list) for name, value in person.items() if name != "objectType")


def test_only_the_requested_identifier_is_returned_AGENTS_7(client):
    client.post_statements(statement(actor={"name": "Ada", "openid": "http://openid.example.gov/ada"}))
    client.post_statements(statement(actor={"name": "Ada", "mbox": "mailto:ada@example.gov"}))
    person = client.get(agents_url({"mbox": "mailto:ada@example.gov"})).json
    assert "openid" not in person


def test_a_missing_agent_is_400_AGENTS_2(client):
    response = client.get("/xapi/agents")
    assert response.status_code == 400
    assert "agent" in response.json["error"]["message"]


@pytest.mark.parametrize("agent", ['{"name": "no identifier"}', "true", "not JSON"])
def test_an_invalid_agent_is_400_AGENTS_2(client, agent):
    assert client.get("/xapi/agents?agent=" + urllib.parse.quote(agent)).status_code == 400


def test_a_group_is_400_AGENTS_2(client):
    group = {"objectType": "Group", "mbox": "mailto:team@example.gov"}
    assert client.get(agents_url(group)).status_code == 400


def test_an_unknown_parameter_is_400_DOC_11(client):
    assert client.get(agents_url({"mbox": "mailto:ada@example.gov"}) + "&Agent=x").status_code == 400


def test_the_answer_carries_the_quoted_sha1_of_its_body_as_etag_AGENTS_8_CONC_3(client):
    response = client.get(agents_url({"mbox": "mailto:ada@example.gov"}))
    assert SHA1_ETAG.match(response.headers["ETag"])
    assert response.headers["ETag"] == '"%s"' % hashlib.sha1(response.get_data()).hexdigest()


def test_head_answers_with_the_etag_and_no_body_AGENTS_8_HEAD_1(client):
    url = agents_url({"mbox": "mailto:ada@example.gov"})
    get, head = client.get(url), client.head(url)
    assert head.status_code == 200
    assert head.get_data() == b""
    assert head.headers["ETag"] == get.headers["ETag"]


def test_agents_are_readable_with_the_all_read_scope_SCOPE_14(client):
    assert credential_client(client, ["all/read"]).get(agents_url({"mbox": "mailto:a@example.gov"})).status_code == 200


def test_agents_are_not_readable_with_statements_write_only_SCOPE_14(client):
    writer = credential_client(client, ["statements/write"])
    assert writer.get(agents_url({"mbox": "mailto:a@example.gov"})).status_code == 403


def test_the_agents_resource_answers_under_2_0_AGENTS_1(client20):
    response = client20.get(agents_url({"mbox": "mailto:a@example.gov"}))
    assert response.status_code == 200
    assert response.headers["X-Experience-API-Version"] == "2.0.0"
