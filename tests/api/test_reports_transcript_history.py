"""GET /reports/transcript (issue 13): the learner by every identifier of a Person, and what the transcript
showed at a past time (as_of); on the shared fixture, both backends."""
import json
import time
from urllib.parse import quote

import pytest

from lrs.timeutil import format_ms, now_ms

from .reports_fixture import ADL, ADMIN, ANA, ANA_ACCOUNT, BOB, COURSE, LADDER, QUIZ, VIDEO, sid, st
from .reports_fixture import record  # noqa: F401  (the fixture)


def _transcript(auditor, extra):
    response = auditor.get("/reports/transcript?" + extra)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _person(**identifiers):
    return "person=" + quote(json.dumps(dict(objectType="Person", **identifiers)))


def _activities(body):
    return [line["activity"] for line in body["activities"]]


def test_a_person_gathers_the_statements_of_every_identifier_given(record):
    body = _transcript(record.auditor(), _person(mbox=[ANA["mbox"]], account=[ANA_ACCOUNT["account"]]))
    assert _activities(body) == [VIDEO, QUIZ, COURSE, LADDER]
    assert body["person"]["account"] == [ANA_ACCOUNT["account"]]


def test_one_identifier_of_a_person_finds_only_its_own_statements(record):
    assert _activities(_transcript(record.auditor(), _person(account=[ANA_ACCOUNT["account"]]))) == [LADDER]


def test_an_agent_is_one_identifier(record):
    assert _activities(_transcript(record.auditor(), "agent=" + quote(json.dumps(ANA)))) == [VIDEO, QUIZ, COURSE]


@pytest.mark.parametrize("query, words", [
    (_person(), "needs at least one identifier"),
    (_person(mbox="mailto:ana@agency.gov"), "mbox must be a list"),
    (_person(mbox=["ana@agency.gov"]), "mbox"),
    ("person=" + quote(json.dumps({"objectType": "Agent", "mbox": ["mailto:ana@agency.gov"]})), "objectType"),
    ("person=" + quote(json.dumps({"member": []})), "member"),
    ("person=%5B%5D", "person must be a JSON object"),
    ("agent=" + quote(json.dumps(ANA)) + "&" + _person(mbox=[ANA["mbox"]]), "exactly one of agent"),
])
def test_an_unusable_person_is_400_with_a_message(record, query, words):
    response = record.auditor().get("/reports/transcript?" + query)
    assert response.status_code == 400 and words in response.get_json()["error"]["message"]


@pytest.fixture
def later(record, client):
    """After the fixture Bob completes the video (30); then the moment T returned; after it, that completion
    is voided (31) and Bob attempts the course (32)."""
    bob_video = st(30, BOB, "completed", VIDEO, 25, "10:00:00")
    assert client.post_statements([bob_video]).status_code == 200
    time.sleep(0.01)
    moment = now_ms()
    time.sleep(0.01)
    voiding = {"id": sid(31), "actor": ADMIN, "verb": {"id": ADL + "voided"},
               "object": {"objectType": "StatementRef", "id": sid(30)}}
    newer = st(32, BOB, "attempted", COURSE, 26, "10:00:00")
    assert client.post_statements([voiding, newer]).status_code == 200
    return format_ms(moment)


def _bob(record, extra=""):
    return _transcript(record.auditor(), "agent=" + quote(json.dumps(BOB)) + extra)


def test_now_a_voided_statement_is_not_in_the_transcript(record, later):
    assert _activities(_bob(record)) == [QUIZ, COURSE]        # the course line: statement 32 only
    assert _bob(record)["activities"][1]["statements"] == [sid(32)]


def test_as_of_shows_a_statement_whose_voiding_was_stored_later(record, later):
    body = _bob(record, "&as_of=" + later)
    assert _activities(body) == [QUIZ, VIDEO]
    assert body["activities"][1]["statements"] == [sid(30)] and body["as_of"] == later


def test_as_of_leaves_out_statements_stored_after_it(record, later):
    assert sid(32) not in [s for line in _bob(record, "&as_of=" + later)["activities"] for s in line["statements"]]


def test_as_of_still_leaves_out_what_was_voided_before_it(record, later):
    """Bob's course completion (9) was voided when the fixture was loaded, before T."""
    assert COURSE not in _activities(_bob(record, "&as_of=" + later))


def test_as_of_before_anything_was_stored_is_empty(record, later):
    assert _bob(record, "&as_of=2020-01-01T00:00:00Z")["activities"] == []
