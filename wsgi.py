"""WSGI entry point: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`."""
from lrs.app import create_app

app = create_app()
