"""The console in a real browser (issue 14): sign in, create a credential, send a statement with it
over xAPI, find it in the statement browser, revoke the credential and see the next xAPI call refused."""
import os

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.api.conftest import ADMIN_KEY, ADMIN_SECRET
from tests.browser.pages import replacing_page

STATEMENT = {
    "actor": {"objectType": "Agent", "name": "Ada <script>alert(1)</script>", "mbox": "mailto:ada@example.gov"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
    "object": {"objectType": "Activity", "id": "http://example.gov/courses/fire-safety",
               "definition": {"name": {"en-US": "Fire safety"}}},
    "result": {"score": {"scaled": 0.92}, "success": True, "duration": "PT3M"},
}


def _shot(driver, folder, name, width=1280):
    driver.set_window_size(width, 900)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(600, min(height + 20, 4000)))
    driver.save_screenshot(os.path.join(folder, name + ".png"))


def _arrives_at(driver, path, seconds=15):
    """True once the browser shows path (a form's answer redirects after the click returns)."""
    try:
        WebDriverWait(driver, seconds).until(lambda d: d.current_url.endswith(path))
    except Exception:                       # TimeoutException: report the URL it stayed on
        return False
    return True


def _navigate(driver, element, seconds=15):
    """Click what leads to another page and wait until it has replaced the old one."""
    replacing_page(driver, element.click, seconds)


def _xapi(base, key, secret, method="GET", **kwargs):
    return requests.request(method, base + "/xapi/statements", auth=(key, secret), timeout=10,
                            headers={"X-Experience-API-Version": "1.0.3"}, **kwargs)


def test_an_administrator_issues_watches_and_revokes_a_credential_in_chromium(lrs_server, browser, screenshots):
    app, base = lrs_server
    services = app.extensions["lrs"]
    services.admin.create_store("agency")
    services.forwarding.add("default", "to-agency", to_store="agency")      # for the forwarding page

    browser.get(base + "/")
    assert _arrives_at(browser, "/sign-in"), browser.current_url
    _shot(browser, screenshots, "01-sign-in")
    browser.find_element(By.ID, "key").send_keys(ADMIN_KEY)
    browser.find_element(By.ID, "secret").send_keys(ADMIN_SECRET + Keys.ENTER)       # keyboard only
    assert _arrives_at(browser, "/stores"), browser.current_url
    _shot(browser, screenshots, "02-stores")

    _navigate(browser, browser.find_element(By.LINK_TEXT, "Credentials"))
    browser.find_element(By.ID, "new-name").send_keys("Quiz vendor")
    browser.find_element(By.CSS_SELECTOR, "input[name=scopes][value='statements/read']").click()
    _navigate(browser, browser.find_element(By.XPATH, "//button[text()='Create credential']"))
    key = browser.find_element(By.ID, "created-key").text
    secret = browser.find_element(By.ID, "created-secret").text
    _shot(browser, screenshots, "03-credential-created")

    sent = _xapi(base, key, secret, "POST", json=[STATEMENT])
    assert sent.status_code == 200, sent.text
    statement_id = sent.json()[0]

    _navigate(browser, browser.find_element(By.LINK_TEXT, "Statements"))
    browser.find_element(By.ID, "f-verb").send_keys("http://adlnet.gov/expapi/verbs/completed")
    _navigate(browser, browser.find_element(By.XPATH, "//button[text()='Find']"))
    text = browser.find_element(By.CSS_SELECTOR, "li.statement .text").text
    assert text == "Ada <script>alert(1)</script> completed Fire safety — 92% — 3 min"
    browser.find_element(By.CSS_SELECTOR, "li.statement summary").click()
    assert statement_id in browser.find_element(By.CSS_SELECTOR, "li.statement pre").text
    _shot(browser, screenshots, "04-statements")

    _navigate(browser, browser.find_element(By.LINK_TEXT, "Forwarding"))
    assert "to-agency" in browser.find_element(By.TAG_NAME, "main").text
    _shot(browser, screenshots, "05-forwarding")

    _navigate(browser, browser.find_element(By.LINK_TEXT, "Credentials"))
    _shot(browser, screenshots, "06-credentials")
    _navigate(browser, browser.find_element(By.ID, "revoke-" + key))
    assert "revoked" in browser.find_element(By.XPATH, "//tr[td/code[text()='%s']]" % key).text
    assert _xapi(base, key, secret).status_code == 401
    _shot(browser, screenshots, "07-credential-revoked")

    _navigate(browser, browser.find_element(By.LINK_TEXT, "Statements"))
    _shot(browser, screenshots, "08-statements-phone", width=390)
    _navigate(browser, browser.find_element(By.LINK_TEXT, "Credentials"))
    _shot(browser, screenshots, "09-credentials-phone", width=390)

    _navigate(browser, browser.find_element(By.XPATH, "//button[text()='Sign out']"))
    assert _arrives_at(browser, "/sign-in"), browser.current_url
