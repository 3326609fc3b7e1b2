"""A small WSGI app with the LRS's observability, for running deploy/gunicorn.conf.py for real."""
import os
import time

from flask import Flask

from lrs import observability


class Storage:
    def ping(self):
        return None


app = Flask(__name__)
app.extensions["lrs.storage"] = Storage()


@app.get("/pid")
def pid():
    return {"pid": os.getpid()}


@app.get("/metrics-dir")
def metrics_dir():
    return {"directory": os.environ.get("PROMETHEUS_MULTIPROC_DIR")}


@app.get("/slow")
def slow():
    time.sleep(float(os.environ.get("OBSERVED_SLOW_SECONDS", "0.2")))
    return {"pid": os.getpid()}


observability.init_app(app)
