"""GET /xapi/activities: the Activity with its canonical definition (ACTS-1..ACTS-6, STRICT-28, SCOPE-14)."""
import hashlib

import pytest

from lrs.auth import create_credential

from .conftest import statement
from .documents_fixtures import SHA1_ETAG, credential_client

ACTIVITY = {"objectType": "Activity", "id": "http://example.gov/courses/fire-safety",
            "definition": {"name": {"en-US": "Fire safety"}, "description": {"en-US": "A short course"},
                           "type": "http://adlnet.gov/expapi/activities/course"}}


def activity_url(activity_id):
    return "/xapi/activities?activityId=" + activity_id


def test_an_activity_seen_in_one_statement_comes_back_as_sent_ACTS_1_ACTS_3_STRICT_28(client):
    assert client.post_statements(statement(object=ACTIVITY)).status_code == 200
    response = client.get(activity_url(ACTIVITY["id"]))
    assert response.status_code == 200
    assert response.json == ACTIVITY


def test_the_definition_gathers_languages_from_every_statement_ACTS_4(client):
    client.post_statements(statement(object=ACTIVITY))
    french = {"objectType": "Activity", "id": ACTIVITY["id"], "definition": {"name": {"fr-FR": "Sécurité incendie"}}}
    client.post_statements(statement(object=french))
    name = client.get(activity_url(ACTIVITY["id"])).json["definition"]["name"]
    assert name == {"en-US": "Fire safety", "fr-FR": "Sécurité incendie"}


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_an_unknown_activity_is_a_bare_activity_ACTS_5_STRICT_28(client, version):
    response = client.with_version(version).get(activity_url("http://example.gov/never/seen"))
    assert response.status_code == 200
    assert response.json == {"objectType": "Activity", "id": "http://example.gov/never/seen"}


def test_an_activity_seen_without_definition_has_no_definition_ACTS_3(client):
    client.post_statements(statement(object={"id": "http://example.gov/bare"}))
    assert client.get(activity_url("http://example.gov/bare")).json == {
        "objectType": "Activity", "id": "http://example.gov/bare"}


def test_a_missing_activity_id_is_400_ACTS_2(client):
    response = client.get("/xapi/activities")
    assert response.status_code == 400
    assert "activityId" in response.json["error"]["message"]


def test_an_activity_id_that_is_not_an_iri_is_400_ACTS_2(client):
    assert client.get(activity_url("true")).status_code == 400


def test_an_unknown_parameter_is_400_DOC_11(client):
    assert client.get(activity_url(ACTIVITY["id"]) + "&activityid=x").status_code == 400


def test_the_answer_carries_the_quoted_sha1_of_its_body_as_etag_ACTS_6_CONC_3(client):
    client.post_statements(statement(object=ACTIVITY))
    response = client.get(activity_url(ACTIVITY["id"]))
    assert SHA1_ETAG.match(response.headers["ETag"])
    assert response.headers["ETag"] == '"%s"' % hashlib.sha1(response.get_data()).hexdigest()


def test_the_etag_changes_when_the_definition_changes_ACTS_6(client):
    client.post_statements(statement(object=ACTIVITY))
    before = client.get(activity_url(ACTIVITY["id"])).headers["ETag"]
    client.post_statements(statement(object={"id": ACTIVITY["id"], "definition": {"name": {"de-DE": "Brandschutz"}}}))
    assert client.get(activity_url(ACTIVITY["id"])).headers["ETag"] != before


def test_head_answers_with_the_etag_and_no_body_ACTS_6_HEAD_1(client):
    client.post_statements(statement(object=ACTIVITY))
    get, head = client.get(activity_url(ACTIVITY["id"])), client.head(activity_url(ACTIVITY["id"]))
    assert head.status_code == 200
    assert head.get_data() == b""
    assert head.headers["ETag"] == get.headers["ETag"]


def test_activities_are_readable_with_statements_read_mine_SCOPE_14(client):
    reader = credential_client(client, ["statements/read/mine"])
    assert reader.get(activity_url(ACTIVITY["id"])).status_code == 200


def test_activities_are_not_readable_with_statements_write_only_SCOPE_14(client):
    writer = credential_client(client, ["statements/write"])
    assert writer.get(activity_url(ACTIVITY["id"])).status_code == 403


def test_another_store_does_not_see_the_definition_SEC_9(client):
    """README.md, Stores and credentials: nothing is read across stores."""
    client.post_statements(statement(object=ACTIVITY))
    storage = client.app.extensions["lrs"].storage
    other = storage.create_store("other-department")
    key, secret = create_credential(storage, other.id, ["all"], iterations=1000)
    assert client.with_auth(key, secret).get(activity_url(ACTIVITY["id"])).json == {
        "objectType": "Activity", "id": ACTIVITY["id"]}
