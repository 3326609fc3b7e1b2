"""Erasure of a learner (issue 13, a data-protection request) through the admin API
(POST /admin/api/stores/<name>/erasures) and `python -m lrs erase`, which share one service: the
learner's statements (as actor, or as an Agent anywhere in them) and documents are gone from
every xAPI read, a statement sent again with an erased id is a conflict that shows nothing of
it, and the audit chain still verifies and names the erasure. On both backends."""
import json
import uuid

import pytest

from lrs.__main__ import main

from .conftest import ADMIN_KEY, statement
from .test_admin_api import Admin

LEARNER = {"objectType": "Agent", "mbox": "mailto:lee@example.gov"}
OTHER = {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.gov"}
STATE = {"activityId": "http://example.gov/courses/safety", "stateId": "bookmark"}


@pytest.fixture
def api(app):
    return Admin(app)


@pytest.fixture
def kept(client):
    """Ids of [the learner's own, one where the learner is instructor, someone else's], a state
    and an agent profile of the learner."""
    ids = [str(uuid.uuid4()) for _ in range(3)]
    sent = [statement(id=ids[0], actor=dict(LEARNER, name="Lee")),
            statement(id=ids[1], actor=OTHER, context={"instructor": LEARNER}),
            statement(id=ids[2], actor=OTHER)]
    assert client.post_statements(sent).status_code == 200
    agent = json.dumps(LEARNER)
    assert client.put("/xapi/activities/state", query_string=dict(STATE, agent=agent), json={"page": 3}
                      ).status_code == 204
    assert client.put("/xapi/agents/profile", query_string={"agent": agent, "profileId": "prefs"}, json={"x": 1},
                      headers={"If-None-Match": "*"}).status_code == 204
    return ids, sent


def _erase(api, agent=LEARNER, store="default"):
    return api.post("/stores/%s/erasures" % store, json={"agent": agent})


def test_the_erasure_answers_what_it_erased_and_who_did_it(api, kept):
    response = _erase(api)
    assert response.status_code == 201
    done = response.get_json()
    assert (done["store"], done["statements"], done["documents"], done["by"]) == ("default", 2, 2, ADMIN_KEY)
    assert done["entry"] > 0 and done["at"].endswith("Z")


def test_erased_statements_answer_404_by_id_and_voided_id(api, client, kept):
    ids, _ = kept
    _erase(api)
    for erased in ids[:2]:
        assert client.get("/xapi/statements", query_string={"statementId": erased}).status_code == 404
        assert client.get("/xapi/statements", query_string={"voidedStatementId": erased}).status_code == 404
    assert client.get("/xapi/statements", query_string={"statementId": ids[2]}).status_code == 200


def test_erased_statements_are_in_no_query(api, client, kept):
    ids, _ = kept
    _erase(api)
    listed = client.get("/xapi/statements").get_json()["statements"]
    assert [s["id"] for s in listed] == [ids[2]]
    for params in ({"agent": json.dumps(LEARNER)}, {"agent": json.dumps(LEARNER), "related_agents": "true"}):
        assert client.get("/xapi/statements", query_string=params).get_json()["statements"] == []


def test_an_erased_statement_sent_again_is_a_conflict_that_shows_nothing_of_it(api, client, kept):
    """CMP-2 would accept an identical statement again; an erased one is never stored again."""
    ids, sent = kept
    _erase(api)
    response = client.post_statements([sent[0]])
    assert response.status_code == 409
    assert "lee@example.gov" not in response.get_data(as_text=True)
    assert client.get("/xapi/statements", query_string={"statementId": ids[0]}).status_code == 404


def test_the_learners_documents_are_gone(api, client, kept):
    _erase(api)
    agent = json.dumps(LEARNER)
    assert client.get("/xapi/activities/state", query_string=dict(STATE, agent=agent)).status_code == 404
    assert client.get("/xapi/agents/profile", query_string={"agent": agent, "profileId": "prefs"}).status_code == 404


def test_the_chain_verifies_after_the_erasure_and_names_it(api, app, kept, monkeypatch, capsys):
    storage, ids = app.extensions["lrs"].storage, kept[0]
    store = storage.get_store("default").id
    learners = [e.n for e in storage.chain_entries(store, storage.chain_head(store).n) if e.id in ids[:2]]
    done = _erase(api).get_json()
    monkeypatch.setenv("LRS_DATABASE_URL", app.extensions["lrs"].settings.database_url)
    main(["audit", "verify", "--store", "default"])
    out = capsys.readouterr().out
    assert "everything verifies" in out
    assert "entry %d  %s by %s: erasure of a learner: 2 statements, 2 documents; the content of entries %d, %d " \
           "is gone" % (done["entry"], done["at"], ADMIN_KEY, *learners) in out
    assert "lee@example.gov" not in out


@pytest.mark.parametrize("agent, says", [
    ("{not json", "not valid JSON"),
    ({"objectType": "Group", "mbox": "mailto:team@example.gov"}, "not a Group"),
    ({"mbox": "lee@example.gov"}, "mailto"),
    ({"name": "Lee"}, "agent"),
    ([LEARNER], "agent"),
])
def test_an_agent_that_does_not_name_one_learner_is_refused_with_400(api, kept, agent, says):
    response = _erase(api, agent=agent)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == "agent" and says in error["message"]


def test_an_unknown_store_is_404_and_an_unknown_field_400(api):
    assert _erase(api, store="nowhere").status_code == 404
    response = api.post("/stores/default/erasures", json={"agent": LEARNER, "reason": "asked"})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "reason"


def test_a_credential_without_the_admin_scope_cannot_erase(api, app, kept):
    made = api.post("/credentials", json={"store": "default", "scopes": ["all"]}).get_json()
    assert Admin(app, auth=(made["key"], made["secret"])).post(
        "/stores/default/erasures", json={"agent": LEARNER}).status_code == 403


def test_the_command_line_erases_with_yes_and_records_cli(app, client, kept, monkeypatch, capsys):
    monkeypatch.setenv("LRS_DATABASE_URL", app.extensions["lrs"].settings.database_url)
    main(["erase", "--store", "default", "--agent", json.dumps(LEARNER), "--yes"])
    out = capsys.readouterr().out
    assert out.startswith("store default: erased 2 statements and 2 documents of the learner (chain entry ")
    main(["audit", "verify", "--store", "default"])
    assert "by cli: erasure of a learner" in capsys.readouterr().out


def test_the_command_line_without_yes_and_no_terminal_erases_nothing(app, client, kept, monkeypatch):
    ids, _ = kept
    monkeypatch.setenv("LRS_DATABASE_URL", app.extensions["lrs"].settings.database_url)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(SystemExit) as exit_info:
        main(["erase", "--store", "default", "--agent", json.dumps(LEARNER)])
    assert "--yes" in str(exit_info.value)
    assert client.get("/xapi/statements", query_string={"statementId": ids[0]}).status_code == 200
