"""Waiting for the page a click or a key leads to, shared by the browser tests."""
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait


def replacing_page(driver, act, seconds=15):
    """Do `act` (a click, Enter in a form) and wait until the old page is gone and the new one has
    loaded, so that nothing is read from the old one (a row or a heading can be on both), and no
    element is found in a document still loading (on a busy machine chromedriver may then answer
    "Node with given id does not belong to the document")."""
    old = driver.find_element(By.TAG_NAME, "html")
    act()
    wait = WebDriverWait(driver, seconds)
    wait.until(_gone(old))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


def _gone(element):
    """expected_conditions.staleness_of, also when chromedriver answers for a node of a document
    being replaced with "Node with given id does not belong to the document" instead of a stale
    element reference (seen in CI: the old page is gone either way)."""
    stale = expected_conditions.staleness_of(element)

    def gone(driver):
        try:
            return stale(driver)
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
    return gone
