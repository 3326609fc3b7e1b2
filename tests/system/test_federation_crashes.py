"""Issue 12, done-when: a department and an agency LRS under gunicorn on 127.0.0.1, a forwarder
process between them and 4 concurrent writers to the department; the forwarder, then the agency
server, then the department server are killed with SIGKILL mid-stream and restarted. At the end
the agency holds exactly the department's statements: same ids, equal content (CMP rules), none
missing, none twice, voidings applied.

Writers re-send a batch until it is acknowledged (a re-send of an unchanged batch is a no-op,
CMP-2), as an xAPI client should. The forwarder runs with a short lease (3 s) so that its restart
takes its dead predecessor's entries over quickly.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import requests
from cryptography.fernet import Fernet

from lrs.config import Settings
from lrs.federation.forwarding import ForwardingService
from lrs.store import open_storage
from lrs.xapi.compare import equivalent

from .conftest import ADMIN, ROOT, Server, session

WRITERS, BATCH = 4, 10
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def _statement(writer, number):
    return {"id": str(uuid.uuid4()), "actor": {"mbox": "mailto:learner%d@example.gov" % writer},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "http://example.gov/modules/%d" % number}}


def _writer(url, writer, stop, ids, voided, lock):
    """Post batches until stopped, each re-sent until acknowledged; the last statement of every
    third batch voids the batch's first statement."""
    http = session()
    b = 0
    while not stop.is_set():
        batch = [_statement(writer, b * BATCH + i) for i in range(BATCH)]
        if b % 3 == 2:
            batch[-1]["verb"], batch[-1]["object"] = {"id": VOIDED}, {"objectType": "StatementRef",
                                                                       "id": batch[0]["id"]}
        deadline = time.monotonic() + 60
        while True:
            try:
                if http.post(url() + "/xapi/statements", json=batch, timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "the department did not come back"
            time.sleep(0.2)
        with lock:
            ids += [s["id"] for s in batch]
            if b % 3 == 2:
                voided.append(batch[0]["id"])
        b += 1
        time.sleep(0.05)


class Forwarder:
    def __init__(self, database_url, secret_key, log_path):
        self.env = dict(os.environ, LRS_DATABASE_URL=database_url, LRS_SECRET_KEY=secret_key, LRS_LOG_LEVEL="WARNING")
        self.log_path = log_path
        self.process = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "lrs", "forward", "--poll", "0.2", "--lease", "3", "--timeout", "2",
                 "--batch-size", "25"], cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True)

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(20)


def test_kill_9_of_forwarder_agency_and_department_loses_and_duplicates_nothing(tmp_path):
    secret_key = Fernet.generate_key().decode()
    department_url = "sqlite:///" + str(tmp_path / "department.sqlite3")
    agency_url = "sqlite:///" + str(tmp_path / "agency.sqlite3")
    agency = Server(agency_url)
    department = Server(department_url, extra_env={"LRS_SECRET_KEY": secret_key})
    storage = open_storage(department_url)
    storage.create_store("default")
    ForwardingService(storage, Settings(database_url=department_url, secret_key=secret_key)).add(
        "default", "to-agency", endpoint=agency.url + "/xapi/", key=ADMIN[0], secret=ADMIN[1], version="1.0.3",
        check=False)                                                        # the agency starts below
    storage.close()
    agency.start(str(tmp_path / "agency.log"))
    department.start(str(tmp_path / "department.log"))
    forwarder = Forwarder(department_url, secret_key, str(tmp_path / "forwarder.log"))
    forwarder.start()
    ids, voided, lock, stop = [], [], threading.Lock(), threading.Event()
    writers = [threading.Thread(target=_writer, args=(lambda: department.url, w, stop, ids, voided, lock))
               for w in range(WRITERS)]
    try:
        for thread in writers:
            thread.start()
        time.sleep(1.0)
        forwarder.kill()                                   # mid-stream, holding leases
        time.sleep(0.5)
        forwarder.start()
        time.sleep(1.0)
        agency.kill()                                      # the forwarder's requests fail meanwhile
        time.sleep(1.0)
        agency.start(str(tmp_path / "agency.log"))
        time.sleep(0.5)
        department.kill()                                  # writers and forwarder lose it mid-stream
        time.sleep(0.5)
        department.start(str(tmp_path / "department.log"))
        time.sleep(1.0)
        stop.set()
        for thread in writers:
            thread.join(120)
        assert ids
        source = open_storage(department_url)
        rule = source.list_forwarding_rules()[0]
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            counts = source.forwarding_counts(rule.id, 0)
            if counts.pending == counts.in_flight == 0:
                break
            time.sleep(0.5)
        assert (counts.pending, counts.in_flight, counts.dead) == (0, 0, 0), counts
        assert counts.delivered == len(ids)                 # each entry delivered exactly once
        target = open_storage(agency_url)
        sent = source.get_statements(source.get_store("default").id, ids)
        held = target.get_statements(target.get_store("default").id, ids)
        assert sorted(held) == sorted(sent) == sorted(ids)
        assert len(ids) == len(set(ids))
        for statement_id, stored in sent.items():
            copy = held[statement_id]
            assert equivalent(json.loads(stored.body), json.loads(copy.body)), statement_id
            assert (copy.voided, copy.is_voiding) == (stored.voided, stored.is_voiding), statement_id
        assert sorted(i for i, s in held.items() if s.voided) == sorted(voided) and voided
        assert target.last_seq(target.get_store("default").id) == len(ids)    # none stored twice
        source.close()
        target.close()
    finally:
        forwarder.stop()
        department.stop()
        agency.stop()


def _wait_for_first_copies(url, store_name, pulling, limit_s=60):
    """Until the pull has copied its first page (then it has ~150 pages to go): a kill then lands
    mid-way on a fast machine as on a slow one."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and pulling.poll() is None:
        storage = open_storage(url)
        try:
            store = storage.get_store(store_name)
            if store is not None and storage.last_seq(store.id) > 0:
                return
        finally:
            storage.close()
        time.sleep(0.05)


def test_pull_from_a_source_killed_mid_way_resumes_and_copies_everything_once(tmp_path):
    source_url = "sqlite:///" + str(tmp_path / "department.sqlite3")
    agency_url = "sqlite:///" + str(tmp_path / "agency.sqlite3")
    source = Server(source_url).start(str(tmp_path / "department.log"))
    storage = open_storage(agency_url)
    storage.create_store("agency")
    storage.close()
    http = session()
    ids = []
    for b in range(30):
        batch = [_statement(b % WRITERS, b * 50 + i) for i in range(50)]
        if b % 3 == 2:
            batch[-1]["verb"], batch[-1]["object"] = {"id": VOIDED}, {"objectType": "StatementRef",
                                                                       "id": batch[0]["id"]}
        assert http.post(source.url + "/xapi/statements", json=batch).status_code == 200
        ids += [s["id"] for s in batch]
    env = dict(os.environ, LRS_DATABASE_URL=agency_url, LRS_LOG_LEVEL="WARNING")
    command = [sys.executable, "-m", "lrs", "pull", "--from", source.url + "/xapi/", "--key", ADMIN[0],
               "--secret", ADMIN[1], "--store", "agency", "--version", "1.0.3", "--page-size", "10"]
    try:
        with open(tmp_path / "pull.log", "ab") as log:
            pulling = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
            _wait_for_first_copies(agency_url, "agency", pulling)
            source.kill()                                  # mid-way through the pages
            assert pulling.poll() is None, "the pull ended before the source was killed: use more statements"
            time.sleep(1.0)
            source.start(str(tmp_path / "department.log"))
            pulling.wait(120)                              # done after retries, or stopped (cursor kept)
        resumed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        target = open_storage(agency_url)
        store = target.get_store("agency").id
        source_storage = open_storage(source_url)
        sent = source_storage.get_statements(source_storage.get_store("default").id, ids)
        held = target.get_statements(store, ids)
        assert sorted(held) == sorted(ids)
        for statement_id, stored in sent.items():
            assert equivalent(json.loads(stored.body), json.loads(held[statement_id].body)), statement_id
            assert held[statement_id].voided == stored.voided, statement_id
        assert target.last_seq(store) == len(ids)                 # none copied twice
        target.close()
        source_storage.close()
    finally:
        source.stop()
