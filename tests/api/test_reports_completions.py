"""GET /reports/completions (issue 13): who completed, passed, failed or is in progress in one activity (and
its children), with the summary; expected values computed by hand from tests/api/reports_fixture.py, on both
backends."""
import csv
import io
from urllib.parse import quote

import pytest

from .reports_fixture import ANA, BOB, COURSE, CY, DEE, EVE, PODCAST, QUIZ, VIDEO, sid
from .reports_fixture import record  # noqa: F401  (the fixture)


def _get(auditor, activity, extra=""):
    response = auditor.get("/reports/completions?activity=" + quote(activity, safe="") + extra)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def _lines(body):
    return {(line["learner"].get("mbox"), line["activity"]): line for line in body["lines"]}


def _status(body):
    return {key: line["status"] for key, line in _lines(body).items()}


def test_a_quiz_shows_who_passed_and_who_failed_with_dates_and_scores(record):
    body = _get(record.auditor(), QUIZ).get_json()
    assert _status(body) == {(ANA["mbox"], QUIZ): "passed", (BOB["mbox"], QUIZ): "passed",
                             (CY["mbox"], QUIZ): "failed"}
    ana = _lines(body)[(ANA["mbox"], QUIZ)]
    assert (ana["first_attempt"], ana["completed"], ana["passed"]) == (
        "2026-03-02T10:00:00.000Z", "2026-03-03T10:08:00.000Z", "2026-03-03T10:08:00.000Z")
    assert (ana["best_scaled"], ana["latest_scaled"], ana["attempts"], ana["statements"]) == (0.85, 0.85, 1, 3)
    assert (ana["completed_by"], ana["outcome_by"], ana["seconds_to_complete"]) == (sid(5), sid(5), 86880.0)
    cy = _lines(body)[(CY["mbox"], QUIZ)]
    assert (cy["completed"], cy["passed"], cy["best_scaled"], cy["outcome_by"]) == (None, None, 0.55, sid(12))


def test_the_summary_of_a_quiz_has_rate_distribution_and_median_time(record):
    summary = _get(record.auditor(), QUIZ).get_json()["summary"]
    assert (summary["lines"], summary["learners"], summary["completed"], summary["passed"], summary["failed"],
            summary["in_progress"]) == (3, 3, 2, 2, 1, 0)
    assert summary["completion_rate"] == 0.6667                  # Ana and Bob of three
    assert [bucket["count"] for bucket in summary["score_distribution"]] == [0, 0, 0, 0, 0, 1, 0, 0, 1, 1]
    assert summary["mean_best_scaled"] == 0.8                    # (0.85 + 1.0 + 0.55) / 3
    assert summary["median_seconds_to_complete"] == 43800.0     # Ana 86880 s, Bob 720 s
    assert summary["statements_scanned"] == 7                   # 3, 4, 5, 7, 8, 11, 12


def test_a_course_alone_counts_only_statements_about_the_course_and_never_a_voided_one(record):
    body = _get(record.auditor(), COURSE).get_json()
    assert _status(body) == {(ANA["mbox"], COURSE): "completed", (DEE["mbox"], COURSE): "in progress"}
    assert BOB["mbox"] not in {mbox for mbox, _ in _lines(body)}          # his completion (9) was voided


def test_include_children_adds_what_names_the_course_as_parent_or_grouping_not_category(record):
    body = _get(record.auditor(), COURSE, "&include_children=true").get_json()
    assert _status(body) == {
        (ANA["mbox"], COURSE): "completed", (DEE["mbox"], COURSE): "in progress",
        (CY["mbox"], PODCAST): "in progress", (DEE["mbox"], PODCAST): "completed",
        (ANA["mbox"], QUIZ): "passed", (BOB["mbox"], QUIZ): "passed", (CY["mbox"], QUIZ): "failed",
        (ANA["mbox"], VIDEO): "completed"}
    assert [line["activity"] for line in body["lines"]][:2] == [COURSE, COURSE]     # the course first
    summary = body["summary"]
    assert (summary["lines"], summary["learners"], summary["completed"], summary["completion_rate"]) == (8, 4, 5, 0.625)
    assert summary["median_seconds_to_complete"] == 300.0       # 0, 0, 300, 720, 86880


def test_a_completion_stated_only_by_result_completion_counts_in_xapi_2_0(record):
    dee = _lines(_get(record.auditor(), PODCAST).get_json())[(DEE["mbox"], PODCAST)]
    assert (dee["status"], dee["completed"], dee["completed_by"]) == ("completed", "2026-03-21T18:00:00.000Z", sid(17))


def test_a_period_selects_statements_by_timestamp(record):
    body = _get(record.auditor(), QUIZ, "&since=2026-03-03T00:00:00Z&until=2026-03-31T00:00:00Z").get_json()
    ana = _lines(body)[(ANA["mbox"], QUIZ)]
    assert (ana["first_attempt"], ana["statements"], ana["seconds_to_complete"]) == ("2026-03-03T10:08:00.000Z", 1, 0.0)
    assert (body["since"], body["until"]) == ("2026-03-03T00:00:00.000Z", "2026-03-31T00:00:00.000Z")


def test_a_period_before_any_statement_is_empty(record):
    body = _get(record.auditor(), QUIZ, "&until=2026-02-01T00:00:00Z").get_json()
    assert body["lines"] == [] and body["summary"]["completion_rate"] is None


def test_names_and_learner_names_are_shown(record):
    line = _lines(_get(record.auditor(), QUIZ).get_json())[(ANA["mbox"], QUIZ)]
    assert (line["name"], line["learner_name"], line["store"]) == ("Fire safety quiz", "Ana", "default")


def test_completions_as_csv_have_one_row_per_line_and_the_learner_as_identifier(record):
    for response in (_get(record.auditor(), QUIZ, "&format=csv"),
                     record.auditor().get("/reports/completions?activity=" + quote(QUIZ),
                                          headers={"Accept": "text/csv"})):
        assert response.mimetype == "text/csv"
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert sorted((row["learner"], row["status"], row["best_scaled"]) for row in rows) == [
            ("mbox:mailto:ana@agency.gov", "passed", "0.85"), ("mbox:mailto:bob@agency.gov", "passed", "1.0"),
            ("mbox:mailto:cy@agency.gov", "failed", "0.55")]


def test_another_department_sees_only_its_own_completions(record):
    body = _get(record.auditor(record.dept_b), QUIZ).get_json()
    assert _status(body) == {(EVE["mbox"], QUIZ): "passed"} and body["stores"] == ["dept-b"]
