"""Reports across stores (issue 13): a credential reads its own store's reports, and other stores' only when
an administrator granted them (an agency auditor reading several departments); both backends."""
from urllib.parse import quote

import pytest

from .conftest import XAPIClient
from .reports_fixture import EVE, QUIZ
from .reports_fixture import record  # noqa: F401  (the fixture)

MARCH = "since=2026-03-01T00:00:00Z&until=2026-03-31T23:59:59Z"


@pytest.fixture
def agency_auditor(app, record):
    auditor = record.auditor()
    app.extensions["lrs"].admin.set_report_grants(auditor.key, ["dept-b"])
    return auditor


def _completions(auditor, extra=""):
    return auditor.get("/reports/completions?activity=" + quote(QUIZ) + extra)


def test_without_a_grant_another_store_is_403_naming_it(record):
    response = _completions(record.auditor(), "&stores=default,dept-b")
    assert response.status_code == 403
    assert "may not read the reports of 'dept-b'" in response.get_json()["error"]["message"]


def test_an_unknown_store_is_403_like_one_not_granted(record):
    """Whether a store exists is not told to a credential that may not read it."""
    response = _completions(record.auditor(), "&stores=no-such-store")
    assert response.status_code == 403 and "'no-such-store'" in response.get_json()["error"]["message"]


def test_a_granted_credential_reads_both_departments_with_the_store_on_each_line(agency_auditor):
    body = _completions(agency_auditor, "&stores=default,dept-b").get_json()
    assert body["stores"] == ["default", "dept-b"]
    assert sorted((line["store"], line["learner"]["mbox"], line["status"]) for line in body["lines"]) == [
        ("default", "mailto:ana@agency.gov", "passed"), ("default", "mailto:bob@agency.gov", "passed"),
        ("default", "mailto:cy@agency.gov", "failed"), ("dept-b", EVE["mbox"], "passed")]
    assert body["summary"]["completion_rate"] == 0.75


def test_a_granted_credential_reads_only_the_other_store_when_it_names_it(agency_auditor):
    body = _completions(agency_auditor, "&stores=dept-b").get_json()
    assert [line["learner"]["mbox"] for line in body["lines"]] == [EVE["mbox"]]


def test_without_stores_a_granted_credential_still_reads_its_own_store_only(agency_auditor):
    assert _completions(agency_auditor).get_json()["stores"] == ["default"]


def test_history_per_store_across_granted_stores(agency_auditor):
    rows = agency_auditor.get("/reports/history?" + MARCH + "&stores=default,dept-b").get_json()["periods"]
    assert [(row["store"], row["completions"], row["passed"]) for row in rows] == [("default", 5, 3), ("dept-b", 2, 1)]


def test_a_transcript_across_granted_stores(agency_auditor):
    agent = quote('{"mbox": "%s"}' % EVE["mbox"])
    lines = agency_auditor.get("/reports/transcript?agent=" + agent + "&stores=default,dept-b").get_json()
    assert [(line["store"], line["success"]) for line in lines["activities"]] == [("dept-b", True), ("dept-b", None)]


def test_taking_the_grant_back_is_403_again(app, agency_auditor):
    app.extensions["lrs"].admin.set_report_grants(agency_auditor.key, [])
    assert _completions(agency_auditor, "&stores=dept-b").status_code == 403


def test_an_empty_store_name_is_400(record):
    response = _completions(record.auditor(), "&stores=default,")
    assert response.status_code == 400 and "stores" in response.get_json()["error"]["message"]


def test_reports_need_the_reports_read_scope(record):
    writer = record.credential(record.dept_a, ["statements/write", "statements/read"])
    assert _completions(writer).status_code == 403


def test_reports_need_credentials(app, record):
    assert _completions(XAPIClient(app, None, None)).status_code == 401


@pytest.mark.parametrize("report, query, words", [
    ("completions", "", "the activity parameter is required"),
    ("completions", "?activity=" + quote(QUIZ) + "&include_children=yes", "include_children must be one of true"),
    ("completions", "?activity=" + quote(QUIZ) + "&since=March", "since must be an ISO 8601 timestamp"),
    ("completions", "?activity=" + quote(QUIZ) + "&since=2026-04-01T00:00:00Z&until=2026-03-01T00:00:00Z",
     "impossible period"),
    ("completions", "?activity=" + quote(QUIZ) + "&verb=x", "unknown parameter(s) for completions: verb"),
    ("completions", "?activity=" + quote(QUIZ) + "&activity=" + quote(QUIZ), "activity is repeated"),
    ("completions", "?activity=" + quote(QUIZ) + "&format=xlsx", "format must be json or csv"),
])
def test_bad_report_parameters_are_400_with_a_message(record, report, query, words):
    response = record.auditor().get("/reports/%s%s" % (report, query))
    assert response.status_code == 400 and words in response.get_json()["error"]["message"]
