"""A test double for MongoDB sessions and multi-document transactions, on mongomock.

The MongoDB backend needs transactions (a replica set); mongomock has no sessions at all. This
double gives mongomock what the backend uses of them, so that the storage contract suite and the
API tests run the backend's real code paths in memory:

* `start_session()` returns a session whose `start_transaction()` waits for the client's one
  transaction lock (writers serialise, as writers of one store do on its counter document on a
  real server) and whose `commit_transaction()` / `abort_transaction()` release it;
* inside a transaction, the first touch of a collection takes a private copy of its documents;
  the transaction reads and writes only that copy, so other threads keep reading the committed
  documents (isolation) until commit, which applies the transaction's changes at once
  (atomicity); abort drops the copy;
* the `session=` argument of collection methods is accepted and dropped (mongomock refuses it).

Where it differs from a server: transactions on different stores also serialise, and a
transaction never sees a write conflict (it waits instead). `fail_next_commit` injects the
errors a server can answer to a commit (a transient error, an unknown commit result) so the
backend's retries can be tested.

Tests open it through `mongomock://NAME` URLs (see register()): one shared client per NAME.
"""
import collections.abc
import copy
import threading
import uuid

import mongomock
from mongomock.helpers import hashdict
from pymongo.errors import OperationFailure

_CLIENTS = {}
_CLIENTS_LOCK = threading.Lock()


class _Documents(collections.abc.MutableMapping):
    """Stands in for a mongomock collection's document dict: the committed documents, or the
    current thread's transaction copy of them."""

    def __init__(self, client, committed):
        self.client, self.committed = client, committed

    def _current(self):
        transaction = self.client._local_transaction()
        return self.committed if transaction is None else transaction.copy_of(self)

    def __getitem__(self, key):
        return self._current()[key]

    def __setitem__(self, key, value):
        self._current()[key] = value

    def __delitem__(self, key):
        del self._current()[key]

    def __iter__(self):
        return iter(list(self._current()))

    def __len__(self):
        return len(self._current())

    def values(self):
        return list(self._current().values())


def _documents_copy(documents):
    """A deep copy of a collection's documents. mongomock keys a document whose _id is a
    sub-document (store_settings') by a `hashdict`, which refuses item assignment and so cannot go
    through copy.deepcopy; it is immutable, so the copy keeps it as it is."""
    return {key: copy.deepcopy(value, {id(key): key}) if isinstance(key, hashdict) else copy.deepcopy(value)
            for key, value in documents.items()}


class _Transaction:
    def __init__(self):
        self.copies = {}          # id(_Documents) -> (it, documents as first seen, private copy)

    def copy_of(self, documents):
        if id(documents) not in self.copies:
            seen = _documents_copy(documents.committed)
            self.copies[id(documents)] = (documents, seen, _documents_copy(seen))
        return self.copies[id(documents)][2]

    def apply(self):
        for documents, seen, private in self.copies.values():
            for key in list(seen) + [k for k in private if k not in seen]:
                if key not in private:
                    documents.committed.pop(key, None)
                elif seen.get(key) != private[key]:
                    documents.committed[key] = private[key]


class FakeSession:
    def __init__(self, client):
        self.client = client
        self.transaction = None

    @property
    def in_transaction(self):
        return self.transaction is not None

    def start_transaction(self, **options):
        self.client._transaction_lock.acquire()
        self.transaction = _Transaction()
        self.client._local.transaction = self.transaction

    def commit_transaction(self):
        failure = self.client.fail_next_commit.pop(0) if self.client.fail_next_commit else None
        if failure is not None:
            error = OperationFailure("injected: %s" % failure)
            error._error_labels = {failure}
            if failure == "TransientTransactionError":
                self._end()                        # the server aborted the transaction
            raise error
        self.transaction.apply()
        self._end()

    def abort_transaction(self):
        self._end()

    def _end(self):
        if self.transaction is not None:
            self.transaction = None
            self.client._local.transaction = None
            self.client._transaction_lock.release()

    def end_session(self):
        self._end()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.end_session()
        return False


class _Collection:
    """A mongomock collection that accepts session= and keeps its documents transactional."""

    def __init__(self, client, collection):
        self._client, self._collection = client, collection
        store = collection._store
        if not isinstance(store._documents, _Documents):
            store._documents = _Documents(client, store._documents)

    def __getattr__(self, name):
        attribute = getattr(self._collection, name)
        if not callable(attribute):
            return attribute

        def call(*args, session=None, **kwargs):
            return attribute(*args, **kwargs)
        return call


class _Database:
    def __init__(self, client, database):
        self._client, self._database = client, database

    def __getattr__(self, name):
        if name.startswith("_") or name in ("command", "name", "read_concern", "list_collection_names"):
            return getattr(self._database, name)
        return _Collection(self._client, self._database[name])

    def __getitem__(self, name):
        return _Collection(self._client, self._database[name])


class TransactionalMongoClient:
    """A mongomock client with sessions and transactions (see the module's doc)."""

    def __init__(self):
        self._mongo = mongomock.MongoClient()
        self._transaction_lock = threading.Lock()
        self._local = threading.local()
        self.fail_next_commit = []        # error labels the next commits answer with

    def _local_transaction(self):
        return getattr(self._local, "transaction", None)

    def __getitem__(self, name):
        return _Database(self, self._mongo[name])

    def start_session(self):
        return FakeSession(self)

    def drop_database(self, name):
        self._mongo.drop_database(name)

    def close(self):
        pass


def client_for(name):
    with _CLIENTS_LOCK:
        if name not in _CLIENTS:
            _CLIENTS[name] = TransactionalMongoClient()
        return _CLIENTS[name]


def open_mongomock(url, **options):
    """The MongoDB backend on the double: mongomock://NAME, one shared client per NAME."""
    from lrs.store.mongo import MongoStorage
    name = url[len("mongomock://"):].strip("/") or "lrs"
    options.pop("synchronous", None)
    return MongoStorage(url, client=client_for(name), database=name.replace(".", "_"), **options)


def register():
    from lrs.store import register_backend
    register_backend("mongomock://", open_mongomock)


def new_url(prefix="test"):
    return "mongomock://%s-%s" % (prefix, uuid.uuid4().hex)
