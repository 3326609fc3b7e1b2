"""GET /reports/history (issue 13): completions, passes and failures in a period by day, week or month, per
store or per activity; expected values computed by hand from tests/api/reports_fixture.py, both backends."""
import csv
import io
from urllib.parse import quote

import pytest

from .reports_fixture import COURSE, OTHER, PODCAST, QUIZ, VIDEO
from .reports_fixture import record  # noqa: F401  (the fixture)

MARCH = "since=2026-03-01T00:00:00Z&until=2026-03-31T23:59:59Z"


def _periods(auditor, query):
    response = auditor.get("/reports/history?" + query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["periods"]


def _figures(rows, *keys):
    return [tuple(row[key] for key in ("period",) + keys + ("completions", "passed", "failed", "learners"))
            for row in rows]


def test_march_by_month_counts_distinct_learner_activity_pairs_and_skips_the_voided_completion(record):
    """Completions: Ana video, quiz, course; Bob quiz; Dee podcast (Bob's course completion was voided).
    Passed: Ana quiz, Bob quiz, Dee other. Failed: Ana quiz, Cy quiz. Learners completing: Ana, Bob, Dee."""
    assert _figures(_periods(record.auditor(), MARCH + "&by=month")) == [("2026-03", 5, 3, 2, 3)]


def test_by_week_buckets_start_on_monday_and_empty_weeks_are_zero(record):
    assert _figures(_periods(record.auditor(), MARCH + "&by=week")) == [
        ("2026-02-23", 1, 0, 0, 1),          # Sunday 1 March: Ana's video
        ("2026-03-02", 3, 2, 1, 2),          # Ana quiz and course, Bob quiz; Ana failed once
        ("2026-03-09", 0, 0, 1, 0),          # Sunday 15 March: Cy failed
        ("2026-03-16", 1, 1, 0, 1),          # Dee: the podcast, the other quiz passed
        ("2026-03-23", 0, 0, 0, 0),
        ("2026-03-30", 0, 0, 0, 0)]


def test_by_day_only_the_days_of_the_period(record):
    rows = _periods(record.auditor(), "since=2026-03-02T00:00:00Z&until=2026-03-04T00:00:00Z&by=day")
    assert _figures(rows) == [("2026-03-02", 0, 0, 1, 0), ("2026-03-03", 3, 2, 0, 2), ("2026-03-04", 0, 0, 0, 0)]
    assert rows[0]["start"] == "2026-03-02T00:00:00.000Z"


def test_per_activity_has_a_row_for_each_activity_with_something_to_count(record):
    rows = _periods(record.auditor(), MARCH + "&by=month&per=activity")
    assert _figures(rows, "activity") == [
        ("2026-03", COURSE, 1, 0, 0, 1), ("2026-03", PODCAST, 1, 0, 0, 1), ("2026-03", QUIZ, 2, 2, 2, 2),
        ("2026-03", OTHER, 0, 1, 0, 0), ("2026-03", VIDEO, 1, 0, 0, 1)]           # by IRI


def test_one_activity_with_its_children(record):
    rows = _periods(record.auditor(), MARCH + "&by=month&activity=" + quote(COURSE) + "&include_children=true")
    assert _figures(rows) == [("2026-03", 5, 2, 2, 3)]            # the other quiz is only a category


def test_one_activity_alone(record):
    assert _figures(_periods(record.auditor(), MARCH + "&activity=" + quote(QUIZ))) == [("2026-03", 2, 2, 2, 2)]


def test_by_defaults_to_month(record):
    assert [row["period"] for row in _periods(record.auditor(), MARCH)] == ["2026-03"]


def test_history_as_csv(record):
    response = record.auditor().get("/reports/history?" + MARCH + "&by=month&format=csv")
    assert response.mimetype == "text/csv"
    assert list(csv.DictReader(io.StringIO(response.get_data(as_text=True)))) == [
        {"period": "2026-03", "start": "2026-03-01T00:00:00.000Z", "store": "default", "activity": "",
         "completions": "5", "passed": "3", "failed": "2", "learners": "3"}]


@pytest.mark.parametrize("query, words", [
    ("by=month", "the since parameter is required"),
    ("since=2026-03-31T00:00:00Z&until=2026-03-01T00:00:00Z", "impossible period"),
    ("since=2026-03-01T00:00:00Z&until=2026-03-01T00:00:00Z", "impossible period"),
    (MARCH + "&by=year", "by must be one of day, week, month"),
    (MARCH + "&per=learner", "per must be one of store, activity"),
    (MARCH + "&include_children=true", "include_children needs the activity parameter"),
    (MARCH + "&activity=not%20an%20iri", "activity"),
    (MARCH + "&group=month", "unknown parameter(s) for history: group"),
])
def test_bad_history_parameters_are_400_with_a_message(record, query, words):
    response = record.auditor().get("/reports/history?" + query)
    assert response.status_code == 400 and words in response.get_json()["error"]["message"]
