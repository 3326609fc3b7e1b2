"""LRS_FORWARDER=1 (issue 12): the gunicorn master runs the forwarder as a managed child, so the
embedded set-up forwards with no second command; the child stops with the master."""
import time

from lrs.config import Settings
from lrs.federation.forwarding import ForwardingService
from lrs.store import open_storage

from .conftest import Server, live_processes, session


def test_the_master_runs_the_forwarder_and_stops_it(sqlite_url):
    storage = open_storage(sqlite_url)
    storage.create_store("default")
    agency = storage.create_store("agency")
    ForwardingService(storage, Settings(database_url=sqlite_url)).add("default", "to-agency", to_store="agency")
    storage.close()
    server = Server(sqlite_url, workers=1, extra_env={"LRS_FORWARDER": "1"}).start()
    try:
        statements = [{"actor": {"mbox": "mailto:learner%d@example.gov" % i},
                       "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                       "object": {"id": "http://example.gov/course"}} for i in range(5)]
        response = session().post(server.url + "/xapi/statements", json=statements)
        assert response.status_code == 200
        ids = response.json()
        storage = open_storage(sqlite_url)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(storage.get_statements(agency.id, ids)) < 5:
            time.sleep(0.2)
        assert sorted(storage.get_statements(agency.id, ids)) == sorted(ids)
        storage.close()
    finally:
        server.stop()
    deadline = time.monotonic() + 15          # a loaded machine may take a while to stop them
    while _live_members(server.process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _live_members(server.process.pid), \
        "a process of the server's group (the forwarder?) outlived the master: %s" % _live_members(server.process.pid)


def _live_members(group):
    """Pids of the processes of the process group that still run."""
    return live_processes(lambda fields: int(fields[2]) == group)
