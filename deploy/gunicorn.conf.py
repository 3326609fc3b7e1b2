"""gunicorn settings for the LRS:  gunicorn -c deploy/gunicorn.conf.py wsgi:app

Command-line flags (-b, -w, --threads, ...) win over this file. Environment variables:

  GUNICORN_BIND                 address(es) to listen on, comma-separated (wins over the two below)
  LRS_HOST, LRS_PORT            default 0.0.0.0 and 8000
  LRS_WORKERS, WEB_CONCURRENCY  worker processes (default: the cores this process may run on)
  LRS_THREADS                   threads per worker (default 4; gthread workers)
  LRS_WORKER_CLASS              default: gunicorn's gthread worker that takes a new connection only
                                while no other worker holds fewer (deploy/balanced_worker.py);
                                gthread: gunicorn's own, whichever worker accepts first
  LRS_TIMEOUT                   seconds a worker may stay silent before it is restarted (60)
  LRS_GRACEFUL_TIMEOUT          seconds SIGTERM leaves requests in flight to finish (30)
  LRS_KEEPALIVE                 seconds an idle client connection is kept open (5)
  LRS_MAX_REQUESTS              restart a worker after this many requests (0: never)
  LRS_ACCESS_LOG                gunicorn access log file or "-" for standard error (default
                                off: the LRS logs each request itself, as JSON, with its
                                request id); never with query strings, user names or addresses
  LRS_LOG_LEVEL                 gunicorn's own log level (the LRS reads it too)
  LRS_FORWARDER                 1: the master also runs `python -m lrs forward` as a managed
                                child (restarted when it exits, stopped with the master)
  PROMETHEUS_MULTIPROC_DIR      where workers write their metrics so that /metrics sums all
                                of them; when unset a fresh temporary directory is made at start
                                and removed at exit

Workers do not share memory: each opens its own database connections after the fork (no
preload), which pymongo and sqlite3 both require.
"""
import glob
import importlib.util
import logging
import os
import re
import shutil
import sys
import tempfile

from gunicorn import glogging

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _env_int(names, default, minimum=1):
    """The first of the environment variables `names` that is set, as a whole number."""
    for name in names:
        value = os.environ.get(name, "").strip()
        if not value:
            continue
        try:
            number = int(value)
        except ValueError:
            raise SystemExit("%s must be a whole number, got %r" % (name, value)) from None
        if number < minimum:
            raise SystemExit("%s must be at least %d, got %d" % (name, minimum, number))
        return number
    return default


def available_cores():
    """Cores this process may run on (its CPU affinity), else all cores of the machine."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _bind():
    explicit = os.environ.get("GUNICORN_BIND", "").strip()
    if explicit:
        return [address.strip() for address in explicit.split(",") if address.strip()]
    host = os.environ.get("LRS_HOST", "").strip() or "0.0.0.0"
    if ":" in host and not host.startswith("["):
        host = "[%s]" % host                            # IPv6 literal
    return ["%s:%d" % (host, _env_int(("LRS_PORT",), 8000))]


bind = _bind()
workers = _env_int(("LRS_WORKERS", "WEB_CONCURRENCY"), available_cores())


def _from_file(name, *parts):
    """The module in the file ROOT/parts..., loaded as `name` without importing the package it sits
    in (code the master imports is what workers forked after a HUP run)."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, *parts))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_balanced = _from_file("lrs_balanced_worker", "deploy", "balanced_worker.py")
worker_class = os.environ.get("LRS_WORKER_CLASS", "").strip() or _balanced.BalancedThreadWorker
threads = _env_int(("LRS_THREADS",), 4)
timeout = _env_int(("LRS_TIMEOUT",), 60)
graceful_timeout = _env_int(("LRS_GRACEFUL_TIMEOUT",), 30)
keepalive = _env_int(("LRS_KEEPALIVE",), 5)
max_requests = _env_int(("LRS_MAX_REQUESTS",), 0, minimum=0)
max_requests_jitter = max_requests // 10
preload_app = False
pythonpath = ROOT                                       # wsgi.py and lrs/ from any working directory
limit_request_line = 8190                               # xAPI GETs carry JSON agents in the query
# heartbeat files in memory, not on a (possibly read-only or slow) container disk
worker_tmp_dir = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None

# gunicorn's access log is off unless LRS_ACCESS_LOG names a file or "-" (the LRS logs each request
# itself); when on, it is written by LRSLogger below: no query string, no user name, no address
accesslog = os.environ.get("LRS_ACCESS_LOG", "").strip() or None
errorlog = "-"                                          # standard error
loglevel = (os.environ.get("LRS_LOG_LEVEL", "").strip() or "info").lower()


def _json_formatter():
    """The LRS's JSON log formatter, loaded from its file without importing the `lrs` package
    into the master (code the master imports is what workers forked after a HUP run)."""
    import logging
    try:
        return _from_file("lrs_log_formatter", "lrs", "observability.py").JsonFormatter()
    except Exception:                                   # plain lines rather than no server
        return logging.Formatter("%(asctime)s [%(process)d] [%(levelname)s] %(message)s")


_QUERY = re.compile(r"""(/[^\s?'"]*)\?[^\s'"]*""")
_CLIENT_ADDRESS = re.compile(r"\bip=\S*?(?=:\s|\s|$)")


def strip_personal_data(text):
    """text without the query string of any path in it (agent mailboxes, registrations and
    `more` cursors travel in query strings) and without a client address (ip=...)."""
    return _CLIENT_ADDRESS.sub("ip=[removed]", _QUERY.sub(r"\1?[query removed]", text))


class _NoPersonalData(logging.Filter):
    """gunicorn's own lines quote request URIs and client addresses ("Error handling request
    /xapi/...?agent=...", "Invalid request from ip=...: 'GET /...?...'"): they are kept without."""

    def filter(self, record):
        message = record.getMessage()
        cleaned = strip_personal_data(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class LRSLogger(glogging.Logger):
    """gunicorn's logger, made to keep README's promise: JSON lines on standard error, no
    Authorization header, user name, query string or client address.

    gunicorn's `access_log_format` is not used: its atoms include the query string (%(q)s, %(r)s),
    the Basic user name (%(u)s), every request header and the client address.
    """

    def setup(self, cfg):
        super().setup(cfg)
        formatter = _json_formatter()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)
                if type(handler) is logging.StreamHandler:      # "-": standard error, not stdout
                    handler.setStream(sys.stderr)
        if not any(isinstance(f, _NoPersonalData) for f in self.error_log.filters):
            self.error_log.addFilter(_NoPersonalData())

    def access(self, resp, req, environ, request_time):
        if not self.cfg.accesslog:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        try:
            status = int(status)
        except (TypeError, ValueError):
            pass
        request_id = next((value for name, value in (resp.headers or ())
                           if name.lower() == "x-request-id"), None)
        method = environ.get("REQUEST_METHOD", "-")
        path = environ.get("PATH_INFO", "-")
        self.access_log.info("%s %s %s", method, path, status, extra={"lrs": {
            "request_id": request_id, "method": method, "path": path, "status": status,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 3)}})


logger_class = LRSLogger

_own_metrics_dir = []                                   # the directory on_starting made, if any


def _preflight():
    """Bad settings or an unreachable database end start-up with one line and exit code 1."""
    import sys
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from lrs.services import preflight
    from lrs.config import ConfigError
    from lrs.errors import LRSError
    try:
        preflight()
    except ConfigError as error:
        sys.stderr.write("lrs: cannot start: %s\n" % error)
        sys.exit(1)
    except LRSError as error:
        sys.stderr.write("lrs: cannot start: %s\n" % error.message)
        sys.exit(1)


def on_starting(server):
    """Before any worker exists: check settings and database, then give the workers a metrics
    directory (fresh for this run)."""
    if os.environ.get("LRS_SKIP_PREFLIGHT") != "1":
        _preflight()
    directory = os.environ.get(MULTIPROC_ENV, "").strip()
    if directory:
        os.makedirs(directory, exist_ok=True)
        for stale in glob.glob(os.path.join(directory, "*.db")):   # samples of an earlier run
            os.remove(stale)
    else:
        directory = tempfile.mkdtemp(prefix="lrs-prometheus-")
        _own_metrics_dir.append(directory)
    os.environ[MULTIPROC_ENV] = directory
    _make_connection_board()
    # Imported here, in the master's normal flow, and not in child_exit: child_exit runs from
    # the SIGCHLD handler, and a second worker exiting during a first import there re-enters
    # the import and fails on a partially initialised prometheus_client.
    from prometheus_client import multiprocess
    _multiprocess.append(multiprocess)


_multiprocess = []                                      # prometheus_client.multiprocess, once imported


def child_exit(server, worker):
    """A worker is gone: drop its live samples (gauges) from the sums, and free its slot on the
    connection board."""
    if _multiprocess:
        _multiprocess[0].mark_process_dead(worker.pid)
    if _board:
        try:
            _board[0].release(worker.pid)
        except OSError:
            pass


_board = []                                             # the ConnectionBoard, and its file's path
BOARD_PREFIX = "lrs-connections-"                       # then the master's pid


def _remove_stale_boards(folder):
    """Boards of masters that are gone without on_exit (killed): one small file each."""
    for stale in glob.glob(os.path.join(folder, BOARD_PREFIX + "*")):
        try:
            pid = int(stale.rsplit("-", 1)[1])
            os.kill(pid, 0)
        except ValueError:
            continue
        except ProcessLookupError:
            try:
                os.remove(stale)
            except OSError:
                pass
        except OSError:
            continue


def _make_connection_board():
    """The file in which the balanced workers say how many connections each holds (in memory when
    /dev/shm is there), before any worker starts."""
    if _board:
        return
    path = os.environ.get(_balanced.BOARD_ENV, "").strip()
    if not path or not os.path.exists(path):           # kept by a master re-executed with USR2
        folder = worker_tmp_dir or tempfile.gettempdir()
        _remove_stale_boards(folder)
        path = path or os.path.join(folder, "%s%d" % (BOARD_PREFIX, os.getpid()))
        _balanced.ConnectionBoard.create(path)
        os.environ[_balanced.BOARD_ENV] = path
    _board.extend([_balanced.ConnectionBoard(path), path])


_forwarder = []                                         # the ForwarderSupervisor, with LRS_FORWARDER=1


def when_ready(server):
    """The master listens: with LRS_FORWARDER=1 start the forwarder as a managed child (issue 12)."""
    if os.environ.get("LRS_FORWARDER", "").strip() != "1" or _forwarder:
        return
    module = _from_file("lrs_forwarder_supervisor", "lrs", "federation", "supervisor.py")
    supervisor = module.ForwarderSupervisor(ROOT, log=server.log)
    supervisor.start()
    _forwarder.append(supervisor)


def on_exit(server):
    if _forwarder:
        _forwarder.pop().stop()
    if _board and not getattr(server, "reexec_pid", 0):
        path = _board.pop()
        _board.pop().close()
        try:
            os.remove(path)
        except OSError:
            pass
    # not after USR2: the new master (re-executed from this one) keeps using the directory
    if _own_metrics_dir and not getattr(server, "reexec_pid", 0):
        shutil.rmtree(_own_metrics_dir.pop(), ignore_errors=True)
