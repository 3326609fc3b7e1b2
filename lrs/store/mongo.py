"""The MongoDB backend (pymongo), also run in memory on mongomock for `mongomock://NAME`.

Statements: one document per statement, `_id` = "<store>/<statement id>" (so the primary index
is also the per-store uniqueness of statement ids), with the fields queries use:
  seq, stored_ms    per-store order (from the `counters` document, $inc by batch size)
  groups            [{g: origin seq, k: ["kind|value", ...]}]: the statement's own keys as one
                    group plus the groups inherited through StatementRefs (QRY-24); a query
                    matches with {groups: {$elemMatch: {k: {$all: filters}}}} (QRY-13)
  ref / void        StatementRef target / voided target, to find later arrivals (QRY-24, VOID-4)
  voided, voiding, auth, body (the JSON bytes as returned)
  pending           batch token while the batch is not yet visible (see below)

All-or-nothing batches without multi-document transactions (mongomock, standalone servers,
sharded clusters alike): every batch has a journal document in `batches`:
  1. journal {_id: token, state: "pending"}; insert the statements with `pending: token`.
     Readers ignore documents that carry `pending`, so nothing of the batch is visible.
     A duplicate id (unique _id) removes what was inserted and raises DuplicateStatements.
  2. merge activity definitions, agent names, attachments (idempotent, harmless if repeated).
  3. COMMIT POINT: the journal's state becomes "committed" (one atomic single-document write).
  4. flip: one update_many removes `pending` from the batch; then the derived effects (voided
     flags, inherited groups) are applied; then the journal document is deleted.
Recovery path: a writer that died leaves a journal document behind. `_recover` (at start, and
from insert_statements every `pending_timeout_s`/2 seconds, and at once when a new batch
collides with a leftover) looks at journals older than `pending_timeout_s`: a "committed" one is
completed (step 4 is idempotent), a "pending" one is rolled back (its statements deleted), so
a crashed batch is either fully visible or gone, never half there.

Derived effects are ordered so that concurrent writers never miss each other: effects that
read other statements (the target's groups, earlier voiding statements) read only visible
ones, effects that write to other statements (void the target, push groups to referrers)
also reach pending ones. If A is still pending when B looks, A's own effects run later and
find B, which was inserted before B looked.

Write concern majority + journaled, read concern majority when the server is a replica set
or a sharded cluster; each overridable in the URL (w=, journal=, readConcernLevel=).
On mongomock every public method holds one lock per NAME, so a batch is atomic for readers
in the process too.
"""
import functools
import json
import threading
import time
import uuid

import pymongo
from pymongo import ReturnDocument
from pymongo.errors import (
    BulkWriteError,
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    PyMongoError,
)
from pymongo.read_concern import ReadConcern
from pymongo.uri_parser import parse_uri

from ..errors import StorageUnavailable
from ..timeutil import format_ms, now_ms
from . import DuplicateStatements
from .base import Credential, Document, StatementPage, StorageBackend, StoredStatement, StoreInfo

_MOCK_CLIENTS = {}                   # NAME -> (mongomock client, lock), shared within the process
_MOCK_LOCK = threading.Lock()
_VISIBLE = {"pending": {"$exists": False}}
_CAS_ATTEMPTS = 100


def _key(kind, value):
    return "%s|%s" % (kind, value)


def _dumps(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _guarded(method):
    """Hold the mongomock lock; report an unreachable server as StorageUnavailable (503)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            try:
                return method(self, *args, **kwargs)
            except (ConnectionFailure, ExecutionTimeout) as error:
                raise StorageUnavailable("MongoDB unavailable: %s" % error) from error
    return wrapper


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class MongoStorage(StorageBackend):
    def __init__(self, url, server_selection_timeout_ms=5000, pending_timeout_s=60, database=None,
                 **client_options):
        self.pending_timeout_ms = int(pending_timeout_s * 1000)
        self._next_recovery = 0.0
        if url.startswith("mongomock://"):
            import mongomock
            name = url[len("mongomock://"):].strip("/") or "lrs"
            with _MOCK_LOCK:
                if name not in _MOCK_CLIENTS:
                    _MOCK_CLIENTS[name] = (mongomock.MongoClient(), threading.RLock())
                self._client, self._lock = _MOCK_CLIENTS[name]
            self._owns_client = False
            self.db = self._client[database or name.replace(".", "_")]
        else:
            parsed = parse_uri(url)
            given = {k.lower() for k in parsed["options"]}
            options = dict(client_options)
            if "w" not in given:
                options.setdefault("w", "majority")
            if "journal" not in given:
                options.setdefault("journal", True)
            if "serverselectiontimeoutms" not in given:
                options.setdefault("serverSelectionTimeoutMS", int(server_selection_timeout_ms))
            self._client = pymongo.MongoClient(url, **options)
            self._owns_client = True
            self._lock = _NoLock()
            read_concern = None
            if "readconcernlevel" not in given and self._supports_majority_reads():
                read_concern = ReadConcern("majority")          # consistent paging across nodes
            self.db = self._client.get_database(database or parsed["database"] or "lrs",
                                                read_concern=read_concern)
        self._start()

    def _supports_majority_reads(self):
        try:
            hello = self._client.admin.command("hello")
        except PyMongoError as error:
            raise StorageUnavailable("MongoDB unavailable: %s" % error) from error
        return "setName" in hello or hello.get("msg") == "isdbgrid"

    @_guarded
    def _start(self):
        self._create_indexes()
        self._recover()

    def _create_indexes(self):
        db = self.db
        db.stores.create_index("name", unique=True)
        db.credentials.create_index([("store_id", 1), ("_id", 1)])
        st = db.statements
        st.create_index([("store", 1), ("seq", 1)], unique=True)
        st.create_index([("store", 1), ("groups.k", 1), ("seq", 1)])
        st.create_index([("store", 1), ("auth", 1), ("seq", 1)])
        st.create_index([("store", 1), ("stored_ms", 1), ("seq", 1)])
        st.create_index([("store", 1), ("ref", 1)], sparse=True)
        st.create_index([("store", 1), ("void", 1)], sparse=True)
        st.create_index("pending", sparse=True)
        db.batches.create_index("created_ms")
        db.documents.create_index([("store", 1), ("kind", 1), ("activity_id", 1), ("agent_key", 1),
                                   ("registration", 1), ("doc_id", 1)])

    # --- lifecycle ---------------------------------------------------------------------

    def close(self):
        if self._owns_client:
            self._client.close()

    def ping(self):
        try:
            with self._lock:
                self.db.command("ping")
        except PyMongoError as error:
            raise StorageUnavailable("MongoDB unavailable: %s" % error) from error

    # --- stores ------------------------------------------------------------------------

    @_guarded
    def create_store(self, name):
        info = StoreInfo(id=uuid.uuid4().hex, name=name, created_ms=now_ms())
        try:
            self.db.stores.insert_one({"_id": info.id, "name": name, "created_ms": info.created_ms})
        except DuplicateKeyError:
            raise ValueError("a store named %r exists" % name) from None
        return info

    @_guarded
    def get_store(self, name):
        doc = self.db.stores.find_one({"name": name})
        return StoreInfo(id=doc["_id"], name=doc["name"], created_ms=doc["created_ms"]) if doc else None

    @_guarded
    def list_stores(self):
        return [StoreInfo(id=d["_id"], name=d["name"], created_ms=d["created_ms"])
                for d in self.db.stores.find().sort("name", 1)]

    # --- credentials -------------------------------------------------------------------

    @staticmethod
    def _credential(doc):
        return Credential(key=doc["_id"], secret_hash=doc["secret_hash"], store_id=doc["store_id"],
                          scopes=list(doc["scopes"]), name=doc.get("name", ""), admin=bool(doc.get("admin")),
                          created_ms=doc.get("created_ms", 0), revoked=bool(doc.get("revoked")))

    @_guarded
    def add_credential(self, credential):
        c = credential
        try:
            self.db.credentials.insert_one({
                "_id": c.key, "secret_hash": c.secret_hash, "store_id": c.store_id, "scopes": list(c.scopes),
                "name": c.name or "", "admin": bool(c.admin), "created_ms": int(c.created_ms or 0),
                "revoked": bool(c.revoked)})
        except DuplicateKeyError:
            raise ValueError("a credential with key %r exists" % c.key) from None

    @_guarded
    def get_credential(self, key):
        doc = self.db.credentials.find_one({"_id": key})
        return self._credential(doc) if doc else None

    @_guarded
    def list_credentials(self, store_id=None):
        query = {} if store_id is None else {"store_id": store_id}
        return [self._credential(d) for d in self.db.credentials.find(query).sort("_id", 1)]

    @_guarded
    def revoke_credential(self, key):
        return self.db.credentials.update_one({"_id": key, "revoked": False},
                                              {"$set": {"revoked": True}}).modified_count == 1

    # --- statements: writing -----------------------------------------------------------

    @_guarded
    def insert_statements(self, store_id, batch):
        records = batch.statements
        ids = [r.id.lower() for r in records]
        if time.monotonic() >= self._next_recovery:
            self._recover()
        repeated = {i for i in ids if ids.count(i) > 1}
        if repeated:
            raise DuplicateStatements(repeated)
        self._reject_existing(store_id, ids)
        docs, results, token = [], [], None
        for attempt in range(3):
            if not records:
                break
            token = uuid.uuid4().hex
            docs, results = self._prepare(store_id, records, ids, token)
            self.db.batches.insert_one({"_id": token, "store": store_id, "state": "pending",
                                        "created_ms": now_ms(), "ids": ids})
            try:
                self.db.statements.insert_many(docs, ordered=True)
                break
            except (BulkWriteError, DuplicateKeyError):
                self._roll_back(token)
                self._reject_existing(store_id, ids)     # raises when an id is really taken
        else:
            raise StorageUnavailable("statements collided with concurrent writes three times; retry")
        try:
            self._merge_attachments(store_id, batch.attachments)
            self._merge_definitions(store_id, batch)
            self._merge_agent_names(store_id, batch.agent_names)
        except BaseException:
            if records:
                self._roll_back(token)
            raise
        if records:
            self.db.batches.update_one({"_id": token}, {"$set": {"state": "committed"}})   # commit point
            voided = self._complete(store_id, token, docs)
            for result in results:
                result.voided = result.id in voided
        return results

    def _prepare(self, store_id, records, ids, token):
        """Reserve seqs and a stored time; the statement documents, still pending."""
        counter = self.db.counters.find_one_and_update(
            {"_id": store_id},
            # TIME-11..13: stored never before the previous batch and strictly after it
            [{"$set": {"seq": {"$add": [{"$ifNull": ["$seq", 0]}, len(records)]},
                       "stored_ms": {"$max": [now_ms(), {"$add": [{"$ifNull": ["$stored_ms", 0]}, 1]}]}}}],
            upsert=True, return_document=ReturnDocument.AFTER)
        first_seq, stored_ms = counter["seq"] - len(records) + 1, counter["stored_ms"]
        stored_text = format_ms(stored_ms)
        docs, results = [], []
        for number, (record, statement_id) in enumerate(zip(records, ids)):
            seq = first_seq + number
            statement = record.statement
            statement["stored"] = stored_text
            if record.timestamp_from_stored:
                statement["timestamp"] = stored_text                       # TIME-9
            body = _dumps(statement).encode("utf-8")
            keys = list(dict.fromkeys(_key(kind, value) for kind, value in record.index_keys))
            doc = {"_id": "%s/%s" % (store_id, statement_id), "store": store_id, "id": statement_id,
                   "seq": seq, "stored_ms": stored_ms, "voided": False,
                   "voiding": record.void_target is not None, "auth": record.authority_key or "",
                   "groups": [{"g": seq, "k": keys}], "body": body, "pending": token}
            if record.ref_target:
                doc["ref"] = record.ref_target.lower()
            if record.void_target:
                doc["void"] = record.void_target.lower()
            docs.append(doc)
            results.append(StoredStatement(id=statement_id, seq=seq, stored_ms=stored_ms, voided=False,
                                           is_voiding=doc["voiding"], body=body))
        return docs, results

    def _reject_existing(self, store_id, ids):
        """DuplicateStatements for ids stored; settle leftovers of crashed writers first."""
        if not ids:
            return
        found = list(self.db.statements.find({"_id": {"$in": ["%s/%s" % (store_id, i) for i in ids]}},
                                             {"id": 1, "pending": 1}))
        pending = {d["pending"] for d in found if "pending" in d}
        if pending:
            for token in pending:
                journal = self.db.batches.find_one({"_id": token})
                if journal is None:
                    continue
                if journal["state"] == "committed":
                    self._complete(journal["store"], token)
                elif journal["created_ms"] <= now_ms() - self.pending_timeout_ms:
                    self._roll_back(token)
                else:
                    raise StorageUnavailable("statements %s are being written by another request; retry"
                                             % ", ".join(sorted(d["id"] for d in found if "pending" in d)))
            found = list(self.db.statements.find(
                {"_id": {"$in": ["%s/%s" % (store_id, i) for i in ids]}, **_VISIBLE}, {"id": 1}))
        if found:
            raise DuplicateStatements({d["id"] for d in found})

    def _roll_back(self, token):
        self.db.statements.delete_many({"pending": token})
        self.db.batches.delete_one({"_id": token})

    def _recover(self):
        """Complete committed and roll back pending batches of writers that died (see module doc)."""
        self._next_recovery = time.monotonic() + self.pending_timeout_ms / 2000.0
        cutoff = now_ms() - self.pending_timeout_ms
        for journal in list(self.db.batches.find({"created_ms": {"$lte": cutoff}})):
            if journal["state"] == "committed":
                self._complete(journal["store"], journal["_id"])
            else:
                self._roll_back(journal["_id"])

    def _complete(self, store_id, token, docs=None):
        """Step 4, idempotent: make the batch visible, apply its effects, drop the journal.

        Returns the ids of the batch's statements that are voided."""
        if docs is None:
            docs = list(self.db.statements.find({"pending": token}, {"body": 0}))
            if not docs:
                journal = self.db.batches.find_one({"_id": token}) or {"ids": []}
                docs = list(self.db.statements.find(
                    {"_id": {"$in": ["%s/%s" % (store_id, i) for i in journal["ids"]]}}, {"body": 0}))
        self.db.statements.update_many({"pending": token}, {"$unset": {"pending": ""}})
        voided = self._apply_voiding(store_id, docs)
        self._apply_references(store_id, docs)
        self.db.batches.delete_one({"_id": token})
        return voided

    def _apply_voiding(self, store_id, docs):
        """VOID-4, VOID-5: voided exactly when not voiding and some voiding statement targets it."""
        targets = {d["void"] for d in docs if d.get("void")}
        new_ids = [d["id"] for d in docs if not d["voiding"]]
        if new_ids:
            targets.update(d["void"] for d in self.db.statements.find(
                {"store": store_id, "void": {"$in": new_ids}, **_VISIBLE}, {"void": 1}))
        if targets:
            self.db.statements.update_many({"store": store_id, "id": {"$in": sorted(targets)},
                                            "voiding": False, "voided": False},
                                           {"$set": {"voided": True}})
        return {d["id"] for d in docs if not d["voiding"] and d["id"] in targets}

    def _apply_references(self, store_id, docs):
        """QRY-24: pull each new referrer's target groups, then push groups up the chains."""
        for doc in docs:
            if doc.get("ref"):
                target = self.db.statements.find_one({"_id": "%s/%s" % (store_id, doc["ref"]), **_VISIBLE},
                                                     {"groups": 1})
                if target is not None:
                    self._add_groups(doc["_id"], target["groups"])
        ids = [d["id"] for d in docs]
        referred = {d["ref"] for d in self.db.statements.find({"store": store_id, "ref": {"$in": ids}},
                                                              {"ref": 1})}
        queue = [i for i in ids if i in referred]
        while queue:
            statement_id = queue.pop()
            source = self.db.statements.find_one({"_id": "%s/%s" % (store_id, statement_id)}, {"groups": 1})
            if source is None:
                continue
            for referrer in list(self.db.statements.find({"store": store_id, "ref": statement_id},
                                                         {"id": 1, "groups": 1})):
                if self._add_groups(referrer["_id"], source["groups"], referrer["groups"]):
                    queue.append(referrer["id"])

    def _add_groups(self, doc_id, groups, current=None):
        if current is None:
            current = (self.db.statements.find_one({"_id": doc_id}, {"groups": 1}) or {}).get("groups", [])
        have = {g["g"] for g in current}
        new = [{"g": g["g"], "k": g["k"]} for g in groups if g["g"] not in have]
        if new:
            self.db.statements.update_one({"_id": doc_id}, {"$addToSet": {"groups": {"$each": new}}})
        return bool(new)

    def _merge_attachments(self, store_id, attachments):
        for sha2, (content_type, data) in attachments.items():
            self.db.attachments.update_one(
                {"_id": "%s/%s" % (store_id, sha2)},
                {"$setOnInsert": {"store": store_id, "sha2": sha2, "content_type": content_type,
                                  "data": bytes(data)}}, upsert=True)

    def _merge_definitions(self, store_id, batch):
        merge = batch.merge_definition or (lambda current, incoming: incoming)
        for activity_id, incoming in batch.activity_definitions.items():
            doc_id = "%s/%s" % (store_id, activity_id)
            for _ in range(_CAS_ATTEMPTS):
                doc = self.db.activities.find_one({"_id": doc_id})
                current = json.loads(doc["definition"]) if doc else None
                merged = merge(current, incoming)
                if doc is not None and merged == current:
                    break
                if doc is None:
                    try:
                        self.db.activities.insert_one({"_id": doc_id, "store": store_id,
                                                       "definition": _dumps(merged), "version": 1})
                        break
                    except DuplicateKeyError:
                        continue
                if self.db.activities.update_one({"_id": doc_id, "version": doc["version"]},
                                                 {"$set": {"definition": _dumps(merged),
                                                           "version": doc["version"] + 1}}).matched_count:
                    break
            else:
                raise StorageUnavailable("activity %s is being changed by many writers; retry" % activity_id)

    def _merge_agent_names(self, store_id, agent_names):
        for agent_key, names in agent_names.items():
            for attempt in (1, 2):
                try:
                    self.db.agents.update_one({"_id": "%s/%s" % (store_id, agent_key)},
                                              {"$addToSet": {"names": {"$each": list(names)}},
                                               "$setOnInsert": {"store": store_id}}, upsert=True)
                    break
                except DuplicateKeyError:      # two upserts raced; the second one updates
                    if attempt == 2:
                        raise

    # --- statements: reading -----------------------------------------------------------

    @staticmethod
    def _stored(doc, voided=None):
        return StoredStatement(id=doc["id"], seq=doc["seq"], stored_ms=doc["stored_ms"],
                               voided=bool(doc["voided"]) if voided is None else voided,
                               is_voiding=bool(doc["voiding"]), body=bytes(doc["body"]))

    @_guarded
    def get_statements(self, store_id, ids):
        wanted = ["%s/%s" % (store_id, i.lower()) for i in set(ids)]
        if not wanted:
            return {}
        return {d["id"]: self._stored(d)
                for d in self.db.statements.find({"_id": {"$in": wanted}, **_VISIBLE},
                                                 {"groups": 0})}

    @_guarded
    def last_seq(self, store_id):
        doc = self.db.statements.find_one({"store": store_id, **_VISIBLE}, {"seq": 1}, sort=[("seq", -1)])
        return doc["seq"] if doc else 0

    def _seq_at_or_before(self, store_id, ms):
        doc = self.db.statements.find_one({"store": store_id, "stored_ms": {"$lte": ms}}, {"seq": 1},
                                          sort=[("stored_ms", -1), ("seq", -1)])
        return doc["seq"] if doc else 0

    @_guarded
    def query_statements(self, store_id, query):
        low, high = 0, None
        if query.since_ms is not None:
            low = self._seq_at_or_before(store_id, query.since_ms)            # QRY-21
        if query.until_ms is not None:
            high = self._seq_at_or_before(store_id, query.until_ms)
        if query.max_seq is not None:
            high = query.max_seq if high is None else min(high, query.max_seq)   # QRY-45
        if query.after_seq is not None:
            if query.ascending:
                low = max(low, query.after_seq)
            else:
                high = query.after_seq - 1 if high is None else min(high, query.after_seq - 1)
        if high is not None and low >= high:
            return StatementPage(statements=[], more=False)
        seq = {"$gt": low}
        if high is not None:
            seq["$lte"] = high
        selector = {"store": store_id, "seq": seq, "voided": False, **_VISIBLE}
        keys = list(dict.fromkeys(_key(kind, value) for kind, value in query.filters))
        if keys:
            selector["groups"] = {"$elemMatch": {"k": {"$all": keys}}}       # QRY-13, QRY-24
        if query.authority_key is not None:
            selector["auth"] = query.authority_key                           # SCOPE-2
        cursor = self.db.statements.find(selector, {"groups": 0}).sort("seq", 1 if query.ascending else -1)
        limit = query.limit if query.limit and query.limit > 0 else None
        if limit is not None:
            cursor = cursor.limit(limit + 1)
        docs = list(cursor)
        more = limit is not None and len(docs) > limit
        return StatementPage(statements=[self._stored(d, False) for d in docs[:limit]], more=more)

    # --- activities, agents, attachments -----------------------------------------------

    @_guarded
    def get_activity_definition(self, store_id, activity_id):
        doc = self.db.activities.find_one({"_id": "%s/%s" % (store_id, activity_id)})
        return json.loads(doc["definition"]) if doc else None

    @_guarded
    def get_agent_names(self, store_id, agent_key):
        doc = self.db.agents.find_one({"_id": "%s/%s" % (store_id, agent_key)})
        return list(doc["names"]) if doc else []

    @_guarded
    def get_attachments(self, store_id, hashes):
        wanted = ["%s/%s" % (store_id, h) for h in set(hashes)]
        if not wanted:
            return {}
        return {d["sha2"]: (d["content_type"], bytes(d["data"]))
                for d in self.db.attachments.find({"_id": {"$in": wanted}})}

    # --- documents ---------------------------------------------------------------------

    @staticmethod
    def _doc_fields(store_id, key):
        return {"store": store_id, "kind": key.kind, "activity_id": key.activity_id or "",
                "agent_key": key.agent_key or "", "registration": key.registration or "",
                "doc_id": key.doc_id}

    @staticmethod
    def _doc_id(fields):
        return _dumps([fields["store"], fields["kind"], fields["activity_id"], fields["agent_key"],
                       fields["registration"], fields["doc_id"]])

    @staticmethod
    def _document(doc):
        return Document(content=bytes(doc["content"]), content_type=doc["content_type"], etag=doc["etag"],
                        updated_ms=doc["updated_ms"]) if doc else None

    @staticmethod
    def _scope_selector(store_id, scope):
        selector = {"store": store_id, "kind": scope.kind, "activity_id": scope.activity_id or "",
                    "agent_key": scope.agent_key or ""}
        if scope.registration is not None:
            selector["registration"] = scope.registration
        elif not scope.all_registrations:
            selector["registration"] = ""
        return selector

    @_guarded
    def get_document(self, store_id, key):
        return self._document(self.db.documents.find_one({"_id": self._doc_id(self._doc_fields(store_id, key))}))

    @_guarded
    def list_documents(self, store_id, scope, since_ms=None):
        """Ids are unique in the answer: across registrations (STATE-14) the newest time counts."""
        selector = self._scope_selector(store_id, scope)
        if since_ms is not None:
            selector["updated_ms"] = {"$gt": since_ms}
        newest = {}
        for doc in self.db.documents.find(selector, {"doc_id": 1, "updated_ms": 1}):
            newest[doc["doc_id"]] = max(doc["updated_ms"], newest.get(doc["doc_id"], doc["updated_ms"]))
        return sorted(newest.items())

    @_guarded
    def write_document(self, store_id, key, decide):
        """CONC-18: compare-and-set on a version field, deciding again after a lost race."""
        fields = self._doc_fields(store_id, key)
        doc_id = self._doc_id(fields)
        for _ in range(_CAS_ATTEMPTS):
            doc = self.db.documents.find_one({"_id": doc_id})
            new = decide(self._document(doc))
            if new is None:
                return None
            values = {"content": bytes(new.content), "content_type": new.content_type, "etag": new.etag,
                      "updated_ms": new.updated_ms}
            if doc is None:
                try:
                    self.db.documents.insert_one({"_id": doc_id, **fields, **values, "version": 1})
                    return new
                except DuplicateKeyError:
                    continue
            if self.db.documents.update_one({"_id": doc_id, "version": doc["version"]},
                                            {"$set": {**values, "version": doc["version"] + 1}}).matched_count:
                return new
        raise StorageUnavailable("document %s is being changed by many writers; retry" % key.doc_id)

    @_guarded
    def delete_document(self, store_id, key, check):
        doc_id = self._doc_id(self._doc_fields(store_id, key))
        for _ in range(_CAS_ATTEMPTS):
            doc = self.db.documents.find_one({"_id": doc_id})
            check(self._document(doc))
            if doc is None:
                return False
            if self.db.documents.delete_one({"_id": doc_id, "version": doc["version"]}).deleted_count:
                return True
        raise StorageUnavailable("document %s is being changed by many writers; retry" % key.doc_id)

    @_guarded
    def delete_documents(self, store_id, scope):
        return self.db.documents.delete_many(self._scope_selector(store_id, scope)).deleted_count

    # --- server-side secrets -----------------------------------------------------------

    def get_or_create_secret(self, name, make):
        value = self._find_secret(name)
        if value is None:
            value = self._add_secret(name, bytes(make()))      # made outside the mongomock lock
        return value

    @_guarded
    def _find_secret(self, name):
        doc = self.db.secrets.find_one({"_id": name})
        return bytes(doc["value"]) if doc else None

    @_guarded
    def _add_secret(self, name, value):
        try:                                                    # the first insert wins (unique _id)
            self.db.secrets.insert_one({"_id": name, "value": value})
        except DuplicateKeyError:
            pass
        return bytes(self.db.secrets.find_one({"_id": name})["value"])
