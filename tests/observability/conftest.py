"""A small Flask app with lrs.observability installed, a fake storage, and the log lines it writes."""
import io
import json
import logging

import pytest
from flask import Flask, abort
from prometheus_client.parser import text_string_to_metric_families

from lrs import observability


class FakeStorage:
    def __init__(self):
        self.error = None
        self.pings = 0

    def ping(self):
        self.pings += 1
        if self.error:
            raise self.error


@pytest.fixture
def storage():
    return FakeStorage()


@pytest.fixture
def log_stream():
    stream = io.StringIO()
    handler = observability.configure_logging("INFO", stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)


@pytest.fixture
def app(storage, log_stream):
    app = Flask("observed")
    app.config["LRS_LOG_LEVEL"] = "INFO"
    app.extensions["lrs.storage"] = storage

    @app.route("/things/<int:number>", methods=["GET", "POST"])
    def thing(number):
        if number == 13:
            abort(400)
        logging.getLogger("lrs.test").info("handling thing %d", number)
        return {"number": number}

    @app.get("/crash")
    def crash():
        raise RuntimeError("boom")

    observability.init_app(app)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def log_lines(log_stream):
    def lines():
        return [json.loads(line) for line in log_stream.getvalue().splitlines() if line.strip()]
    return lines


@pytest.fixture
def sample(client):
    """sample(name, **labels) -> the value /metrics reports now (0 when absent)."""
    def value(name, **labels):
        text = client.get("/metrics").get_data(as_text=True)
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                    return s.value
        return 0.0
    return value
