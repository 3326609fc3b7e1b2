"""Statement GET: single statements, queries, paging, voiding, formats (QRY, VOID, HDR)."""
import json
import time
import urllib.parse
import uuid

import pytest

from .conftest import statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def query(client, **params):
    encoded = urllib.parse.urlencode(params)
    return client.get("/xapi/statements" + ("?" + encoded if encoded else ""))


def ids_of(response):
    return [s["id"] for s in response.json["statements"]]


def post(client, **overrides):
    return client.post_statements(statement(**overrides)).json[0]


def agent_param(mbox):
    return json.dumps({"mbox": mbox})


# --- single statements ---------------------------------------------------------------

def test_statement_id_returns_the_statement_alone_QRY_2(client):
    statement_id = post(client)
    response = query(client, statementId=statement_id)
    assert response.status_code == 200
    assert response.json["id"] == statement_id
    assert "statements" not in response.json


def test_statement_id_matches_case_insensitively_ID_4(client):
    statement_id = post(client)
    assert query(client, statementId=statement_id.upper()).json["id"] == statement_id


def test_an_unknown_statement_id_is_404_QRY_2(client):
    assert query(client, statementId=str(uuid.uuid4())).status_code == 404


def test_statement_id_and_voided_statement_id_together_are_rejected_QRY_4(client):
    response = query(client, statementId=str(uuid.uuid4()), voidedStatementId=str(uuid.uuid4()))
    assert response.status_code == 400


@pytest.mark.parametrize("extra", [
    {"agent": agent_param("mailto:a@b.gov")}, {"verb": "http://x.gov/v"}, {"activity": "http://x.gov/a"},
    {"registration": str(uuid.uuid4())}, {"related_activities": "true"}, {"related_agents": "true"},
    {"since": "2020-01-01T00:00:00Z"}, {"until": "2020-01-01T00:00:00Z"}, {"limit": "1"},
    {"ascending": "true"}])
def test_statement_id_with_a_filter_parameter_is_rejected_QRY_5(client, extra):
    assert query(client, statementId=post(client), **extra).status_code == 400


@pytest.mark.parametrize("extra", [{"format": "ids"}, {"attachments": "false"}])
def test_statement_id_with_format_or_attachments_is_allowed_QRY_6(client, extra):
    statement_id = post(client)
    assert query(client, statementId=statement_id, **extra).json["id"] == statement_id


@pytest.mark.parametrize("name", ["related_agents", "related_activities", "ascending", "attachments"])
def test_booleans_accept_only_true_and_false_QRY_7(client, name):
    for value in ("true", "false"):
        assert query(client, **{name: value}).status_code == 200
    refused = query(client, **{name: "yes"})
    assert refused.status_code == 400
    assert name in refused.json["error"]["message"] and "QRY-7" in refused.json["error"]["message"]


@pytest.mark.parametrize("value", ["-1", "ten", "1.5"])
def test_limit_must_be_a_non_negative_integer_QRY_8(client, value):
    response = query(client, limit=value)
    assert response.status_code == 400 and "QRY-8" in response.json["error"]["message"]


def test_format_must_be_ids_exact_or_canonical_QRY_9(client):
    response = query(client, format="full")
    assert response.status_code == 400 and "QRY-9" in response.json["error"]["message"]


@pytest.mark.parametrize("name", ["foo", "LIMIT", "Limit", "StatementId", "Related_Agents"])
def test_unknown_or_miscased_parameters_are_rejected_QRY_10(client, name):
    assert query(client, **{name: "1"}).status_code == 400


@pytest.mark.parametrize("params", [
    {"agent": "wrong"}, {"agent": json.dumps({"name": "no identifier"})},
    {"agent": json.dumps({"objectType": "Group", "member": [{"mbox": "mailto:a@b.gov"}]})},
    {"verb": "not.a.valid.iri.com/verb"}, {"activity": "no scheme"}, {"registration": "wrong"},
    {"since": "yesterday"}, {"until": "01/011/2015"}, {"statementId": "wrong"},
    {"voidedStatementId": "wrong"}])
def test_invalid_parameter_values_are_rejected_GEN_17(client, params):
    assert query(client, **params).status_code == 400


# --- filters ---------------------------------------------------------------------------

def test_agent_matches_the_actor_QRY_14(client):
    mine = post(client, actor={"mbox": "mailto:carol@example.gov"})
    post(client)
    assert ids_of(query(client, agent=agent_param("mailto:carol@example.gov"))) == [mine]


def test_agent_matches_an_agent_object_QRY_14(client):
    target = post(client, object={"objectType": "Agent", "mbox": "mailto:dan@example.gov"})
    assert ids_of(query(client, agent=agent_param("mailto:dan@example.gov"))) == [target]


def test_agent_matches_a_group_member_QRY_14(client):
    group = {"objectType": "Group", "member": [{"mbox": "mailto:eve@example.gov"}]}
    in_group = post(client, actor=group)
    assert ids_of(query(client, agent=agent_param("mailto:eve@example.gov"))) == [in_group]


def test_agent_does_not_match_the_instructor_without_related_agents_QRY_15(client):
    post(client, context={"instructor": {"mbox": "mailto:fay@example.gov"}})
    assert ids_of(query(client, agent=agent_param("mailto:fay@example.gov"))) == []


def test_related_agents_matches_the_instructor_QRY_15(client):
    taught = post(client, context={"instructor": {"mbox": "mailto:fay@example.gov"}})
    response = query(client, agent=agent_param("mailto:fay@example.gov"), related_agents="true")
    assert ids_of(response) == [taught]


def test_related_agents_matches_the_authority_QRY_15(client):
    post(client)
    authority = {"account": {"homePage": "http://localhost:8000/credentials", "name": "admin"}}
    response = query(client, agent=json.dumps(authority), related_agents="true")
    assert len(ids_of(response)) == 1


def test_verb_filter_QRY_16(client):
    failed = post(client, verb={"id": "http://adlnet.gov/expapi/verbs/failed"})
    post(client)
    assert ids_of(query(client, verb="http://adlnet.gov/expapi/verbs/failed")) == [failed]


def test_activity_filter_matches_the_object_QRY_17(client):
    other = post(client, object={"id": "http://example.gov/courses/other"})
    post(client)
    assert ids_of(query(client, activity="http://example.gov/courses/other")) == [other]


def test_activity_does_not_match_context_activities_without_related_activities_QRY_18(client):
    post(client, context={"contextActivities": {"parent": [{"id": "http://example.gov/programme"}]}})
    assert ids_of(query(client, activity="http://example.gov/programme")) == []


def test_related_activities_matches_context_activities_QRY_18(client):
    child = post(client, context={"contextActivities": {"grouping": [{"id": "http://example.gov/programme"}]}})
    response = query(client, activity="http://example.gov/programme", related_activities="true")
    assert ids_of(response) == [child]


def test_related_activities_matches_a_substatement_object_QRY_18(client):
    sub = {"objectType": "SubStatement", "actor": {"mbox": "mailto:x@example.gov"},
           "verb": {"id": "http://x.gov/v"}, "object": {"id": "http://example.gov/inner"}}
    outer = post(client, object=sub)
    response = query(client, activity="http://example.gov/inner", related_activities="true")
    assert ids_of(response) == [outer]


def test_registration_filter_QRY_19(client):
    registration = str(uuid.uuid4())
    registered = post(client, context={"registration": registration})
    post(client)
    assert ids_of(query(client, registration=registration.upper())) == [registered]


def test_filters_are_combined_with_and_QRY_13(client):
    both = post(client, actor={"mbox": "mailto:gus@example.gov"}, verb={"id": "http://x.gov/passed"})
    post(client, actor={"mbox": "mailto:gus@example.gov"})
    post(client, verb={"id": "http://x.gov/passed"})
    response = query(client, agent=agent_param("mailto:gus@example.gov"), verb="http://x.gov/passed")
    assert ids_of(response) == [both]


def test_related_parameters_alone_are_accepted_QRY_20(client):
    """Without agent or activity they filter nothing: every statement is returned."""
    statement_id = post(client)
    assert ids_of(query(client, related_agents="true", related_activities="true")) == [statement_id]


def test_since_is_exclusive_and_until_inclusive_QRY_21(client):
    first = post(client)
    stored_first = query(client, statementId=first).json["stored"]
    time.sleep(0.01)
    second = post(client)
    stored_second = query(client, statementId=second).json["stored"]
    assert ids_of(query(client, since=stored_first)) == [second]
    assert ids_of(query(client, until=stored_first)) == [first]
    assert ids_of(query(client, since=stored_first, until=stored_second)) == [second]


def test_results_are_newest_first_by_default_QRY_22(client):
    ids = [post(client) for _ in range(3)]
    assert ids_of(query(client)) == list(reversed(ids))


def test_ascending_orders_oldest_first_QRY_22(client):
    ids = [post(client) for _ in range(3)]
    assert ids_of(query(client, ascending="true")) == ids


def test_an_empty_result_has_no_more_QRY_27(client):
    response = query(client, verb="http://x.gov/never")
    assert response.json == {"statements": [], "more": ""}


# --- paging ----------------------------------------------------------------------------

def test_limit_cuts_the_page_and_more_continues_QRY_23_QRY_42_QRY_43(client):
    ids = [post(client) for _ in range(5)]
    first = query(client, limit="2")
    assert ids_of(first) == [ids[4], ids[3]]
    more = first.json["more"]
    assert more.startswith("/xapi/statements?")
    second = client.get(more)
    assert ids_of(second) == [ids[2], ids[1]]
    third = client.get(second.json["more"])
    assert ids_of(third) == [ids[0]]
    assert third.json["more"] == ""


def test_paging_is_stable_while_new_statements_arrive_QRY_45(client):
    ids = [post(client) for _ in range(4)]
    first = query(client, limit="2")
    post(client)
    second = client.get(first.json["more"])
    assert ids_of(first) + ids_of(second) == list(reversed(ids))


def test_limit_larger_than_the_server_maximum_is_capped_QRY_8(make_app):
    from .conftest import XAPIClient
    client = XAPIClient(make_app(statement_page_limit=2))
    for _ in range(3):
        post(client)
    response = query(client, limit="10")
    assert len(response.json["statements"]) == 2
    assert response.json["more"]


def test_more_cannot_be_combined_with_other_parameters_QRY_51(client):
    for _ in range(2):
        post(client)
    more = query(client, limit="1").json["more"]
    response = client.get(more + "&limit=1")
    assert response.status_code == 400 and "QRY-51" in response.json["error"]["message"]


def test_a_garbled_more_token_is_rejected(client):
    assert client.get("/xapi/statements?more=garbage!").status_code == 400


# --- voiding ---------------------------------------------------------------------------

def void(client, target):
    return post(client, verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": target})


def test_a_voided_statement_is_404_by_statement_id_VOID_10(client):
    target = post(client)
    void(client, target)
    assert query(client, statementId=target).status_code == 404


def test_a_voided_statement_is_returned_by_voided_statement_id_QRY_3(client):
    target = post(client)
    void(client, target)
    assert query(client, voidedStatementId=target).json["id"] == target


def test_voided_statement_id_of_a_statement_not_voided_is_404_QRY_3(client):
    assert query(client, voidedStatementId=post(client)).status_code == 404


def test_a_voiding_statement_that_arrived_first_still_voids_VOID_4(client):
    target = str(uuid.uuid4())
    void(client, target)
    post(client, id=target)
    assert query(client, statementId=target).status_code == 404


def test_a_voiding_statement_is_never_voided_VOID_5(client):
    voiding = void(client, post(client))
    void(client, voiding)
    assert query(client, statementId=voiding).json["id"] == voiding


def test_voiding_an_unknown_statement_is_accepted_VOID_3(client):
    target = str(uuid.uuid4())
    voiding = void(client, target)
    assert query(client, statementId=voiding).json["object"] == {"objectType": "StatementRef", "id": target}


def test_queries_return_referring_statements_but_never_the_voided_one_QRY_26(client):
    verb = "http://example.gov/verbs/attempted-%s" % uuid.uuid4().hex
    target = post(client, verb={"id": verb})
    referring = post(client, object={"objectType": "StatementRef", "id": target})
    voiding = void(client, target)
    assert ids_of(query(client, verb=verb)) == [voiding, referring]


def test_a_statement_referring_to_a_match_is_returned_QRY_24(client):
    target = post(client, object={"id": "http://example.gov/courses/referenced"})
    referring = post(client, verb={"id": "http://x.gov/commented"},
                     object={"objectType": "StatementRef", "id": target})
    assert ids_of(query(client, activity="http://example.gov/courses/referenced")) == [referring, target]


# --- formats ---------------------------------------------------------------------------

def test_exact_format_returns_agents_as_sent_QRY_30(client):
    group = {"objectType": "Group", "name": "Team",
             "member": [{"mbox": "mailto:b@example.gov"}, {"mbox": "mailto:a@example.gov"}]}
    statement_id = post(client, actor=group)
    assert query(client, statementId=statement_id).json["actor"] == group


def test_ids_format_reduces_agents_and_activities_QRY_31_QRY_32(client):
    statement_id = post(client)
    returned = query(client, statementId=statement_id, format="ids").json
    assert returned["actor"] == {"objectType": "Agent", "mbox": "mailto:ada@example.gov"}
    assert returned["object"] == {"id": "http://example.gov/courses/safety"}
    assert returned["verb"] == {"id": "http://adlnet.gov/expapi/verbs/completed"}


def test_canonical_format_keeps_one_language_QRY_34_QRY_35(client):
    obj = {"id": "http://example.gov/courses/lang-%s" % uuid.uuid4().hex,
           "definition": {"name": {"en-US": "Safety", "en-GB": "Safety (GB)", "fr-FR": "Sécurité"}}}
    statement_id = post(client, object=obj)
    response = client.get("/xapi/statements?statementId=%s&format=canonical" % statement_id,
                          headers={"Accept-Language": "en-GB"})
    assert response.json["object"]["definition"]["name"] == {"en-GB": "Safety (GB)"}


def test_accept_language_is_ignored_without_canonical_QRY_37(client):
    names = {"en-US": "Safety", "fr-FR": "Sécurité"}
    statement_id = post(client, object={"id": "http://example.gov/c", "definition": {"name": names}})
    response = client.get("/xapi/statements?statementId=" + statement_id, headers={"Accept-Language": "fr-FR"})
    assert response.json["object"]["definition"]["name"] == names


# --- headers ---------------------------------------------------------------------------

def test_every_statement_response_has_consistent_through_QRY_39(client):
    for response in (query(client), query(client, LIMIT="1"), client.post_statements(statement())):
        assert response.headers["X-Experience-API-Consistent-Through"].endswith("Z")


def _consistent_through_ms(response):
    from datetime import datetime

    from lrs.timeutil import datetime_to_ms
    text = response.headers["X-Experience-API-Consistent-Through"]
    return datetime_to_ms(datetime.fromisoformat(text.replace("Z", "+00:00")))


def test_consistent_through_is_the_stored_time_of_the_last_committed_batch_QRY_39(make_app):
    """Issue 10: not "now" (a batch still being written has an earlier stored), but the newest
    committed one, read before the page; every statement stored at or before it is returned."""
    from .conftest import XAPIClient
    client = XAPIClient(make_app(consistent_through_lag_ms=0), "1.0.3")
    post(client)
    newest = post(client)
    response = query(client)
    stored = query(client, statementId=newest).json["stored"]
    assert response.headers["X-Experience-API-Consistent-Through"] == stored
    assert response.json["statements"][0]["stored"] == stored


def test_an_empty_store_without_lag_promises_nothing_through_consistent_through_QRY_39(make_app):
    from .conftest import XAPIClient
    response = query(XAPIClient(make_app(consistent_through_lag_ms=0), "1.0.3"))
    assert response.json["statements"] == []
    assert response.headers["X-Experience-API-Consistent-Through"].startswith("1970-01-01T00:00:00")


def test_an_idle_store_is_consistent_through_now_minus_the_lag_QRY_39(client):
    """Batches commit within half the lag of their stored time or not at all, so an idle store
    can promise now - lag (LRS_CONSISTENT_THROUGH_LAG_MS, 5000 by default)."""
    from lrs.config import Settings
    lag = Settings.consistent_through_lag_ms
    before = int(time.time() * 1000)
    through = _consistent_through_ms(query(client))
    after = int(time.time() * 1000)
    assert before - lag - 1 <= through <= after - lag


def test_a_single_statement_carries_last_modified_QRY_47(client):
    response = query(client, statementId=post(client))
    assert response.headers["Last-Modified"].endswith("GMT")


def test_json_responses_declare_application_json_QRY_49(client):
    assert query(client).headers["Content-Type"].startswith("application/json")


def test_head_answers_like_get_without_a_body_HEAD_1(client):
    statement_id = post(client)
    response = client.head("/xapi/statements?statementId=" + statement_id)
    assert response.status_code == 200
    assert response.data == b""
    assert client.head("/xapi/statements?statementId=" + str(uuid.uuid4())).status_code == 404


def test_read_mine_sees_only_its_own_statements_SCOPE_2(client, app):
    from lrs.auth import create_credential
    storage = app.extensions["lrs"].storage
    store = storage.get_store("default")
    key, secret = create_credential(storage, store.id, ["statements/write", "statements/read/mine"],
                                    iterations=1000)
    own_client = client.with_auth(key, secret)
    post(client)
    mine = own_client.post_statements(statement()).json[0]
    assert ids_of(query(own_client)) == [mine]
