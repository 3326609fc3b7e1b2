"""deploy/gunicorn.conf.py: what it computes from the machine and the environment, and its hooks.

The file is executed with runpy under a monkeypatched environment, as gunicorn executes it.
"""
import os
import runpy
import subprocess
import sys

import pytest
from gunicorn.workers.gthread import ThreadWorker

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONF = os.path.join(ROOT, "deploy", "gunicorn.conf.py")
ENV = ("GUNICORN_BIND", "LRS_HOST", "LRS_PORT", "LRS_WORKERS", "WEB_CONCURRENCY", "LRS_THREADS",
       "LRS_WORKER_CLASS", "LRS_TIMEOUT", "LRS_GRACEFUL_TIMEOUT", "LRS_KEEPALIVE", "LRS_MAX_REQUESTS",
       "LRS_ACCESS_LOG", "LRS_LOG_LEVEL", "PROMETHEUS_MULTIPROC_DIR", "GUNICORN_CMD_ARGS", "LRS_CONNECTION_BOARD")


@pytest.fixture
def load(monkeypatch, tmp_path_factory):
    """load(**env) -> the config module's namespace, on a machine with 3 cores, its database (for
    the start-up check of on_starting) in a tmp path, not in the working directory (issue 11)."""
    for name in ENV:                                   # set first: undone to the original at the end,
        monkeypatch.setenv(name, "")                   # even for what the hooks set in os.environ
        monkeypatch.delenv(name)
    monkeypatch.setenv("LRS_DATABASE_URL", "sqlite:///" + str(tmp_path_factory.mktemp("db") / "lrs.sqlite3"))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)

    def _load(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(CONF)
    return _load


class FakeServer:
    reexec_pid = 0


def test_binds_all_interfaces_on_port_8000_by_default(load):
    assert load()["bind"] == ["0.0.0.0:8000"]


def test_bind_follows_lrs_host_and_port(load):
    assert load(LRS_HOST="127.0.0.1", LRS_PORT="9100")["bind"] == ["127.0.0.1:9100"]


def test_ipv6_host_is_bracketed(load):
    assert load(LRS_HOST="::", LRS_PORT="8000")["bind"] == ["[::]:8000"]


def test_gunicorn_bind_wins_over_lrs_host_and_port(load):
    conf = load(GUNICORN_BIND="unix:/run/lrs.sock,127.0.0.1:7000", LRS_HOST="10.0.0.1", LRS_PORT="1")
    assert conf["bind"] == ["unix:/run/lrs.sock", "127.0.0.1:7000"]


def test_workers_default_to_the_cores_available(load):
    assert load()["workers"] == 3


def test_workers_fall_back_to_cpu_count_without_affinity(load, monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 5)
    assert load()["workers"] == 5


def test_lrs_workers_overrides_cores(load):
    assert load(LRS_WORKERS="7")["workers"] == 7


def test_web_concurrency_overrides_cores(load):
    assert load(WEB_CONCURRENCY="6")["workers"] == 6


def test_lrs_workers_wins_over_web_concurrency(load):
    assert load(LRS_WORKERS="2", WEB_CONCURRENCY="6")["workers"] == 2


def test_bad_worker_count_stops_start_up_naming_the_variable(load):
    with pytest.raises(SystemExit, match="LRS_WORKERS"):
        load(LRS_WORKERS="many")
    with pytest.raises(SystemExit, match="LRS_WORKERS"):
        load(LRS_WORKERS="0")


def test_threaded_workers_with_four_threads_by_default(load):
    conf = load()
    assert conf["threads"] == 4
    assert issubclass(conf["worker_class"], ThreadWorker)


def test_workers_balance_their_connections_by_default_issue_16(load):
    assert load()["worker_class"].__name__ == "BalancedThreadWorker"


def test_lrs_worker_class_gthread_gives_gunicorns_own_worker(load):
    assert load(LRS_WORKER_CLASS="gthread")["worker_class"] == "gthread"


def test_on_starting_makes_the_connection_board_the_workers_inherit_issue_16(load):
    conf = load()
    conf["on_starting"](FakeServer())
    path = os.environ["LRS_CONNECTION_BOARD"]
    try:
        assert os.path.getsize(path) == conf["_balanced"].SLOTS * 8
    finally:
        conf["on_exit"](FakeServer())
    assert not os.path.exists(path)


def test_child_exit_frees_the_workers_slot_on_the_board_issue_16(load):
    conf = load()
    conf["on_starting"](FakeServer())
    try:
        board = conf["_balanced"].ConnectionBoard(os.environ["LRS_CONNECTION_BOARD"])
        slot = board.claim(os.getpid())
        board.publish(slot, 3)

        class Worker:
            pid = os.getpid()
        conf["child_exit"](FakeServer(), Worker())
        assert board.claim(12345678) == slot          # free again
        board.close()
    finally:
        conf["on_exit"](FakeServer())


def test_lrs_threads_overrides_thread_count(load):
    assert load(LRS_THREADS="16")["threads"] == 16


def test_sigterm_leaves_requests_in_flight_time_to_finish(load):
    conf = load()
    assert conf["graceful_timeout"] >= 10
    assert load(LRS_GRACEFUL_TIMEOUT="55")["graceful_timeout"] == 55


def test_keeps_idle_connections_alive(load):
    assert load()["keepalive"] >= 2


def test_gunicorn_access_log_is_off_by_default(load):
    assert load()["accesslog"] is None
    assert load(LRS_ACCESS_LOG="-")["accesslog"] == "-"


def test_app_is_not_preloaded_into_the_master(load):
    assert load()["preload_app"] is False


def test_gunicorn_own_log_lines_are_json(load):
    conf = load()
    assert conf["_json_formatter"]().__class__.__name__ == "JsonFormatter"
    assert issubclass(conf["logger_class"], __import__("gunicorn.glogging").glogging.Logger)


def test_no_logging_dictionary_that_would_switch_the_access_log_on_issue_11(load):
    """gunicorn writes its access log whenever logconfig_dict (or logconfig) is set."""
    conf = load()
    assert not conf.get("logconfig_dict") and not conf.get("logconfig") and not conf.get("logconfig_json")


@pytest.mark.parametrize("line, kept", [
    ("Error handling request /xapi/statements?agent=%7B%22mbox%22%3A%22mailto%3Aada%40x.gov%22%7D",
     "Error handling request /xapi/statements?[query removed]"),
    ("Invalid request from ip=10.0.0.1: Invalid HTTP request line: 'GET /x?more=abc HTTP/1.1 y'",
     "Invalid request from ip=[removed]: Invalid HTTP request line: 'GET /x?[query removed] HTTP/1.1 y'"),
    ("Invalid request from ip=::1: Invalid HTTP Version 'HTTP/9'",
     "Invalid request from ip=[removed]: Invalid HTTP Version 'HTTP/9'"),
    ("Worker exiting (pid: 12)", "Worker exiting (pid: 12)"),
])
def test_gunicorn_lines_lose_query_strings_and_client_addresses_issue_11(load, line, kept):
    assert load()["strip_personal_data"](line) == kept


def test_on_starting_creates_a_metrics_directory_when_none_is_set(load, monkeypatch):
    conf = load()
    conf["on_starting"](FakeServer())
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    try:
        assert os.path.isdir(directory) and os.listdir(directory) == []
    finally:
        conf["on_exit"](FakeServer())
    assert not os.path.exists(directory)


def test_on_starting_keeps_a_given_metrics_directory_and_clears_old_samples(load, tmp_path):
    (tmp_path / "counter_123.db").write_bytes(b"old")
    (tmp_path / "keep.txt").write_text("not ours")
    conf = load(PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    conf["on_starting"](FakeServer())
    conf["on_exit"](FakeServer())
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["keep.txt"]


def test_child_exit_marks_the_worker_dead_for_prometheus(load, tmp_path, monkeypatch):
    from prometheus_client import multiprocess
    dead = []
    monkeypatch.setattr(multiprocess, "mark_process_dead", lambda pid, path=None: dead.append(pid))
    conf = load(PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    conf["on_starting"](FakeServer())       # the master imports prometheus_client here, once

    class Worker:
        pid = 4242
    conf["child_exit"](FakeServer(), Worker())
    conf["on_exit"](FakeServer())
    assert dead == [4242]


def test_command_line_bind_and_workers_win_over_the_file_and_environment(load, monkeypatch):
    from gunicorn.app.wsgiapp import WSGIApplication
    load(LRS_HOST="10.1.1.1", LRS_WORKERS="9")        # environment for the file gunicorn reads
    monkeypatch.setattr(sys, "argv", ["gunicorn", "-c", CONF, "-b", "127.0.0.1:8123", "-w", "2",
                                      "wsgi:app"])
    cfg = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").cfg
    assert cfg.bind == ["127.0.0.1:8123"]
    assert cfg.workers == 2
    assert cfg.worker_class_str == "BalancedThreadWorker"


def test_boards_of_masters_that_are_gone_are_removed_at_start_issue_16(load, tmp_path):
    conf = load()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale, live = tmp_path / ("lrs-connections-%d" % gone.pid), tmp_path / ("lrs-connections-%d" % os.getpid())
    stale.write_bytes(b"")
    live.write_bytes(b"")
    conf["_remove_stale_boards"](str(tmp_path))
    assert not stale.exists() and live.exists()
