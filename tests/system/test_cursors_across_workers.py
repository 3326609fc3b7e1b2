"""Every gunicorn worker accepts the `more` cursors of the others (issue 11): without LRS_CURSOR_KEY
each worker process, started on its own (no preload), reads the one key kept in the database."""
from concurrent.futures import ThreadPoolExecutor

import requests

from .conftest import ADMIN, HEADERS, Server

STATEMENT = {"actor": {"mbox": "mailto:ada@example.gov"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
             "object": {"id": "http://example.gov/courses/fire-safety"}}


def test_a_more_link_works_whichever_worker_answers_QRY_43(tmp_path):
    # sync workers answer one request at a time, so concurrent requests spread over all of them
    server = Server("sqlite:///" + str(tmp_path / "lrs.sqlite3"), workers=3,
                    extra_env={"LRS_WORKER_CLASS": "sync"}).start()
    try:
        requests.post(server.url + "/xapi/statements", json=[STATEMENT] * 3, auth=ADMIN, headers=HEADERS,
                      timeout=10).raise_for_status()
        more = requests.get(server.url + "/xapi/statements?limit=1", auth=ADMIN, headers=HEADERS,
                            timeout=10).json()["more"]

        def follow(_):
            return requests.get(server.url + more, auth=ADMIN, headers=HEADERS, timeout=10).status_code

        with ThreadPoolExecutor(12) as pool:
            statuses = list(pool.map(follow, range(60)))
        assert statuses == [200] * 60
    finally:
        server.stop()
