"""Rules that differ under xAPI 2.0 (IEEE 9274.1.1), each checked under both versions where it differs."""
import json
import uuid

import pytest

from .conftest import statement

CONTEXT_AGENTS = {"contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:coach@example.gov"},
                                     "relevantTypes": ["http://example.gov/types/coach"]}]}


def get(client, statement_id, **params):
    query = "&".join("%s=%s" % item for item in params.items())
    return client.get("/xapi/statements?statementId=%s%s" % (statement_id, "&" + query if query else ""))


def test_context_agents_are_accepted_under_2_0_CAG_1(client20):
    statement_id = client20.post_statements(statement(context=CONTEXT_AGENTS)).json[0]
    assert get(client20, statement_id).json["context"]["contextAgents"] == CONTEXT_AGENTS["contextAgents"]


def test_context_agents_are_rejected_under_1_0_3_CAG_8(client):
    assert client.post_statements(statement(context=CONTEXT_AGENTS)).status_code == 400


def test_related_agents_finds_context_agents_CAG_9(client20):
    statement_id = client20.post_statements(statement(context=CONTEXT_AGENTS)).json[0]
    agent = json.dumps({"mbox": "mailto:coach@example.gov"})
    response = client20.get("/xapi/statements?related_agents=true&agent=" + agent)
    assert [s["id"] for s in response.json["statements"]] == [statement_id]


def test_a_statement_stored_under_2_0_is_returned_as_stored_to_a_1_0_3_reader_VER_16(client, client20):
    statement_id = client20.post_statements(statement(context=CONTEXT_AGENTS)).json[0]
    returned = get(client, statement_id).json
    assert returned["context"]["contextAgents"] == CONTEXT_AGENTS["contextAgents"]
    assert returned["version"] == "2.0.0"


def test_the_response_header_is_2_0_0_for_a_2_0_request_VER_11(client20):
    assert client20.get("/xapi/statements").headers["X-Experience-API-Version"] == "2.0.0"


@pytest.mark.parametrize("version", ["1.0", "1.0.9", "2.0.0"])
def test_2_0_accepts_statement_versions_1_0_x_and_2_0_0_SVER_3(client20, version):
    statement_id = client20.post_statements(statement(version=version)).json[0]
    assert get(client20, statement_id).json["version"] == version


def test_1_0_3_rejects_statement_version_2_0_0_SVER_2(client):
    response = client.post_statements(statement(version="2.0.0"))
    assert response.status_code == 400 and "SVER-2" in response.json["error"]["message"]


def test_unknown_top_level_property_is_rejected_under_2_0_GEN_9(client20):
    assert client20.post_statements(statement(dummy="x")).status_code == 400


def test_a_timestamp_with_an_offset_is_converted_to_utc_under_2_0_TIME_8(client20):
    statement_id = client20.post_statements(statement(timestamp="2026-03-01T12:00:00-05:00")).json[0]
    assert get(client20, statement_id).json["timestamp"] == "2026-03-01T17:00:00.000Z"


def test_a_plus_zero_offset_is_accepted_under_2_0_TIME_4(client20):
    statement_id = client20.post_statements(statement(timestamp="2026-03-01T12:00:00.601+00:00")).json[0]
    assert get(client20, statement_id).json["timestamp"] == "2026-03-01T12:00:00.601Z"


def test_a_long_duration_is_never_rounded_DUR_4(client20):
    statement_id = client20.post_statements(statement(result={"duration": "P1DT12H36M0.12567S"})).json[0]
    assert get(client20, statement_id).json["result"]["duration"] in ("P1DT12H36M0.12567S", "P1DT12H36M0.12S")


def test_format_ids_reduces_the_verb_to_its_id_under_2_0_QRY_32(client20):
    statement_id = client20.post_statements(statement()).json[0]
    assert get(client20, statement_id, format="ids").json["verb"] == {"id": "http://adlnet.gov/expapi/verbs/completed"}


def test_a_batch_with_one_id_twice_is_400_under_2_0_SPOST_3(client20):
    statement_id = str(uuid.uuid4())
    assert client20.post_statements([statement(id=statement_id), statement(id=statement_id)]).status_code == 400


def test_a_future_timestamp_is_accepted_TIME_5(client20):
    """Accepted means kept as sent: not clamped to the LRS clock, not replaced by `stored`."""
    statement_id = client20.post_statements(statement(timestamp="2031-01-01T00:00:00Z")).json[0]
    returned = get(client20, statement_id).json
    assert returned["timestamp"] == "2031-01-01T00:00:00.000Z"
    assert returned["stored"] < returned["timestamp"]


def test_last_modified_equals_stored_to_the_second_QRY_47(client20):
    from email.utils import parsedate_to_datetime
    statement_id = client20.post_statements(statement()).json[0]
    response = get(client20, statement_id)
    stored = response.json["stored"][:19]
    assert parsedate_to_datetime(response.headers["Last-Modified"]).strftime("%Y-%m-%dT%H:%M:%S") == stored
