"""gunicorn -c deploy/gunicorn.conf.py for real, two workers, on a small app with init_app."""
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.system.conftest import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def gunicorn(tmp_path):
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {k: v for k, v in os.environ.items() if k not in ("PROMETHEUS_MULTIPROC_DIR", "GUNICORN_CMD_ARGS")}
    env.update(LRS_WORKERS="2", LRS_THREADS="4", LRS_PORT=str(port), LRS_HOST="127.0.0.1",
               OBSERVED_SLOW_SECONDS="1.5", LRS_GRACEFUL_TIMEOUT="10")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [HERE, ROOT, env.get("PYTHONPATH")]))
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", os.path.join(ROOT, "deploy", "gunicorn.conf.py"),
             "observed_app:app"], cwd=str(tmp_path), env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    url = "http://127.0.0.1:%d" % port
    deadline = time.monotonic() + 20
    while True:
        assert process.poll() is None, log_path.read_text()
        try:
            if requests.get(url + "/health", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.1)
    process.url, process.log_path = url, log_path
    yield process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def _requests_counted(url, route):
    text = requests.get(url + "/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        if family.name == "lrs_http_requests":
            return sum(s.value for s in family.samples
                       if s.name.endswith("_total") and s.labels["route"] == route)
    return 0


def _is_json_object(line):
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def test_metrics_sum_the_requests_of_every_worker(gunicorn):
    with ThreadPoolExecutor(16) as pool:
        pids = set(pool.map(lambda _: requests.get(gunicorn.url + "/pid", timeout=5).json()["pid"],
                            range(40)))
    assert len(pids) >= 1
    assert _requests_counted(gunicorn.url, "/pid") == 40


def test_sigterm_lets_a_request_in_flight_finish(gunicorn):
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(requests.get, gunicorn.url + "/slow", timeout=10)
        time.sleep(0.5)
        os.killpg(gunicorn.pid, signal.SIGTERM)
        response = pending.result()
    assert response.status_code == 200
    assert gunicorn.wait(15) == 0


def test_every_log_line_is_json(gunicorn):
    requests.get(gunicorn.url + "/pid", headers={"Authorization": "Basic c2VjcmV0OnNlY3JldA=="}, timeout=5)
    os.killpg(gunicorn.pid, signal.SIGTERM)
    gunicorn.wait(15)
    lines = [line for line in gunicorn.log_path.read_text().splitlines() if line.strip()]
    not_json = [line for line in lines if not _is_json_object(line)]
    assert not_json == []
    entries = [json.loads(line) for line in lines]
    assert any(e["logger"] == "gunicorn.error" for e in entries)
    assert any(e.get("route") == "/pid" and e.get("status") == 200 for e in entries)
    assert "c2VjcmV0OnNlY3JldA" not in gunicorn.log_path.read_text()


def test_the_metrics_directory_made_at_start_is_removed_at_exit(gunicorn):
    directory = requests.get(gunicorn.url + "/metrics-dir", timeout=5).json()["directory"]
    assert directory and os.path.isdir(directory)
    os.killpg(gunicorn.pid, signal.SIGTERM)
    gunicorn.wait(15)
    assert not os.path.exists(directory)
