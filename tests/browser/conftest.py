"""End-to-end tests of the console in headless Chromium (issue 14).

Needs Debian's `chromium` and `chromium-driver` (.ci/run installs them when missing) and Selenium,
pointed at /usr/bin/chromedriver (Selenium Manager's downloads do not work here). Screenshots of each
page go to $LRS_SCREENSHOTS, else to a folder under pytest's temporary directory; the folder is
printed at the end of the run.
"""
import os
import threading

import pytest
from werkzeug.serving import make_server

from lrs.app import create_app
from tests.api.conftest import make_settings

CHROMIUM = os.environ.get("LRS_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("LRS_CHROMEDRIVER", "/usr/bin/chromedriver")
_FOLDER = []


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    folder = os.environ.get("LRS_SCREENSHOTS") or str(tmp_path_factory.getbasetemp() / "console-screenshots")
    os.makedirs(folder, exist_ok=True)
    _FOLDER.append(folder)
    return folder


def pytest_terminal_summary(terminalreporter):
    if _FOLDER:
        terminalreporter.write_line("console screenshots: %s" % _FOLDER[0])


@pytest.fixture
def lrs_server(tmp_path):
    """The LRS (SQLite) served over HTTP on 127.0.0.1, on a free port, in a thread."""
    app = create_app(make_settings("sqlite:///" + str(tmp_path / "lrs.sqlite3")), announce=lambda message: None)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, "http://127.0.0.1:%d" % server.server_port
    server.shutdown()
    thread.join(10)
    app.extensions["lrs"].storage.close()


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,900", "--lang=en-US"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(10)          # generous: CI machines can be slow
    yield driver
    driver.quit()
