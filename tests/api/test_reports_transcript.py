"""GET /reports/transcript (issue 13): one learner's transcript on a small micro-learning fixture,
expected values computed by hand; JSON and CSV; on both backends."""
import csv
import io
import json
import random
from urllib.parse import quote

import pytest

from lrs.auth import create_credential
from lrs.reports.transcript import duration_seconds, iso
from lrs.timeutil import format_ms

from .conftest import XAPIClient

ANA = {"mbox": "mailto:ana@agency.gov", "name": "Ana"}
BOB = {"mbox": "mailto:bob@agency.gov", "name": "Bob"}
VIDEO, QUIZ, PODCAST = ("http://example.gov/videos/fire-safety", "http://example.gov/quizzes/fire-safety",
                        "http://example.gov/podcasts/ep1")
R = ["%08d-0000-4000-8000-000000000000" % n for n in range(5)]


def _id(number):
    return "00000000-0000-4000-8000-%012d" % number


def _s(number, actor, verb, activity, timestamp, registration=None, result=None, name=None):
    statement = {"id": _id(number), "actor": actor, "verb": {"id": "http://adlnet.gov/expapi/verbs/" + verb},
                 "object": {"id": activity}, "timestamp": timestamp}
    if name:
        statement["object"]["definition"] = {"name": {"en-US": name}}
    if registration:
        statement["context"] = {"registration": registration}
    if result:
        statement["result"] = result
    return statement


FIXTURE_103 = [
    _s(1, ANA, "launched", VIDEO, "2026-03-01T09:00:00Z", R[1], name="Fire safety video"),
    _s(2, ANA, "completed", VIDEO, "2026-03-01T09:05:00Z", R[1], {"completion": True, "duration": "PT4M30S"}),
    _s(3, ANA, "attempted", QUIZ, "2026-03-02T10:00:00Z", R[2], name="Fire safety quiz"),
    _s(4, ANA, "failed", QUIZ, "2026-03-02T10:10:00Z", R[2],
       {"score": {"scaled": 0.4}, "success": False, "duration": "PT10M"}),
    _s(5, ANA, "attempted", QUIZ, "2026-03-03T10:00:00Z", R[3]),
    _s(6, ANA, "passed", QUIZ, "2026-03-03T10:08:00Z", R[3],
       {"score": {"scaled": 0.85}, "success": True, "completion": True, "duration": "PT8M"}),
    _s(7, BOB, "passed", QUIZ, "2026-03-03T11:00:00Z", R[4], {"score": {"scaled": 1.0}, "success": True}),
    _s(8, ANA, "attempted", QUIZ, "2026-03-05T09:50:00Z", R[4]),
    _s(9, ANA, "completed", QUIZ, "2026-03-05T10:00:00Z", R[4],
       {"score": {"scaled": 0.7}, "success": True, "duration": "PT9M"}),
]
FIXTURE_20 = [      # a podcast heard through a 2.0 player; its completion was voided
    _s(10, ANA, "experienced", PODCAST, "2026-03-04T08:00:00+01:00", result={"duration": "PT20M"}, name="Episode 1"),
    _s(11, ANA, "completed", PODCAST, "2026-03-04T08:30:00Z", result={"completion": True}),
    {"id": _id(12), "actor": {"mbox": "mailto:admin@agency.gov"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
     "object": {"objectType": "StatementRef", "id": _id(11)}, "timestamp": "2026-03-04T09:00:00Z"},
]

EXPECTED = [
    {"store": "default", "activity": VIDEO, "name": "Fire safety video", "first_attempt": "2026-03-01T09:00:00.000Z",
     "last_attempt": "2026-03-01T09:05:00.000Z", "completed": "2026-03-01T09:05:00.000Z", "success": None,
     "best_scaled": None, "latest_scaled": None, "duration_seconds": 270.0, "attempts": 1,
     "statements": [_id(1), _id(2)]},
    {"store": "default", "activity": QUIZ, "name": "Fire safety quiz", "first_attempt": "2026-03-02T10:00:00.000Z",
     "last_attempt": "2026-03-05T10:00:00.000Z", "completed": "2026-03-03T10:08:00.000Z", "success": True,
     "best_scaled": 0.85, "latest_scaled": 0.7, "duration_seconds": 1620.0, "attempts": 3,
     "statements": [_id(3), _id(4), _id(5), _id(6), _id(8), _id(9)]},
    {"store": "default", "activity": PODCAST, "name": "Episode 1", "first_attempt": "2026-03-04T07:00:00.000Z",
     "last_attempt": "2026-03-04T07:00:00.000Z", "completed": None, "success": None,
     "best_scaled": None, "latest_scaled": None, "duration_seconds": 1200.0, "attempts": 1,
     "statements": [_id(10)]},
]


@pytest.fixture
def auditor(app, client, client20):
    assert client.post_statements(FIXTURE_103).status_code == 200
    assert client20.post_statements(FIXTURE_20).status_code == 200
    storage = app.extensions["lrs"].storage
    key, secret = create_credential(storage, storage.get_store("default").id, ["reports/read"], iterations=1000)
    return XAPIClient(app, None, (key, secret))


def _path(agent=ANA, extra=""):
    return "/reports/transcript?agent=" + quote(json.dumps(agent)) + extra


def test_the_transcript_has_one_hand_checked_line_per_activity_attempted(auditor):
    response = auditor.get(_path())
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["agent"]["mbox"] == ANA["mbox"]
    assert body["activities"] == EXPECTED


def test_another_learner_sees_only_their_own_line(auditor):
    lines = auditor.get(_path(BOB)).get_json()["activities"]
    assert [(line["activity"], line["statements"], line["success"], line["best_scaled"]) for line in lines] == [
        (QUIZ, [_id(7)], True, 1.0)]


def test_the_transcript_as_csv_by_format_or_by_accept(auditor):
    for response in (auditor.get(_path(extra="&format=csv")), auditor.get(_path(), headers={"Accept": "text/csv"})):
        assert response.status_code == 200 and response.mimetype == "text/csv"
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert [row["activity"] for row in rows] == [VIDEO, QUIZ, PODCAST]
        quiz = rows[1]
        assert (quiz["completed"], quiz["success"], quiz["best_scaled"], quiz["latest_scaled"], quiz["attempts"]) == (
            "2026-03-03T10:08:00.000Z", "true", "0.85", "0.7", "3")
        assert quiz["statements"].split() == EXPECTED[1]["statements"]
        assert rows[0]["success"] == "" and rows[2]["completed"] == ""


def test_a_learner_with_no_statements_has_an_empty_transcript(auditor):
    assert auditor.get(_path({"mbox": "mailto:nobody@agency.gov"})).get_json()["activities"] == []


@pytest.mark.parametrize("query, words", [
    ("", "give the learner as exactly one of agent"),
    ("?agent=%7Bnot-json", "agent"),
    ("?agent=" + quote(json.dumps({"name": "no identifier"})), "agent"),
    ("?agent=" + quote(json.dumps(ANA)) + "&format=xml", "format must be json or csv"),
    ("?agent=" + quote(json.dumps(ANA)) + "&as_of=yesterday", "as_of must be an ISO 8601 timestamp"),
    ("?agent=" + quote(json.dumps(ANA)) + "&since=2026-03-01T00:00:00Z", "unknown parameter(s) for transcript: since"),
])
def test_bad_parameters_are_400_with_a_message(auditor, query, words):
    response = auditor.get("/reports/transcript" + query)
    assert response.status_code == 400 and words in response.get_json()["error"]["message"]


def test_the_transcript_needs_reports_read(app, auditor):
    storage = app.extensions["lrs"].storage
    key, secret = create_credential(storage, storage.get_store("default").id, ["statements/read"], iterations=1000)
    assert XAPIClient(app, None, (key, secret)).get(_path()).status_code == 403


def test_a_store_reads_only_its_own_statements(app, auditor):
    storage = app.extensions["lrs"].storage
    other = storage.create_store("other-department").id
    key, secret = create_credential(storage, other, ["reports/read"], iterations=1000)
    assert XAPIClient(app, None, (key, secret)).get(_path()).get_json()["activities"] == []


@pytest.mark.parametrize("text, seconds", [("PT4M30S", 270), ("P1DT2H", 93600), ("PT1.5S", 1.5), ("P2W", 1209600),
                                           ("", 0), ("4 minutes", 0)])
def test_durations_are_read_as_iso_8601(text, seconds):
    assert duration_seconds(text) == seconds


def test_report_times_read_as_the_lrs_serialises_them_at_any_instant():
    """TIME-8: the reports' own time formatting (tables, not strftime) gives format_ms's text, to the
    millisecond, before 1970 and across days, minutes and seconds alike (fixed seed)."""
    rng = random.Random(13)
    instants = [0, 999, 59_999, 3_599_999, 86_399_999, 86_400_000, -1, -86_400_001, 951_782_400_000] + [
        rng.randrange(-62_135_596_800_000, 253_402_300_800_000) for _ in range(20_000)]
    assert [iso(ms) for ms in instants] == [format_ms(ms) for ms in instants]
    assert iso(None) is None
