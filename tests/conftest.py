"""Shared test set-up: the repository root on sys.path so `lrs` and `schemas` import."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests import mongo_double  # noqa: E402  (needs the path above)

mongo_double.register()          # mongomock://NAME opens the MongoDB backend on the test double
