"""Storage backends behind one interface (lrs.store.base.StorageBackend).

open_storage() picks the backend from the database URL:
  sqlite:///PATH        embedded SQLite file (the default)
  mongodb://...         MongoDB through pymongo (also mongodb+srv://)
Tests add URL schemes of their own with register_backend (mongomock://NAME: the MongoDB
backend on an in-memory test double, tests/mongo_double.py).
"""
from .base import (  # noqa: F401  (re-exported: the public vocabulary of the store)
    Credential,
    Document,
    DocumentKey,
    DocumentScope,
    ForwardingCounts,
    ForwardingRule,
    InsertBatch,
    OutboxEntry,
    PullCursor,
    ReportFacts,
    ReportRow,
    StatementPage,
    StatementQuery,
    StatementRecord,
    StorageBackend,
    StoredStatement,
    StoreInfo,
    StoreUsage,
)
from .rules import DuplicateStatements, UnchainedStatements  # noqa: F401


_REGISTERED = {}          # URL prefix -> factory(url, **options), added by register_backend


def register_backend(prefix, factory):
    """Open URLs starting with prefix with factory(url, **options) (tests, tools)."""
    _REGISTERED[prefix] = factory


def supported_url(url):
    return url.startswith(("sqlite:///", "mongodb://", "mongodb+srv://") + tuple(_REGISTERED))


def open_storage(url, **options):
    """A StorageBackend for the URL; ValueError for a URL no backend understands."""
    if url.startswith("sqlite:///"):
        from .sqlite import SQLiteStorage
        return SQLiteStorage(url[len("sqlite:///"):], **options)
    if url.startswith(("mongodb://", "mongodb+srv://")):
        from .mongo import MongoStorage
        return MongoStorage(url, **options)
    for prefix, factory in _REGISTERED.items():
        if url.startswith(prefix):
            return factory(url, **options)
    raise ValueError("unsupported database URL %r (use sqlite:///PATH, mongodb://... or mongodb+srv://...)" % url)
