"""The server under test: gunicorn with deploy/gunicorn.conf.py on 127.0.0.1 and a fresh SQLite
database (or a MongoDB named by LRS_BENCH_MONGODB_URL), started, waited for and stopped."""
import http.client
import os
import secrets
import signal
import subprocess
import sys
import time

from .client import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Server:
    """gunicorn started by the benchmark, in its own process group."""

    def __init__(self, database_url, workdir, extra_env, workers=None, app="wsgi:app"):
        self.database_url = database_url
        self.workdir = workdir
        self.port = free_port()
        self.key = "bench-" + secrets.token_hex(6)
        self.secret = secrets.token_urlsafe(24)
        self.log_path = os.path.join(workdir, "gunicorn.log")
        env = dict(os.environ, LRS_DATABASE_URL=database_url, LRS_ADMIN_KEY=self.key,
                   LRS_ADMIN_SECRET=self.secret, **extra_env)
        if workers:
            env["LRS_WORKERS"] = str(workers)
        command = [sys.executable, "-m", "gunicorn", "-c", os.path.join(ROOT, "deploy", "gunicorn.conf.py"),
                   "-b", "127.0.0.1:%d" % self.port]
        if workers:
            command += ["-w", str(workers)]
        command.append(app)
        self.command = command
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.process.pid

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("the server exited with %s; its log: %s\n%s" % (
                    self.process.returncode, self.log_path, self.log_tail()))
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/xapi/about")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit("the server did not answer /xapi/about within %d s; log: %s\n%s"
                         % (timeout, self.log_path, self.log_tail()))

    def log_tail(self, n=30):
        try:
            with open(self.log_path, "rb") as handle:
                return b"\n".join(handle.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
            except ProcessLookupError:
                pass
        self._log.close()


def prepare_mongo(url, drop):
    import pymongo
    client = pymongo.MongoClient(url, serverSelectionTimeoutMS=5000)
    try:
        try:
            db = client.get_default_database()
        except pymongo.errors.ConfigurationError:
            raise SystemExit("LRS_BENCH_MONGODB_URL must name a database, e.g. "
                             "mongodb://127.0.0.1:27017/lrs_bench")
        names = db.list_collection_names()
        if names and not drop:
            raise SystemExit("database %r is not empty (%s); use a fresh database name or --mongo-drop"
                             % (db.name, ", ".join(sorted(names)[:5])))
        if names:
            client.drop_database(db.name)
    finally:
        client.close()


def drop_mongo(url):
    import pymongo
    client = pymongo.MongoClient(url, serverSelectionTimeoutMS=5000)
    try:
        client.drop_database(client.get_default_database().name)
    finally:
        client.close()
