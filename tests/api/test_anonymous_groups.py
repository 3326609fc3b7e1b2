"""An anonymous Group lists at least one member (issue 11, defect 5; AGT-9, Data 2.4.2.2), at every
position a Group may take, over HTTP on every backend: 400 with a message, nothing stored."""
import json
import urllib.parse

import pytest

from .conftest import statement

EMPTY_GROUP = {"objectType": "Group", "member": []}
SUBSTATEMENT = {"objectType": "SubStatement", "actor": {"mbox": "mailto:sub@example.gov"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                "object": {"id": "http://example.gov/activities/sub"}}
POSITIONS = {
    "actor": dict(actor=EMPTY_GROUP),
    "object": dict(object=EMPTY_GROUP),
    "context.instructor": dict(context={"instructor": EMPTY_GROUP}),
    "context.team": dict(context={"team": EMPTY_GROUP}),
    "substatement actor": dict(object=dict(SUBSTATEMENT, actor=EMPTY_GROUP)),
    "substatement object": dict(object=dict(SUBSTATEMENT, object=EMPTY_GROUP)),
    "substatement context.team": dict(object=dict(SUBSTATEMENT, context={"team": EMPTY_GROUP})),
}


@pytest.mark.parametrize("overrides", POSITIONS.values(), ids=list(POSITIONS))
def test_an_anonymous_group_with_no_members_is_refused_AGT_9(client, overrides):
    response = client.post_statements(statement(**overrides))
    assert response.status_code == 400
    assert "AGT-9" in response.json["error"]["message"]
    assert client.get("/xapi/statements").json["statements"] == []


def test_an_anonymous_context_group_with_no_members_is_refused_in_2_0_AGT_9(client20):
    context = {"contextGroups": [{"objectType": "contextGroup", "group": EMPTY_GROUP}]}
    response = client20.post_statements(statement(context=context))
    assert response.status_code == 400 and "AGT-9" in response.json["error"]["message"]


def test_an_anonymous_group_with_members_is_still_accepted_AGT_9(client):
    group = {"objectType": "Group", "member": [{"mbox": "mailto:a@example.gov"}]}
    assert client.post_statements(statement(actor=group)).status_code == 200


def test_an_agent_parameter_naming_an_anonymous_group_with_no_members_is_refused_QRY_11(client):
    response = client.get("/xapi/statements?" + urllib.parse.urlencode({"agent": json.dumps(EMPTY_GROUP)}))
    assert response.status_code == 400 and "agent" in response.json["error"]["message"]
