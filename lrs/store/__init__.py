"""Storage backends behind one interface (lrs.store.base.StorageBackend).

open_storage() picks the backend from the database URL:
  sqlite:///PATH        embedded SQLite file (the default)
  mongodb://...         MongoDB through pymongo (also mongodb+srv://)
  mongomock://NAME      the MongoDB backend on an in-memory mongomock client
"""
from .base import (  # noqa: F401  (re-exported: the public vocabulary of the store)
    Credential,
    Document,
    DocumentKey,
    DocumentScope,
    InsertBatch,
    StatementPage,
    StatementQuery,
    StatementRecord,
    StorageBackend,
    StoredStatement,
    StoreInfo,
)
from .rules import DuplicateStatements  # noqa: F401


def open_storage(url, **options):
    """A StorageBackend for the URL; ValueError for a URL no backend understands."""
    if url.startswith("sqlite:///"):
        from .sqlite import SQLiteStorage
        return SQLiteStorage(url[len("sqlite:///"):], **options)
    if url.startswith(("mongodb://", "mongodb+srv://", "mongomock://")):
        from .mongo import MongoStorage
        return MongoStorage(url, **options)
    raise ValueError("unsupported database URL %r (use sqlite:///PATH, mongodb://... or mongomock://NAME)" % url)
