"""The console for auditors (issue 14 with the reports of issue 13): a reports/read credential signs
in and sees the report pages of its own store only; an administrator sees them for every store.
Through the Flask test client, on both backends."""
import html
import re

import pytest

from lrs.reports.rule import parse_rule, save_rule

from .conftest import statement
from .reports_fixture import COURSE, QUIZ, Record
from .test_console import Console, _new_credential, console  # noqa: F401  (console: the admin's fixture)

ADMIN_PAGES = ("/stores", "/credentials", "/statements", "/forwarding", "/credentials/admin")


@pytest.fixture
def auditor(app, console):
    key, secret = _new_credential(console, name="Inspector", scopes=["reports/read"])
    browser = Console(app)
    browser.response = browser.sign_in(key, secret)
    return browser


def _learner(client, **changes):
    sent = [statement(verb={"id": "http://adlnet.gov/expapi/verbs/attempted"}, timestamp="2026-03-01T10:00:00Z"),
            statement(verb={"id": "http://adlnet.gov/expapi/verbs/passed"}, timestamp="2026-03-01T10:20:00Z",
                      result={"score": {"scaled": 0.8}, "success": True, "duration": "PT20M"}, **changes)]
    return client.post_statements(sent).get_json()


# --- signing in as an auditor --------------------------------------------------------------------------

def test_an_auditor_signs_in_and_lands_on_the_transcript_page(auditor):
    assert auditor.response.status_code == 302
    assert auditor.response.headers["Location"].endswith("/transcript")
    assert auditor.get("/").headers["Location"].endswith("/transcript")


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_an_auditor_is_refused_every_administrators_page_with_403(auditor, path):
    response = auditor.get(path)
    assert response.status_code == 403 and "for administrators" in response.get_data(as_text=True)


def test_an_auditor_cannot_post_an_administrators_form(app, auditor):
    auditor.get("/transcript")
    assert auditor.post("/stores", {"name": "sneaky"}).status_code == 403
    assert app.extensions["lrs"].storage.get_store("sneaky") is None


def test_an_auditors_navigation_shows_only_the_reports(auditor):
    page = auditor.get("/transcript").get_data(as_text=True)
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', page, re.S).group(1)
    assert "Transcripts" in nav and "Stores" not in nav and "Credentials" not in nav and "Forwarding" not in nav
    assert "(auditor)" in page


def test_an_administrators_navigation_shows_every_page(console):
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', console.get("/stores").get_data(as_text=True), re.S)
    assert all(label in nav.group(1) for label in ("Stores", "Credentials", "Statements", "Forwarding",
                                                    "Transcripts"))


def test_a_credential_with_all_but_not_reports_read_cannot_sign_in(app, console):
    key, secret = _new_credential(console, scopes=["all"])
    response = Console(app).sign_in(key, secret)
    assert response.status_code == 403 and "reports/read" in response.get_data(as_text=True)


def test_taking_reports_read_away_ends_an_auditors_session(app, console):
    key, secret = _new_credential(console, scopes=["reports/read"])
    other = Console(app)
    other.sign_in(key, secret)
    assert other.get("/transcript").status_code == 200
    app.extensions["lrs"].admin.update_credential(key, scopes=["statements/read"])
    assert other.get("/transcript").headers["Location"].endswith("/sign-in")


# --- the transcript ------------------------------------------------------------------------------------

def test_a_transcript_shows_completion_outcome_score_time_and_attempts_issue_13(auditor, client):
    _learner(client)
    page = auditor.get("/transcript?kind=mbox&id=ada@example.gov").get_data(as_text=True)
    row = re.search(r'<table class="stack" id="transcript">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    assert "Safety" in row and "2026-03-01T10:20:00" in row and ">passed</span>" in row
    assert ">80%<" in row and ">20 min<" in row and 'data-label="Attempts">1<' in row
    assert "2 statements" in row


def test_a_learner_is_found_by_account(auditor, client):
    client.post_statements([statement(actor={"account": {"homePage": "https://sso.example.gov", "name": "ada7"}})])
    page = auditor.get("/transcript?kind=account&id=ada7&home_page=https://sso.example.gov").get_data(as_text=True)
    assert 'id="transcript"' in page and "Safety" in page


def test_a_learner_without_statements_is_said_so(auditor):
    page = auditor.get("/transcript?kind=mbox&id=nobody@example.gov").get_data(as_text=True)
    assert "No statement of this learner" in page


def test_a_bad_learner_is_reshown_with_the_error_next_to_the_field(auditor):
    response = auditor.get("/transcript?kind=account&id=ada7&home_page=not a url")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="id-error"' in page and 'value="ada7"' in page


def test_each_line_links_to_the_statements_that_prove_it(auditor, client):
    ids = _learner(client)
    page = auditor.get("/transcript?kind=mbox&id=ada@example.gov").get_data(as_text=True)
    link = re.search(r'href="(/transcript/evidence[^"]+)"', page).group(1).replace("&amp;", "&")
    evidence = auditor.get(link)
    text = evidence.get_data(as_text=True)
    assert evidence.status_code == 200 and all(i in text for i in ids)
    assert "Ada passed Safety — 80% — 20 min" in text


def test_an_auditor_sees_the_statements_of_a_line_but_no_link_into_the_statement_browser(auditor, console, client):
    _learner(client)
    path = "/transcript/evidence?kind=mbox&id=ada@example.gov&activity=http://example.gov/courses/safety"
    assert "/statements?" not in auditor.get(path).get_data(as_text=True)
    assert "/statements?" in console.get(path).get_data(as_text=True)


def test_evidence_for_an_activity_the_learner_never_did_is_404(auditor, client):
    _learner(client)
    response = auditor.get("/transcript/evidence?kind=mbox&id=ada@example.gov&activity=http://example.gov/other")
    assert response.status_code == 404


def test_an_auditor_reads_its_own_store_only(app, console, client):
    admin = app.extensions["lrs"].admin
    admin.create_store("agency")
    key, secret = _new_credential(console, store="agency", scopes=["reports/read"])
    _learner(client)                                            # into the default store
    other = Console(app)
    other.sign_in(key, secret)
    refused = other.get("/transcript?store=default&kind=mbox&id=ada@example.gov")
    assert refused.status_code == 404 and "whose reports you may read" in refused.get_data(as_text=True)
    page = other.get("/transcript?kind=mbox&id=ada@example.gov").get_data(as_text=True)
    assert "No statement of this learner" in page and "<strong>agency</strong>" in page


def test_an_administrator_chooses_the_store_of_a_transcript(app, console, client):
    app.extensions["lrs"].admin.create_store("agency")
    _learner(client)
    assert "Safety" in console.get("/transcript?store=default&kind=mbox&id=ada@example.gov").get_data(as_text=True)
    page = console.get("/transcript?store=agency&kind=mbox&id=ada@example.gov").get_data(as_text=True)
    assert "No statement of this learner" in page


def test_names_holding_script_render_as_text_in_a_transcript_and_its_evidence(auditor, client):
    evil = "<script>alert(1)</script>"
    client.post_statements([statement(actor={"name": evil, "mbox": "mailto:x@example.gov"},
                                      object={"id": "http://example.gov/x", "definition": {"name": {"en-US": evil}}})])
    pages = [auditor.get("/transcript?kind=mbox&id=x@example.gov").get_data(as_text=True),
             auditor.get("/transcript/evidence?kind=mbox&id=x@example.gov&activity=http://example.gov/x")
             .get_data(as_text=True)]
    for page in pages:
        assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("path", ["/transcript", "/transcript/evidence?kind=mbox&id=a@example.gov&activity=x"])
def test_report_pages_forbid_inline_script_and_framing(auditor, path):
    headers = auditor.get(path).headers
    assert "default-src 'none'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "DENY"


# --- completions and history (issue 13's reports, drawn) -----------------------------------------------

@pytest.fixture
def record(app, client, client20):
    return Record(app).load(client, client20)


def _figures(page):
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))


def _images(browser, page):
    """The SVG text of every chart of the page, fetched as the browser would."""
    images = []
    for source in re.findall(r'<img src="([^"]+)"', page):
        response = browser.get(html.unescape(source))
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        images.append(response.get_data(as_text=True))
    return images


def test_completions_of_a_course_and_its_parts_count_each_status_issue_13(auditor, record):
    page = auditor.get("/completions?activity=%s&children=1" % COURSE).get_data(as_text=True)
    figures = _figures(page)
    assert (figures["Learners"], figures["Completed"], figures["Passed"], figures["Failed"],
            figures["In progress"]) == ("4", "5", "2", "1", "2")
    assert "8 learner-activity lines" in page


def test_completions_list_each_learner_with_a_link_to_their_transcript(auditor, record):
    page = auditor.get("/completions?activity=%s" % QUIZ).get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<th scope=\"row\"><a href=\"([^\"]+)\">([^<]+)<", page)
    assert sorted(name for _, name in rows) == ["Ana", "Bob", "Cy"]
    link = dict((name, href) for href, name in rows)["Cy"].replace("&amp;", "&")
    assert "Fire safety quiz" in auditor.get(link).get_data(as_text=True)


def test_completions_draw_the_score_distribution_and_the_rate_per_activity_as_svg_without_script(auditor, record):
    page = auditor.get("/completions?activity=%s&children=1" % COURSE).get_data(as_text=True)
    scores, rates = _images(auditor, page)
    assert scores.startswith("<svg") and rates.startswith("<svg")
    assert "<script" not in scores and "<script" not in rates
    assert "Fire safety quiz" in rates and "Fire safety quiz: 67%" in page          # 2 of 3 completed
    assert "80–90%: 1" in page and "40–50%: 0" in page                               # best scores: Ana 85, Cy 55, Bob 100


def test_completions_in_a_period_count_only_its_statements(auditor, record):
    page = auditor.get("/completions?activity=%s&from=2026-03-15&to=2026-03-31" % QUIZ).get_data(as_text=True)
    assert (_figures(page)["Learners"], _figures(page)["Failed"]) == ("1", "1")          # Cy on the 15th


def test_a_bad_date_is_reshown_with_the_error_next_to_the_field(auditor, record):
    response = auditor.get("/completions?activity=%s&from=yesterday" % QUIZ)
    assert response.status_code == 400 and 'id="from-error"' in response.get_data(as_text=True)


def test_history_counts_completions_passes_and_failures_per_month_issue_13(auditor, record):
    page = auditor.get("/history?activity=%s&children=1&by=month&from=2026-03-01&to=2026-03-31"
                       % COURSE).get_data(as_text=True)
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>',
                      page)
    assert rows == [("2026-03", "5", "2", "2", "3")]
    chart, = _images(auditor, page)
    assert "<script" not in chart and "2026-03" in chart


def test_history_by_day_has_a_row_for_every_day_of_the_period(auditor, record):
    page = auditor.get("/history?activity=%s&by=day&from=2026-03-01&to=2026-03-07" % QUIZ).get_data(as_text=True)
    days = re.findall(r'<tr><th scope="row">(2026-03-\d\d)</th>', page)
    assert days == ["2026-03-%02d" % day for day in range(1, 8)]


def test_history_by_an_unknown_period_is_400_next_to_the_field(auditor):
    response = auditor.get("/history?activity=x&by=year")
    assert response.status_code == 400 and 'id="by-error"' in response.get_data(as_text=True)


def test_an_auditor_reads_the_stores_granted_to_its_key_and_no_other_issue_13(app, record):
    auditor = Console(app)
    key, secret = _new_auditor(app, record.dept_a)
    record.storage.set_report_grants(key, [record.dept_b.id])
    auditor.sign_in(key, secret)
    page = auditor.get("/completions?store=dept-b&activity=%s" % COURSE).get_data(as_text=True)
    assert _figures(page)["Completed"] == "1"                                        # Eve, department B
    record.storage.set_report_grants(key, [])
    assert auditor.get("/completions?store=dept-b&activity=%s" % COURSE).status_code == 404


def _new_auditor(app, store):
    view, secret = app.extensions["lrs"].admin.create_credential(store.name, name="Inspector", scopes=["reports/read"])
    return view["key"], secret


def test_names_holding_script_render_as_text_in_completions(auditor, client):
    evil = "<script>alert(1)</script>"
    client.post_statements([statement(actor={"name": evil, "mbox": "mailto:x@example.gov"},
                                      object={"id": "http://example.gov/x", "definition": {"name": {"en-US": evil}}})])
    page = auditor.get("/completions?activity=http://example.gov/x").get_data(as_text=True)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert all("<script" not in image and "&lt;script&gt;" in image for image in _images(auditor, page)[1:])


@pytest.mark.parametrize("path", ["/completions", "/history"])
def test_report_pages_with_charts_keep_the_policy_without_script(auditor, path):
    csp = auditor.get(path).headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "img-src 'self';" in csp
    assert "script-src" not in csp and "unsafe-inline" not in csp


def test_a_chart_is_an_svg_image_whose_policy_forbids_script(auditor):
    response = auditor.get("/charts/scores.svg?" + "&".join("count=%d" % n for n in range(10)))
    csp = response.headers["Content-Security-Policy"]
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script" not in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["kind=scores&count=1", "rate=2&name=a", "rate=0.5", "rate=nan&name=a",
                                   "completed=1&passed=1&failed=x&period=p", "completed=-1&passed=1&failed=1&period=p"])
def test_a_chart_with_bad_numbers_is_400(auditor, query):
    kind = "scores" if "count" in query else "rates" if "rate" in query else "history"
    assert auditor.get("/charts/%s.svg?%s" % (kind, query)).status_code == 400


def test_an_unknown_chart_is_404(auditor):
    assert auditor.get("/charts/pie.svg").status_code == 404


def test_a_chart_needs_a_signed_in_visitor(app):
    assert app.test_client().get("/charts/scores.svg").headers["Location"].endswith("/sign-in")


def test_a_report_seen_before_shows_a_new_statement_at_once(auditor, client):
    """Reports are kept per process for paging and charts: a new statement must still show."""
    path = "/completions?activity=http://example.gov/courses/safety"
    client.post_statements([statement(verb={"id": "http://adlnet.gov/expapi/verbs/passed"})])
    assert _figures(auditor.get(path).get_data(as_text=True))["Failed"] == "0"
    client.post_statements([statement(actor={"mbox": "mailto:bob@example.gov"},
                                      verb={"id": "http://adlnet.gov/expapi/verbs/failed"})])
    assert _figures(auditor.get(path).get_data(as_text=True))["Failed"] == "1"


def test_a_report_seen_before_follows_a_new_completion_rule(app, auditor, client):
    client.post_statements([statement(verb={"id": "http://adlnet.gov/expapi/verbs/experienced"})])
    path = "/completions?activity=http://example.gov/courses/safety"
    assert _figures(auditor.get(path).get_data(as_text=True))["Completed"] == "0"
    storage = app.extensions["lrs"].storage
    save_rule(storage, storage.get_store("default").id, parse_rule(
        {"completion_verbs": ["http://adlnet.gov/expapi/verbs/experienced"]}))
    assert _figures(auditor.get(path).get_data(as_text=True))["Completed"] == "1"


@pytest.mark.parametrize("path", ["/transcript", "/completions", "/history", "/forwarding"])
def test_every_field_of_the_new_pages_has_a_label(console, path):
    """Accessibility (issue 14): a screen reader names every field."""
    page = console.get(path).get_data(as_text=True)
    fields = re.findall(r'<(?:input|select)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', page)
    unnamed = re.findall(r'<(?:input|select)\b(?![^>]*type="hidden")(?![^>]*\bid=)[^>]*>', page)
    assert fields and not unnamed
    assert [field for field in fields if 'for="%s"' % field not in page] == []


def test_the_completions_table_pages_through_100_lines_at_a_time(auditor, client):
    client.post_statements([statement(actor={"mbox": "mailto:learner%03d@example.gov" % n}) for n in range(105)])
    page = auditor.get("/completions?activity=http://example.gov/courses/safety").get_data(as_text=True)
    assert page.count('<tr>\n    <th scope="row">') == 100 and "1 to 100 of 105" in page
    following = re.search(r'rel="next" href="([^"]+)"', page).group(1)
    rest = auditor.get(html.unescape(following)).get_data(as_text=True)
    assert rest.count('<tr>\n    <th scope="row">') == 5 and "101 to 105 of 105" in rest


def test_a_bad_offset_is_400(auditor):
    assert auditor.get("/completions?activity=x&offset=many").status_code == 400
