"""/metrics: Prometheus text, requests by URL rule and status, durations, the service counters."""
import os
import subprocess
import sys

from lrs import observability

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_metrics_are_prometheus_text(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE lrs_http_requests_total counter" in response.get_data(as_text=True)


def test_requests_are_counted_by_method_route_and_status(client, sample):
    before_ok = sample("lrs_http_requests_total", method="GET", route="/things/<int:number>", status="200")
    before_bad = sample("lrs_http_requests_total", method="GET", route="/things/<int:number>", status="400")
    client.get("/things/1")
    client.get("/things/2")
    client.get("/things/13")
    assert sample("lrs_http_requests_total", method="GET", route="/things/<int:number>",
                  status="200") == before_ok + 2
    assert sample("lrs_http_requests_total", method="GET", route="/things/<int:number>",
                  status="400") == before_bad + 1


def test_route_label_is_the_url_rule_not_the_raw_path(client):
    client.get("/things/987654")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'route="/things/<int:number>"' in text
    assert "987654" not in text


def test_unknown_paths_share_one_route_label(client, sample):
    before = sample("lrs_http_requests_total", route=observability.UNMATCHED_ROUTE, status="404")
    client.get("/no/such/path-1")
    client.get("/no/such/path-2")
    assert sample("lrs_http_requests_total", route=observability.UNMATCHED_ROUTE, status="404") == before + 2
    assert "path-1" not in client.get("/metrics").get_data(as_text=True)


def test_unexpected_errors_are_counted_as_500(client, sample):
    before = sample("lrs_http_requests_total", route="/crash", status="500")
    assert client.get("/crash").status_code == 500
    assert sample("lrs_http_requests_total", route="/crash", status="500") == before + 1


def test_request_durations_are_a_histogram_by_method_and_route(client, sample):
    before = sample("lrs_http_request_duration_seconds_count", method="POST", route="/things/<int:number>")
    client.post("/things/5")
    assert sample("lrs_http_request_duration_seconds_count", method="POST",
                  route="/things/<int:number>") == before + 1
    assert sample("lrs_http_request_duration_seconds_bucket", method="POST", route="/things/<int:number>",
                  le="+Inf") == before + 1


def test_stored_statements_are_counted(sample):
    before = sample("lrs_statements_stored_total")
    observability.count_statements_stored(3)
    observability.count_statements_stored(0)
    assert sample("lrs_statements_stored_total") == before + 3


def test_validation_failures_are_counted(sample):
    before = sample("lrs_validation_failures_total")
    observability.count_validation_failure()
    assert sample("lrs_validation_failures_total") == before + 1


def test_database_errors_are_counted(sample):
    before = sample("lrs_database_errors_total")
    observability.count_database_error()
    assert sample("lrs_database_errors_total") == before + 1


def test_a_failed_readiness_check_counts_a_database_error(client, storage, sample):
    before = sample("lrs_database_errors_total")
    storage.error = TimeoutError("no primary")
    client.get("/ready")
    assert sample("lrs_database_errors_total") == before + 1


MULTIPROCESS_SCRIPT = """
import sys
from flask import Flask
from lrs import observability
app = Flask("worker")
app.config["LRS_CONFIGURE_LOGGING"] = False
observability.init_app(app)
client = app.test_client()
for _ in range(int(sys.argv[1])):
    client.get("/health")
observability.count_statements_stored(int(sys.argv[1]))
if sys.argv[2] == "show":
    sys.stdout.write(client.get("/metrics").get_data(as_text=True))
"""


def test_with_a_multiprocess_directory_metrics_sum_every_process(tmp_path):
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))

    def run(count, show):
        return subprocess.run([sys.executable, "-c", MULTIPROCESS_SCRIPT, str(count), show], env=env,
                              cwd=ROOT, capture_output=True, text=True, check=True, timeout=60).stdout
    run(3, "quiet")
    run(4, "quiet")
    text = run(5, "show")
    assert 'lrs_http_requests_total{method="GET",route="/health",status="200"} 12.0' in text
    assert "lrs_statements_stored_total 12.0" in text
