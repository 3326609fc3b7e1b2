"""The real server: gunicorn with deploy/gunicorn.conf.py, started as a separate process group."""
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADMIN = ("system-admin", "system-secret-for-tests")
HEADERS = {"X-Experience-API-Version": "1.0.3"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def live_processes(accepts):
    """Pids of the running processes (zombies, dead but not yet reaped, are not) whose /proc stat
    fields after the command name `accepts`: fields[0] state, [1] parent pid, [2] process group."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] not in ("Z", "X") and accepts(fields):
            pids.append(int(entry))
    return pids


class Server:
    """A gunicorn LRS on 127.0.0.1, restartable on the same database."""

    def __init__(self, database_url, workers=2, extra_env=None):
        self.database_url = database_url
        self.workers = workers
        self.extra_env = extra_env or {}
        self.port = free_port()
        self.process = None
        self.log_path = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, log_path=None, stdout_path=None):
        """Run it; its output goes to log_path (standard error, and standard output too unless
        stdout_path is given)."""
        env = dict(os.environ, LRS_DATABASE_URL=self.database_url, LRS_ADMIN_KEY=ADMIN[0],
                   LRS_ADMIN_SECRET=ADMIN[1], LRS_SECRET_HASH_ITERATIONS="1000",
                   LRS_WORKERS=str(self.workers), **self.extra_env)
        self.log_path = log_path or os.devnull
        self._log = open(self.log_path, "ab")
        stdout = open(stdout_path, "ab") if stdout_path else self._log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", os.path.join(ROOT, "deploy", "gunicorn.conf.py"),
             "-b", "127.0.0.1:%d" % self.port, "-w", str(self.workers), "wsgi:app"],
            cwd=ROOT, env=env, stdout=stdout, stderr=self._log, start_new_session=True)
        if stdout is not self._log:
            stdout.close()                              # the child has its own copy
        self.wait_ready()
        return self

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited with %s" % self.process.returncode)
            try:
                if requests.get(self.url + "/xapi/about", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not become ready")

    def kill(self):
        """SIGKILL the whole process group: master and workers die at once."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._log.close()

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        if not self._log.closed:
            self._log.close()


@pytest.fixture
def sqlite_url(tmp_path):
    return "sqlite:///" + str(tmp_path / "lrs.sqlite3")


@pytest.fixture
def server(sqlite_url):
    running = Server(sqlite_url).start()
    yield running
    running.stop()


def session():
    s = requests.Session()
    s.auth = ADMIN
    s.headers.update(HEADERS)
    return s
