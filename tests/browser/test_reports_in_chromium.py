"""The console's report and forwarding pages in a real browser (issue 14, with issue 13's reports and
issue 12's forwarding): an auditor signs in, reads a transcript and the statements behind a line,
the completions of a course with their charts and the history; an administrator adds a forwarding
rule and pauses it. Screenshots of each page at laptop and phone width."""
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.api.conftest import ADMIN_KEY, ADMIN_SECRET
from tests.browser.pages import replacing_page
from tests.api.reports_fixture import COURSE, DEPT_A_20, DEPT_A_103, VOIDING

from .test_console_in_chromium import _arrives_at, _navigate, _shot

PHONE = 390


def _send(base, statements, version):
    response = requests.post(base + "/xapi/statements", json=statements, auth=(ADMIN_KEY, ADMIN_SECRET), timeout=10,
                             headers={"X-Experience-API-Version": version})
    assert response.status_code == 200, response.text


def _type_and_enter(browser, field, text, seconds=15):
    """Type into a form's field and submit it with Enter (keyboard only); wait until the page is replaced."""
    replacing_page(browser, lambda: browser.find_element(By.ID, field).send_keys(text + Keys.ENTER), seconds)


def _sign_in(browser, base, key, secret):
    browser.get(base + "/sign-in")
    browser.find_element(By.ID, "key").send_keys(key)
    _type_and_enter(browser, "secret", secret)


def _both_widths(browser, screenshots, name):
    _shot(browser, screenshots, name)
    _shot(browser, screenshots, name + "-phone", width=PHONE)
    browser.set_window_size(1280, 900)


def _charts_drawn(browser, seconds=15):
    """Every <img> of the page loaded and drawn (an SVG the browser could not read has no width)."""
    WebDriverWait(browser, seconds).until(lambda d: d.find_elements(By.CSS_SELECTOR, "figure.chart img") and all(
        image.get_property("complete") and image.get_property("naturalWidth") > 0
        for image in d.find_elements(By.CSS_SELECTOR, "figure.chart img")))
    return browser.find_elements(By.CSS_SELECTOR, "figure.chart img")


def test_an_auditor_reads_a_transcript_and_the_completions_of_a_course_with_charts(lrs_server, browser, screenshots):
    app, base = lrs_server
    _send(base, DEPT_A_103 + [VOIDING], "1.0.3")
    _send(base, DEPT_A_20, "2.0.0")
    view, secret = app.extensions["lrs"].admin.create_credential("default", name="Inspector",
                                                                 scopes=["reports/read"])

    _sign_in(browser, base, view["key"], secret)
    assert _arrives_at(browser, "/transcript"), browser.current_url
    nav = browser.find_element(By.CSS_SELECTOR, "nav").text
    assert "Transcripts" in nav and "Stores" not in nav and "Credentials" not in nav
    _type_and_enter(browser, "t-id", "ana@agency.gov")
    table = browser.find_element(By.ID, "transcript").text
    assert "Fire safety quiz" in table and "passed" in table and "85%" in table
    _both_widths(browser, screenshots, "10-auditor-transcript")

    _navigate(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "3 statements"))
    assert "Fire safety quiz" in browser.find_element(By.TAG_NAME, "h1").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "li.statement")) == 3
    _both_widths(browser, screenshots, "11-auditor-evidence")

    _navigate(browser, browser.find_element(By.LINK_TEXT, "Completions"))
    browser.find_element(By.ID, "r-activity").send_keys(COURSE)
    _navigate(browser, browser.find_element(By.XPATH, "//button[text()='Show completions']"))
    figures = browser.find_element(By.CSS_SELECTOR, "dl.figures").text
    assert "Learners\n4" in figures and "Passed\n2" in figures
    images = _charts_drawn(browser)
    assert len(images) == 2 and all(image.get_attribute("alt") for image in images)
    _both_widths(browser, screenshots, "12-auditor-completions")

    _navigate(browser, browser.find_element(By.LINK_TEXT, "History"))
    browser.find_element(By.ID, "r-activity").send_keys(COURSE)
    for field, day in (("r-from", "2026-03-01"), ("r-to", "2026-03-31")):
        browser.execute_script("arguments[0].value = arguments[1]", browser.find_element(By.ID, field), day)
    Select(browser.find_element(By.ID, "r-by")).select_by_value("week")
    _navigate(browser, browser.find_element(By.XPATH, "//button[text()='Show history']"))
    assert "2026-03-02" in browser.find_element(By.ID, "history").text            # the week from Monday the 2nd
    _charts_drawn(browser)
    _both_widths(browser, screenshots, "13-auditor-history")

    browser.get(base + "/stores")
    assert "for administrators" in browser.find_element(By.TAG_NAME, "main").text
    _shot(browser, screenshots, "14-auditor-refused")


def test_an_administrator_adds_a_forwarding_rule_and_pauses_it(lrs_server, browser, screenshots):
    app, base = lrs_server
    app.extensions["lrs"].admin.create_store("agency")
    _sign_in(browser, base, ADMIN_KEY, ADMIN_SECRET)
    assert _arrives_at(browser, "/stores"), browser.current_url

    _navigate(browser, browser.find_element(By.LINK_TEXT, "Forwarding"))
    browser.find_element(By.ID, "fw-name").send_keys("passed-to-agency")
    Select(browser.find_element(By.ID, "fw-to-store")).select_by_visible_text("agency")
    browser.find_element(By.ID, "fw-verb").send_keys("http://adlnet.gov/expapi/verbs/passed")
    _navigate(browser, browser.find_element(By.XPATH, "//button[text()='Add forwarding rule']"))
    rule = browser.find_element(By.XPATH, "//section[h2[contains(., 'passed-to-agency')]]")
    assert "active" in rule.find_element(By.TAG_NAME, "h2").text and "verbs/passed" in rule.text
    _both_widths(browser, screenshots, "15-forwarding-rule-added")

    _navigate(browser, browser.find_element(By.ID, "pause-default-passed-to-agency"))
    heading = browser.find_element(By.XPATH, "//section[h2[contains(., 'passed-to-agency')]]/h2").text
    assert "paused" in heading
    assert not app.extensions["lrs"].forwarding.get("default", "passed-to-agency").active
    _both_widths(browser, screenshots, "16-forwarding-rule-paused")
