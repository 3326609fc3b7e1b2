"""Every console page on a store of 100,000 statements (issue 14: each under 100 ms).

    .venv/bin/python -m bench.console                          # 100,000 statements, SQLite in a temporary folder
    .venv/bin/python -m bench.console --statements 20000 --requests 10
    .venv/bin/python -m bench.console --path /tmp/console.sqlite3   # kept; a second run skips the load
    .venv/bin/python -m bench.console --url mongodb://127.0.0.1:27017/lrs_console?replicaSet=rs0

The store is filled without HTTP, through the LRS's own statement service (validation and every
batch rule, as a POST would), with bench/generate.py's statements: 20,000 learners, 40 courses of 6
modules, sessions of 12 statements. A forwarding rule to a second store (passed statements only)
exists before the load, so its outbox holds what it has not delivered. Then each page is requested
`--requests` times (after two unmeasured requests) through the Flask application in this process,
signed in as an administrator or an auditor as the page needs, and so is each chart image a page
shows (its own request): the figures are the application's own time, without a network or a WSGI
server. Prints the first request's time (a report computed; then kept until a statement arrives),
p50, p95 and max of the next ones per page and FAIL for a p95 of 100 ms or more; exit status 1 when
a page did not answer 200 with what it should show (a table of the report, a statement...).
"""
import argparse
import html
import os
import re
import statistics
import sys
import tempfile
import time
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.generate import ADL, SESSION_LENGTH, Generator  # noqa: E402
from lrs.app import create_app  # noqa: E402
from lrs.auth import Principal  # noqa: E402
from lrs.config import Settings  # noqa: E402
from lrs.federation.secrets import new_key  # noqa: E402

TARGET_MS = 100
ADMIN_KEY, ADMIN_SECRET = "bench-admin", "bench-admin-secret-for-the-console"


def settings(url):
    return Settings(database_url=url, admin_key=ADMIN_KEY, admin_secret=ADMIN_SECRET, secret_hash_iterations=1000,
                    fallback_xapi_version="1.0.3", secret_key=new_key())


def fill(services, count, batch=500):
    """Store statements 0..count-1 of the generator (the part already there is skipped)."""
    store = services.storage.get_store("default")
    have = services.storage.last_seq(store.id)
    if have >= count:
        print("the store holds %d statements already" % have, flush=True)
        return
    if have == 0 and not services.forwarding.states():
        services.admin.create_store("agency")
        services.forwarding.add("default", "to-agency", filter={"verb": ADL + "passed"}, to_store="agency")
    writer = Principal(key=ADMIN_KEY, store_id=store.id, scopes=frozenset({"all"}), name="bench", admin=True)
    generator, started = Generator(seed=1), time.perf_counter()
    for start in range(have, count, batch):
        statements = [generator.statement(i) for i in range(start, min(count, start + batch))]
        services.statements.store(writer, statements, "1.0.3")
        if (start // batch) % 20 == 0:
            print("  %d statements stored, %.0f/s" % (start + len(statements),
                                                      (start + len(statements) - have) / (time.perf_counter() - started)),
                  flush=True)


class Browser:
    """The Flask test client with the console's session cookie and CSRF token."""

    def __init__(self, app, key, secret):
        self.client = app.test_client()
        page = self.client.get("/sign-in").get_data(as_text=True)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        answer = self.client.post("/sign-in", data={"key": key, "secret": secret, "csrf": csrf})
        assert answer.status_code == 302, answer.get_data(as_text=True)

    def get(self, path):
        return self.client.get(path)


def pages(generator, services):
    """[(name, role, path)] with parameters drawn from the generated statements."""
    plan = generator.plan(SESSION_LENGTH * 7 + 6 + 4)                      # a passed/failed quiz of session 7
    learner = generator.learner_agent(plan.learner)
    course = "https://elearn.example.gov/courses/c%03d" % plan.course
    quiz = plan.object_id
    who = ({"kind": "mbox", "id": learner["mbox"][len("mailto:"):]} if "mbox" in learner else
           {"kind": "account", "id": learner["account"]["name"], "home_page": learner["account"]["homePage"]})
    key = services.storage.list_credentials()[0].key
    day = time.strftime("%Y-%m-%d", time.gmtime(plan.timestamp_s))
    return [
        ("sign-in", None, "/sign-in", 'id="key"'),
        ("stores", "admin", "/stores", ">default</a>"),
        ("credentials", "admin", "/credentials", "<code>%s</code>" % key),
        ("credential", "admin", "/credentials/" + key, "<h1"),
        ("statements (newest 25)", "admin", "/statements?store=default", 'class="statement'),
        ("statements (one learner)", "admin", "/statements?" + urlencode({"store": "default", "agent": (
            '{"mbox": "%s"}' % learner["mbox"] if "mbox" in learner else
            '{"account": {"homePage": "%s", "name": "%s"}}' % (learner["account"]["homePage"],
                                                                learner["account"]["name"]))}), 'class="statement'),
        ("statements (by id)", "admin", "/statements?store=default&statementId=" + generator.statement_id(plan.index),
         'class="statement'),
        ("forwarding", "admin", "/forwarding", "to-agency"),
        ("transcript", "auditor", "/transcript?" + urlencode(who), 'id="transcript"'),
        ("transcript evidence", "auditor", "/transcript/evidence?" + urlencode(dict(who, activity=quiz)),
         'class="statement"'),
        ("completions (a quiz)", "auditor", "/completions?" + urlencode({"activity": quiz}), 'id="completions"'),
        ("completions (a course and its parts)", "auditor",
         "/completions?" + urlencode({"activity": course, "children": "1"}), 'id="completions"'),
        ("history (a course by day)", "auditor", "/history?" + urlencode(
            {"activity": course, "children": "1", "by": "day", "from": "2024-01-01", "to": day}), 'id="history"'),
        ("history (a quiz by month)", "auditor", "/history?" + urlencode(
            {"activity": quiz, "by": "month", "from": "2023-02-01", "to": "2024-01-31"}), 'id="history"'),
    ]


def measure(browser, path, requests, marker=None):
    """(status, ms of the first request, [ms of the measured ones], the page's text): FAIL-worthy when the
    status is not 200 or the marker is missing. The first request computes a report; the next ones find
    it kept (lrs/console/reports.py ReportCache) until a statement arrives."""
    first = None
    for _ in range(2):
        started = time.perf_counter()
        answer = browser.get(path)
        text = answer.get_data(as_text=True)
        first = first if first is not None else (time.perf_counter() - started) * 1000
        if answer.status_code != 200 or (marker and marker not in text):
            return answer.status_code, first, [], text
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = browser.get(path)
        answer.get_data()
        times.append((time.perf_counter() - started) * 1000)
    return answer.status_code, first, times, text


def charts_of(name, text):
    """[(name, path)] of the chart images a page shows."""
    return [("  chart %s" % re.search(r"/charts/(\w+)", source).group(1), html.unescape(source))
            for source in re.findall(r'<img src="(/charts/[^"]+)"', text)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30, help="measured requests per page")
    parser.add_argument("--path", help="SQLite file to use and keep (default: a temporary one)")
    parser.add_argument("--url", help="a database URL instead (e.g. MongoDB)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or "sqlite:///" + (args.path or os.path.join(folder, "console.sqlite3"))
        app = create_app(settings(url), announce=lambda message: None)
        services = app.extensions["lrs"]
        started = time.perf_counter()
        fill(services, args.statements)
        print("load: %.0f s" % (time.perf_counter() - started), flush=True)
        store = services.storage.get_store("default")
        _view, auditor_secret = services.admin.create_credential("default", name="bench auditor",
                                                                 scopes=["reports/read"])
        browsers = {None: app.test_client(), "admin": Browser(app, ADMIN_KEY, ADMIN_SECRET),
                    "auditor": Browser(app, _view["key"], auditor_secret)}
        print("\n%d statements in the store; %d requests per page, Flask test client, in process\n"
              % (services.storage.last_seq(store.id), args.requests))
        print("%-40s %8s %8s %8s %8s  %s" % ("page", "first ms", "p50 ms", "p95 ms", "max ms",
                                             "target p95 < %d ms" % TARGET_MS))
        failed = False
        queue = [(name, role, path, marker) for name, role, path, marker in pages(Generator(seed=1), services)]
        while queue:
            name, role, path, marker = queue.pop(0)
            status, first, times, text = measure(browsers[role], path, args.requests, marker)
            if not times:
                failed = True
                print("%-40s answered %d%s: %s" % (name, status, "" if status != 200 else " without %r" % marker,
                                                     path))
                continue
            queue[:0] = [(chart, role, source, "<svg") for chart, source in charts_of(name, text)]
            times.sort()
            p95 = times[max(0, int(round(len(times) * 0.95)) - 1)]
            print("%-40s %8.1f %8.1f %8.1f %8.1f  %s" % (name, first, statistics.median(times), p95, times[-1],
                                                         "ok" if p95 < TARGET_MS else "FAIL"), flush=True)
        services.storage.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
