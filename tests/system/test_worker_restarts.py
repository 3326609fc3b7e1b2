"""Workers killed under write load are replaced and the server keeps answering (issue 17).

gunicorn replaces a worker that died (a crash, a timeout kill, LRS_MAX_REQUESTS). The replacement
must open the database while the other worker writes as fast as it can; before issue 17 it could
wait 30 s for a lock, fail to boot and take the master down ("Worker failed to boot").
"""
import os
import random
import signal
import threading
import time
import uuid

import requests

from tests.sqlite_locks import another_program_in_a_write_and_a_read_transaction

from .conftest import Server, live_processes, session

KILLS = 20
WRITERS = 8
BATCH = 5
MAX_SILENCE_S = 10          # the longest the server may go without answering a probe


def worker_pids(master_pid):
    """The live children of the gunicorn master (its workers), from /proc."""
    return live_processes(lambda fields: int(fields[1]) == master_pid)


def _statement(statement_id, writer, number):
    return {"id": statement_id,
            "actor": {"mbox": "mailto:writer%d@example.gov" % writer},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": "http://example.gov/pages/%d" % number}}


class Load:
    """WRITERS threads POSTing batches with known ids; what was acknowledged and what failed."""

    def __init__(self, url):
        self.url = url
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged, self.server_errors = [], []
        self.threads = [threading.Thread(target=self._write, args=(n,)) for n in range(WRITERS)]

    def _write(self, writer):
        http = session()
        number = 0
        while not self.stop.is_set():
            batch = [_statement(str(uuid.uuid4()), writer, number + i) for i in range(BATCH)]
            number += BATCH
            try:
                response = http.post(self.url + "/xapi/statements", json=batch, timeout=60)
            except requests.RequestException:
                continue                    # in flight on the worker that was killed: unknown
            with self.lock:
                if response.status_code == 200:
                    self.acknowledged += [s["id"] for s in batch]
                elif response.status_code >= 500:
                    self.server_errors.append((response.status_code, response.text[:200]))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(70)


class Prober:
    """Asks /xapi/about every 0.1 s and remembers the longest time without an answer."""

    def __init__(self, url):
        self.url = url
        self.stop = threading.Event()
        self.longest_silence = 0.0
        self.thread = threading.Thread(target=self._probe)

    def _probe(self):
        last_answer = time.monotonic()
        while not self.stop.wait(0.1):
            try:
                answered = requests.get(self.url + "/xapi/about", timeout=2).status_code == 200
            except requests.RequestException:
                answered = False
            now = time.monotonic()
            if answered:
                last_answer = now
            self.longest_silence = max(self.longest_silence, now - last_answer)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)


def _wait_for_workers(server, count, exclude, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.process.poll() is None, "the gunicorn master exited with %s" % server.process.returncode
        pids = [pid for pid in worker_pids(server.process.pid) if pid not in exclude]
        if len(pids) >= count:
            return pids
        time.sleep(0.05)
    raise AssertionError("no replacement worker within %d s" % timeout)


def _read_ids(url):
    http = session()
    found = set()
    page = http.get(url + "/xapi/statements?limit=500&ascending=true&format=ids", timeout=60).json()
    while True:
        found.update(statement["id"] for statement in page["statements"])
        if not page["more"]:
            return found
        page = http.get(url + page["more"], timeout=60).json()


def test_workers_killed_20_times_under_8_writers_are_replaced_and_nothing_acknowledged_is_lost(sqlite_url, tmp_path):
    server = Server(sqlite_url, workers=2).start(log_path=str(tmp_path / "server.log"))
    rng = random.Random(20261201)
    killed = set()
    try:
        with Prober(server.url) as prober, Load(server.url) as load:
            for _ in range(KILLS):
                time.sleep(rng.uniform(0.2, 0.8))
                victim = rng.choice(_wait_for_workers(server, 2, killed))
                os.kill(victim, signal.SIGKILL)
                killed.add(victim)
            _wait_for_workers(server, 2, killed)
            time.sleep(0.5)
        assert server.process.poll() is None, "the gunicorn master exited"
        assert load.server_errors == []
        assert prober.longest_silence < MAX_SILENCE_S, "no answer for %.1f s" % prober.longest_silence
        assert len(load.acknowledged) > 100, "too little was written to test anything"
        missing = set(load.acknowledged) - _read_ids(server.url)
        assert not missing, "%d acknowledged statements lost" % len(missing)
    finally:
        server.stop()


def _answer_within(url, statement_id, timeout):
    """The status of the first answer to a read of statement_id within timeout seconds, or None."""
    http = session()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return http.get(url + "/xapi/statements", params={"statementId": statement_id},
                            timeout=max(0.1, deadline - time.monotonic())).status_code
        except requests.RequestException:
            time.sleep(0.1)
    return None


def test_a_worker_started_while_another_program_holds_the_write_lock_serves_at_once(sqlite_url, tmp_path):
    """Opening reads only: a worker that boots while another connection is in a write transaction
    (and another in a read transaction, which keeps the WAL from being checkpointed) serves reads
    at once, and writes as soon as the lock is released. Before issue 17 its start-up took the
    write lock (schema check) and waited for it, up to the 30 s busy timeout, then failed to boot."""
    server = Server(sqlite_url, workers=1).start(log_path=str(tmp_path / "server.log"))
    try:
        http = session()
        statement_id = str(uuid.uuid4())
        assert http.post(server.url + "/xapi/statements", json=_statement(statement_id, 0, 0), timeout=10).ok
        with another_program_in_a_write_and_a_read_transaction(sqlite_url[len("sqlite:///"):]):
            [worker] = _wait_for_workers(server, 1, set())
            os.kill(worker, signal.SIGKILL)
            _wait_for_workers(server, 1, {worker})
            assert _answer_within(server.url, statement_id, timeout=10) == 200
        response = http.post(server.url + "/xapi/statements", json=_statement(str(uuid.uuid4()), 0, 1), timeout=30)
        assert response.status_code == 200
        assert server.process.poll() is None
    finally:
        server.stop()
