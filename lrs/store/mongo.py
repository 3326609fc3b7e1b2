"""The MongoDB backend (pymongo): a replica set or a sharded cluster, one transaction per write.

Every statement batch (statements, their index keys, voidings, inherited groups, definitions,
agent names, attachment data), every document write and every administrative change with its
audit chain entry (issue 13) is one multi-document transaction, so a write is all there or not
there, for every reader, whatever happens to the writer.

Order: `counters` holds one document per store, {seq, stored_ms}. A batch's transaction updates
it first, so writers of one store serialise on it (the second gets a write conflict and retries
after the first ends) and commit order equals seq order: a reader never sees seq n+1 without n,
and the counter, read outside a transaction, is the newest committed batch (Consistent-Through).

Collections (`_id` prefixed by the store id, so the primary index keeps stores apart):
  statements   seq, stored_ms, voided, voiding, auth, groups [{g: origin seq, k: ["kind|value"]}]
               (QRY-13, QRY-24: a query matches {groups: {$elemMatch: {k: {$all: filters}}}}),
               ref / void (StatementRef / voided target, to find later arrivals), body (the JSON),
               facts (lrs.store.ReportFacts as an array, what the reports read; absent for
               statements stored before they were kept, '' once erased)
  attachments  metadata per hash; the data in `attachment_chunks`, CHUNK_BYTES per document,
               so no document nears MongoDB's 16 MiB limit
  chain        the audit chain (issue 13, lrs/store/chain.py): one document per entry, {store, n,
               kind, seq, id, target, content, hash}; the head {n, seq, hash} lives in the store's
               counter document as `chain`, updated in the batch's transaction
  checkpoints  signed chain heads, {store, n, seq, hash, made_ms, signature}, `_id` store/n
  activities, agents, documents, stores, credentials
  forwarding_rules  one per rule (issue 12), with its delivered count and last error
  outbox       `_id` rule/seq: what a rule still has to deliver (or its dead letters), written
               in the statement batch's transaction; leases are owner + lease_until

Writes use majority write concern, journaled, with a time limit (WRITE_TIMEOUT_MS); transactions
read a snapshot. Transient transaction errors are retried with exponential back-off and jitter,
an unknown commit result by committing again, as the driver documents, for TRANSACTION_TIMEOUT_S.
Reads outside transactions use read concern majority: a `more` link never shows a statement
that could be rolled back.
"""
import functools
import json
import random
import time
import uuid

import pymongo
from bson.errors import BSONError
from pymongo import ReadPreference, ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError
from pymongo.read_concern import ReadConcern
from pymongo.uri_parser import parse_uri
from pymongo.write_concern import WriteConcern

from ..errors import StorageUnavailable
from ..timeutil import now_ms
from .base import (Credential, Document, ForwardingCounts, ForwardingRule, OutboxEntry, PullCursor, ReportFacts,
                   ReportRow, StatementPage,
                   StorageBackend, StoredStatement, StoreInfo, StoreUsage, credential_changes)
from .chain import DOCUMENT_KINDS, STATEMENT_KINDS, ChainEntry, ChainHead, Checkpoint, document_key, key_digest
from .rules import (BatchTransaction, ChainTransaction, backfill_chain, chain_documents, check_commit_deadline,
                    document_fields, erase_agent, newest_per_id, prepare_body, scope_fields, seq_bounds, write_batch)
from .rules import VoidingRef
from .rules import chain_act, grant_acts

CHUNK_BYTES = 1 << 20
WRITE_TIMEOUT_MS = 10000
TRANSACTION_TIMEOUT_S = 30.0
_FIRST_BACKOFF_S, _MAX_BACKOFF_S = 0.005, 0.5


def _key(kind, value):
    return "%s|%s" % (kind, value)


def _outbox_doc(e):
    """A pending OutboxEntry's document, without its _id."""
    return {"rule": e.rule_id, "seq": e.seq, "statement_id": e.statement_id, "created_ms": e.created_ms,
            "dead": False, "owner": "", "lease_until": 0, "retry_at": 0, "attempts": 0, "error": ""}


def _outbox_id(rule_id, seq):
    return "%s/%020d" % (rule_id, seq)


def _dumps(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _facts_doc(facts):
    """ReportFacts as kept: an array of their fields (learners as [key, identifier, name] arrays)."""
    return [[list(learner) for learner in facts.learners]] + list(facts[1:-1]) + [list(facts.context)]


def _facts(kept):
    """The ReportFacts of their kept array; None when erased."""
    if not kept:
        return None
    return ReportFacts(tuple(tuple(learner) for learner in kept[0]), *kept[1:-1], tuple(kept[-1]))


def _guarded(method):
    """Report what the driver raises as StorageUnavailable (503), with its words."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (PyMongoError, BSONError) as error:          # BSONError: e.g. a document too large
            raise StorageUnavailable("MongoDB unavailable: %s" % error) from error
    return wrapper


class _Batch(BatchTransaction, ChainTransaction):
    """The shared batch rules (lrs/store/rules.py) in MongoDB documents, inside one transaction."""

    def __init__(self, db, session, store_id):
        self.db, self.s, self.store = db, session, store_id

    def _id(self, name):
        return "%s/%s" % (self.store, name)

    def _ids_where(self, field, values, projected):
        return {d[projected] for d in self.db.statements.find({"store": self.store, field: {"$in": list(values)}},
                                                              {projected: 1}, session=self.s)}

    def existing_ids(self, ids):
        return {d["id"] for d in self.db.statements.find({"_id": {"$in": [self._id(i) for i in ids]}}, {"id": 1},
                                                         session=self.s)}

    def order(self):
        # the first write of the transaction: from here on, other writers of the store conflict
        counter = self.db.counters.find_one_and_update(
            {"_id": self.store}, {"$inc": {"writes": 1}}, upsert=True,
            return_document=ReturnDocument.AFTER, session=self.s)
        return counter.get("seq", 0), counter.get("stored_ms", 0)

    def set_order(self, last_seq, last_stored_ms):
        self.db.counters.update_one({"_id": self.store}, {"$set": {"seq": last_seq, "stored_ms": last_stored_ms}},
                                    session=self.s)

    def insert(self, statements):
        docs = []
        for statement in statements:
            record = statement.record
            doc = {"_id": self._id(statement.id), "store": self.store, "id": statement.id, "seq": statement.seq,
                   "stored_ms": statement.stored_ms, "voided": False, "voiding": statement.is_voiding,
                   "auth": record.authority_key or "", "groups": [{"g": statement.seq, "k": statement.prepared}],
                   "body": statement.body}
            if record.ref_target:
                doc["ref"] = record.ref_target.lower()
            if record.void_target:
                doc["void"] = record.void_target.lower()
            if record.report_facts is not None:
                doc["facts"] = _facts_doc(record.report_facts)
            docs.append(doc)
        self.db.statements.insert_many(docs, ordered=True, session=self.s)

    def voiding_targets_among(self, ids):
        return self._ids_where("void", ids, "void")

    def mark_voided(self, ids):
        self.db.statements.update_many({"_id": {"$in": [self._id(i) for i in ids]}, "voiding": False,
                                        "voided": False}, {"$set": {"voided": True}}, session=self.s)

    def referred_among(self, ids):
        return self._ids_where("ref", ids, "ref")

    def referrers_of(self, statement_id):
        return sorted(self._ids_where("ref", [statement_id], "id"))

    def groups_of(self, statement_id):
        doc = self.db.statements.find_one({"_id": self._id(statement_id)}, {"groups": 1}, session=self.s)
        return [[g["g"], g["k"]] for g in doc["groups"]] if doc else None

    def add_groups(self, statement_id, groups):
        self.db.statements.update_one({"_id": self._id(statement_id)},
                                      {"$push": {"groups": {"$each": [{"g": g, "k": k} for g, k in groups]}}},
                                      session=self.s)

    def _by_names(self, collection, names, field):
        """{name: the document's `field`} of the store's documents of `collection` named by names."""
        prefix = len(self._id(""))
        return {doc["_id"][prefix:]: doc[field] for doc in collection.find(
            {"_id": {"$in": [self._id(name) for name in names]}}, {field: 1}, session=self.s)}

    def activity_definitions(self, activity_ids):
        return {activity_id: json.loads(definition)
                for activity_id, definition in self._by_names(self.db.activities, activity_ids, "definition").items()}

    def put_activity_definition(self, activity_id, definition):
        self.db.activities.update_one({"_id": self._id(activity_id)},
                                      {"$set": {"store": self.store, "definition": _dumps(definition)}},
                                      upsert=True, session=self.s)

    def agent_names_of(self, agent_keys):
        return {agent_key: list(names) for agent_key, names in self._by_names(self.db.agents, agent_keys, "names").items()}

    def put_agent_names(self, agent_key, names):
        self.db.agents.update_one({"_id": self._id(agent_key)}, {"$set": {"store": self.store, "names": names}},
                                  upsert=True, session=self.s)

    def add_attachment(self, sha2, content_type, data):
        if self.db.attachments.find_one({"_id": self._id(sha2)}, {"_id": 1}, session=self.s):
            return
        chunks = [data[start:start + CHUNK_BYTES] for start in range(0, len(data), CHUNK_BYTES)] or [b""]
        self.db.attachment_chunks.insert_many(
            [{"_id": "%s/%d" % (self._id(sha2), number), "data": chunk} for number, chunk in enumerate(chunks)],
            session=self.s)
        self.db.attachments.insert_one({"_id": self._id(sha2), "store": self.store, "sha2": sha2,
                                        "content_type": content_type, "length": len(data),
                                        "chunks": len(chunks)}, session=self.s)

    def forwarding_rules(self):
        return [(d["_id"], [tuple(p) for p in d["filters"]])
                for d in self.db.forwarding_rules.find({"store": self.store}, {"filters": 1}, session=self.s)]

    def key_groups_of(self, statement_id):
        return [{tuple(key.split("|", 1)) for key in keys} for _, keys in self.groups_of(statement_id) or []]

    def add_outbox(self, entries):
        self.db.outbox.insert_many([dict(_outbox_doc(e), _id=_outbox_id(e.rule_id, e.seq)) for e in entries],
                                   session=self.s)

    def voidings_of(self, ids):
        return [(d["void"], VoidingRef(seq=d["seq"], id=d["id"], stored_ms=d["stored_ms"]))
                for d in self.db.statements.find({"store": self.store, "void": {"$in": list(ids)}},
                                                 {"void": 1, "seq": 1, "id": 1, "stored_ms": 1}, session=self.s)]

    def positions_of(self, ids):
        return {d["id"]: (d["seq"], d["stored_ms"])
                for d in self.db.statements.find({"store": self.store, "id": {"$in": list(ids)}},
                                                 {"id": 1, "seq": 1, "stored_ms": 1}, session=self.s)}

    def add_outbox_if_absent(self, entries):
        for e in entries:
            self.db.outbox.update_one({"_id": _outbox_id(e.rule_id, e.seq)}, {"$setOnInsert": _outbox_doc(e)},
                                      upsert=True, session=self.s)

    def chain_head(self):
        return _chain_head(self.db.counters.find_one({"_id": self.store}, {"chain": 1}, session=self.s))

    def append_chain(self, entries, head):
        if not entries:
            return
        docs = []
        for e in entries:
            doc = {"_id": "%s/%d" % (self.store, e.n), "store": self.store, "n": e.n, "kind": e.kind, "seq": e.seq,
                   "id": e.id, "target": e.target, "content": e.content, "hash": e.hash}
            if e.kind not in STATEMENT_KINDS:
                doc.update(mark=1, detail=e.detail)          # found by chain_marks' partial index
            docs.append(doc)
        self.db.chain.insert_many(docs, ordered=True, session=self.s)
        self.db.counters.update_one({"_id": self.store},
                                    {"$set": {"chain": {"n": head.n, "seq": head.seq, "hash": head.hash}}},
                                    upsert=True, session=self.s)

    # --- erasure and backfill (issue 13; rules.ChainTransaction) ---------------------------

    def statements_naming(self, agent_key):
        wanted = {_key("agent", agent_key), _key("related_agent", agent_key)}
        found = {}
        for doc in self.db.statements.find({"store": self.store, "groups.k": {"$in": sorted(wanted)}},
                                           {"id": 1, "seq": 1, "groups": 1}, session=self.s):
            if any(group["g"] == doc["seq"] and wanted & set(group["k"]) for group in doc["groups"]):
                found[doc["id"]] = (doc["seq"], doc["seq"])
        return found

    def erase_statements(self, ids, erasure_n):
        if ids:
            self.db.statements.update_many({"_id": {"$in": [self._id(i) for i in ids]}},
                                           {"$set": {"body": b"", "voided": True, "erased": erasure_n, "groups": [],
                                                     "facts": ""}},
                                           session=self.s)

    def drop_groups(self, statement_id, origins):
        self.db.statements.update_one({"_id": self._id(statement_id)},
                                      {"$pull": {"groups": {"g": {"$in": sorted(origins)}}}}, session=self.s)

    def drop_outbox(self, seqs):
        rules = [d["_id"] for d in self.db.forwarding_rules.find({"store": self.store}, {"_id": 1}, session=self.s)]
        if rules and seqs:
            self.db.outbox.delete_many({"rule": {"$in": rules}, "seq": {"$in": list(seqs)}}, session=self.s)

    def agent_documents(self, agent_key):
        return sorted((document_fields_of(d) for d in self.db.documents.find(
            {"store": self.store, "agent_key": agent_key}, session=self.s)), key=document_key)

    def delete_agent_data(self, agent_key):
        self.db.documents.delete_many({"store": self.store, "agent_key": agent_key}, session=self.s)
        self.db.agents.delete_one({"_id": self._id(agent_key)}, session=self.s)

    def blank_document_details(self, agent_key):
        named = [d["_id"] for d in self.db.chain.find(
            {"store": self.store, "mark": 1, "kind": {"$in": list(DOCUMENT_KINDS)}, "detail": {"$ne": ""}},
            {"detail": 1}, session=self.s) if json.loads(d["detail"])[2] == agent_key]
        if named:
            self.db.chain.update_many({"_id": {"$in": named}}, {"$set": {"detail": ""}}, session=self.s)

    def first_chained_seq(self):
        doc = self.db.chain.find_one({"store": self.store, "kind": {"$in": list(STATEMENT_KINDS)}}, {"seq": 1},
                                     sort=[("seq", 1)], session=self.s)
        return doc["seq"] if doc else None

    def count_statements(self, upto_seq):
        return self.db.statements.count_documents({"store": self.store, "seq": {"$lte": upto_seq}}, session=self.s)

    def statement_bodies(self, upto_seq):
        for doc in self.db.statements.find({"store": self.store, "seq": {"$lte": upto_seq}},
                                           {"id": 1, "seq": 1, "voiding": 1, "void": 1, "body": 1}, sort=[("seq", 1)],
                                           session=self.s):
            yield doc["seq"], doc["id"], doc.get("void") if doc["voiding"] else None, bytes(doc["body"])

    def unchained_documents(self):
        chained = {d["id"] for d in self.db.chain.find(
            {"store": self.store, "mark": 1, "kind": {"$in": list(DOCUMENT_KINDS)}}, {"id": 1}, session=self.s)}
        return [(fields, document) for fields, document in _document_rows(self.db, self.store, self.s)
                if key_digest(document_key(fields)) not in chained]


_DOC_FIELDS = ("kind", "activity_id", "agent_key", "registration", "doc_id")


def document_fields_of(doc):
    return {name: doc[name] for name in _DOC_FIELDS}


def _document_rows(db, store_id, session=None):
    for doc in db.documents.find({"store": store_id}, session=session):
        yield document_fields_of(doc), MongoStorage._document(doc)


def _chain_head(counter):
    head = (counter or {}).get("chain")
    return ChainHead(n=head["n"], seq=head["seq"], hash=bytes(head["hash"])) if head else ChainHead()


class MongoStorage(StorageBackend):
    def __init__(self, url, server_selection_timeout_ms=5000, database=None, client=None,
                 transaction_timeout_s=TRANSACTION_TIMEOUT_S, max_commit_delay_ms=None, **client_options):
        """`client`: an already connected client (tests give a transaction-capable test double)."""
        self.transaction_timeout_s = transaction_timeout_s
        self.max_commit_delay_ms = max_commit_delay_ms
        self._write_concern = WriteConcern("majority", wtimeout=WRITE_TIMEOUT_MS, j=True)
        # how a worker process opens its own client (chain_reader); a client handed in cannot be
        self._reopen = None if client is not None else (url, dict(client_options, database=database,
                                                                  server_selection_timeout_ms=server_selection_timeout_ms))
        if client is not None:
            self._client, self._owns_client = client, False
            self.db = client[database or "lrs"]
        else:
            parsed = parse_uri(url)
            given = {k.lower() for k in parsed["options"]}
            options = dict(client_options)
            for name, value in (("w", "majority"), ("journal", True), ("wTimeoutMS", WRITE_TIMEOUT_MS),
                                ("serverSelectionTimeoutMS", int(server_selection_timeout_ms))):
                if name.lower() not in given:
                    options.setdefault(name, value)
            self._client, self._owns_client = pymongo.MongoClient(url, **options), True
            self._require_transactions()
            read_concern = None if "readconcernlevel" in given else ReadConcern("majority")
            self.db = self._client.get_database(database or parsed["database"] or "lrs",
                                                read_concern=read_concern,
                                                read_preference=ReadPreference.PRIMARY)
        self._create_indexes()

    @_guarded
    def _require_transactions(self):
        hello = self._client.admin.command("hello")
        if "setName" not in hello and hello.get("msg") != "isdbgrid":
            self._client.close()
            raise ValueError("the MongoDB backend needs a replica set or a sharded cluster (multi-document "
                             "transactions); a standalone mongod can become a one-node replica set: start it "
                             "with --replSet NAME and run rs.initiate() once")

    @_guarded
    def _create_indexes(self):
        db = self.db
        db.stores.create_index("name", unique=True)
        db.credentials.create_index([("store_id", 1), ("_id", 1)])
        st = db.statements
        st.create_index([("store", 1), ("seq", 1)], unique=True)
        st.create_index([("store", 1), ("groups.k", 1), ("seq", 1)])
        st.create_index([("store", 1), ("auth", 1), ("seq", 1)])
        st.create_index([("store", 1), ("stored_ms", 1), ("seq", 1)])
        # only StatementRefs and voiding statements carry these: index just them
        st.create_index([("store", 1), ("ref", 1)], partialFilterExpression={"ref": {"$exists": True}})
        st.create_index([("store", 1), ("void", 1)], partialFilterExpression={"void": {"$exists": True}})
        db.forwarding_rules.create_index([("store", 1), ("name", 1)], unique=True)
        db.outbox.create_index([("rule", 1), ("dead", 1), ("seq", 1)])
        db.outbox.create_index([("rule", 1), ("lease_until", 1)])        # a claim's look for others' leases
        db.chain.create_index([("store", 1), ("n", 1)], unique=True)
        # entries other than statements (documents, acts, erasures, backfills) carry `mark`
        db.chain.create_index([("store", 1), ("mark", 1), ("n", 1)], partialFilterExpression={"mark": {"$exists": True}})
        db.checkpoints.create_index([("store", 1), ("n", 1)], unique=True)
        db.documents.create_index([("store", 1), ("kind", 1), ("activity_id", 1), ("agent_key", 1),
                                   ("registration", 1), ("doc_id", 1)])

    # --- transactions ------------------------------------------------------------------

    def _in_transaction(self, work):
        """work(session) inside one transaction, retried as the driver documents; its result."""
        deadline = time.monotonic() + self.transaction_timeout_s
        backoff = _FIRST_BACKOFF_S
        while True:
            with self._client.start_session() as session:
                session.start_transaction(read_concern=ReadConcern("snapshot"), write_concern=self._write_concern,
                                          read_preference=ReadPreference.PRIMARY)
                try:
                    result = work(session)
                    self._commit(session, deadline)
                    return result
                except PyMongoError as error:
                    self._abort(session)
                    if not error.has_error_label("TransientTransactionError") or time.monotonic() > deadline:
                        raise
                except BaseException:
                    self._abort(session)
                    raise
            time.sleep(backoff * random.uniform(0.5, 1.5))        # a conflicting writer: let it finish
            backoff = min(backoff * 2, _MAX_BACKOFF_S)

    @staticmethod
    def _commit(session, deadline):
        while True:
            try:
                session.commit_transaction()
                return
            except PyMongoError as error:
                if not error.has_error_label("UnknownTransactionCommitResult") or time.monotonic() > deadline:
                    raise

    @staticmethod
    def _abort(session):
        if session.in_transaction:
            try:
                session.abort_transaction()
            except PyMongoError:
                pass                       # the server drops an abandoned transaction itself

    # --- lifecycle ---------------------------------------------------------------------

    def close(self):
        if self._owns_client:
            self._client.close()

    @_guarded
    def ping(self):
        self.db.command("ping")

    # --- stores ------------------------------------------------------------------------

    @_guarded
    def create_store(self, name, act=None):
        info = StoreInfo(id=uuid.uuid4().hex, name=name, created_ms=now_ms())

        def work(session):
            self.db.stores.insert_one({"_id": info.id, "name": name, "created_ms": info.created_ms}, session=session)
            self._chain_act(session, info.id, act)
            return info
        try:
            return self._in_transaction(work)
        except DuplicateKeyError:
            raise ValueError("a store named %r exists" % name) from None

    @_guarded
    def get_store(self, name):
        doc = self.db.stores.find_one({"name": name})
        return StoreInfo(id=doc["_id"], name=doc["name"], created_ms=doc["created_ms"]) if doc else None

    @_guarded
    def list_stores(self):
        return [StoreInfo(id=d["_id"], name=d["name"], created_ms=d["created_ms"])
                for d in self.db.stores.find(sort=[("name", 1)])]

    @_guarded
    def rename_store(self, store_id, name, act=None):
        def work(session):
            if self.db.stores.update_one({"_id": store_id}, {"$set": {"name": name}},
                                         session=session).matched_count != 1:
                return False
            self._chain_act(session, store_id, act)
            return True
        try:
            return self._in_transaction(work)
        except DuplicateKeyError:
            raise ValueError("a store named %r exists" % name) from None

    @_guarded
    def store_usage(self, store_id):
        return StoreUsage(statements=self.last_seq(store_id),         # see StoreUsage
                          documents=self.db.documents.count_documents({"store": store_id}))

    # --- credentials -------------------------------------------------------------------

    @staticmethod
    def _credential(doc):
        return Credential(key=doc["_id"], secret_hash=doc["secret_hash"], store_id=doc["store_id"],
                          scopes=list(doc["scopes"]), name=doc.get("name", ""), admin=bool(doc.get("admin")),
                          created_ms=doc.get("created_ms", 0), revoked=bool(doc.get("revoked")),
                          expires_ms=doc.get("expires_ms"), last_used_ms=doc.get("last_used_ms", 0))

    @_guarded
    def add_credential(self, credential, act=None):
        c = credential

        def work(session):
            self.db.credentials.insert_one({
                "_id": c.key, "secret_hash": c.secret_hash, "store_id": c.store_id, "scopes": list(c.scopes),
                "name": c.name or "", "admin": bool(c.admin), "created_ms": int(c.created_ms or 0),
                "revoked": bool(c.revoked), "expires_ms": c.expires_ms, "last_used_ms": int(c.last_used_ms or 0)},
                session=session)
            self._chain_act(session, c.store_id, act)
        try:
            self._in_transaction(work)
        except DuplicateKeyError:
            raise ValueError("a credential with key %r exists" % c.key) from None

    @_guarded
    def get_credential(self, key):
        doc = self.db.credentials.find_one({"_id": key})
        return self._credential(doc) if doc else None

    @_guarded
    def list_credentials(self, store_id=None):
        query = {} if store_id is None else {"store_id": store_id}
        return [self._credential(d) for d in self.db.credentials.find(query, sort=[("_id", 1)])]

    @_guarded
    def revoke_credential(self, key, act=None):
        return self._change_credential(key, {"revoked": True}, act)

    @_guarded
    def update_credential(self, key, changes, act=None):
        changes = credential_changes(changes)
        if not changes:
            return self.db.credentials.count_documents({"_id": key, "revoked": False}) == 1
        return self._change_credential(key, changes, act)

    def _change_credential(self, key, fields, act):
        """Set `fields` of the credential unless it is revoked, and chain `act` in its store's
        chain, in one transaction; True when there was one to change."""
        return self._set_and_chain(self.db.credentials, {"_id": key, "revoked": False}, fields, "store_id", act)

    def _set_and_chain(self, collection, query, fields, store_field, act):
        """Set `fields` of the document `query` finds and chain `act` in the chain of the store its
        `store_field` names, in one transaction; True when there was one."""
        def work(session):
            doc = collection.find_one_and_update(query, {"$set": fields}, projection={store_field: 1},
                                                 session=session)
            if doc is None:
                return False
            self._chain_act(session, doc[store_field], act)
            return True
        return self._in_transaction(work)

    @_guarded
    def touch_credential(self, key, used_ms):
        self.db.credentials.update_one({"_id": key, "last_used_ms": {"$not": {"$gte": int(used_ms)}}},
                                       {"$set": {"last_used_ms": int(used_ms)}})

    # --- statements --------------------------------------------------------------------

    @_guarded
    def insert_statements(self, store_id, batch):
        ids = [record.id.lower() for record in batch.statements]
        prepared = [(prepare_body(record), list(dict.fromkeys(_key(kind, value) for kind, value in record.index_keys)))
                    for record in batch.statements]

        def work(session):
            results = write_batch(_Batch(self.db, session, store_id), batch, prepared, now_ms())
            self._before_commit(store_id, ids)
            if results:
                check_commit_deadline(results[0].stored_ms, now_ms(), self.max_commit_delay_ms)
            return results
        return self._in_transaction(work)

    # what a StoredStatement is made of: a read never fetches the index keys (groups), nor the
    # authority, reference and voiding keys only the indexes need (issue 16)
    _STATEMENT_FIELDS = {"_id": 0, "id": 1, "seq": 1, "stored_ms": 1, "voided": 1, "voiding": 1, "body": 1, "erased": 1}

    @staticmethod
    def _stored(doc, voided=None):
        return StoredStatement(id=doc["id"], seq=doc["seq"], stored_ms=doc["stored_ms"],
                               voided=bool(doc["voided"]) if voided is None else voided,
                               is_voiding=bool(doc["voiding"]), body=bytes(doc["body"]), erased=doc.get("erased", 0))

    @_guarded
    def get_statements(self, store_id, ids):
        wanted = ["%s/%s" % (store_id, i.lower()) for i in set(ids)]
        if not wanted:
            return {}
        return {d["id"]: self._stored(d)
                for d in self.db.statements.find({"_id": {"$in": wanted}}, self._STATEMENT_FIELDS)}

    @_guarded
    def committed_order(self, store_id):
        doc = self.db.counters.find_one({"_id": store_id})
        return (doc.get("seq", 0), doc.get("stored_ms", 0)) if doc else (0, 0)

    @_guarded
    def chain_head(self, store_id):
        return _chain_head(self.db.counters.find_one({"_id": store_id}, {"chain": 1}))

    @staticmethod
    def _entry_of(doc):
        return ChainEntry(n=doc["n"], kind=doc["kind"], seq=doc["seq"], id=doc["id"], target=doc["target"],
                          content=bytes(doc["content"]), hash=bytes(doc["hash"]), detail=doc.get("detail", ""))

    def chain_rows(self, store_id, upto_n, after_n=0):
        for doc in self._stream(self.db.chain.find({"store": store_id, "n": {"$gt": after_n, "$lte": upto_n}},
                                                   sort=[("n", 1)])):
            yield (doc["n"], doc["kind"], doc["seq"], doc["id"], doc["target"], bytes(doc["content"]),
                   bytes(doc["hash"]), doc.get("detail", ""))

    def chain_walk(self, store_id, upto_n, after_n=0, page=2000):
        docs = []
        for doc in self._stream(self.db.chain.find({"store": store_id, "n": {"$gt": after_n, "$lte": upto_n}},
                                                   sort=[("n", 1)])):
            docs.append(doc)
            if len(docs) == page:
                yield self._joined(store_id, docs)
                docs = []
        if docs:
            yield self._joined(store_id, docs)

    def chain_reader(self):
        """None for a client handed in (the transactional mongomock double of the tests lives in
        this process only): the ranges are then read here."""
        return None if self._reopen is None else ChainReader(*self._reopen)

    def _joined(self, store_id, docs):
        """chain_walk's page of tuples for a page of entries, their statements read at once."""
        seqs = [d["seq"] for d in docs if d["kind"] in STATEMENT_KINDS]
        kept = {s["seq"]: s for s in self._stream(self.db.statements.find(
            {"store": store_id, "seq": {"$in": seqs}}, self._STATEMENT_FIELDS))} if seqs else {}
        nothing, page = (None,) * 5, []
        for d in docs:
            s = kept.get(d["seq"]) if d["kind"] in STATEMENT_KINDS else None
            page.append((d["n"], d["kind"], d["seq"], d["id"], d["target"], bytes(d["content"]), bytes(d["hash"]),
                         d.get("detail", "")) + ((s["id"], s["voided"], s["voiding"], bytes(s["body"]),
                                                  s.get("erased", 0)) if s is not None else nothing))
        return page

    @_guarded
    def count_statements(self, store_id, upto_seq):
        return self.db.statements.count_documents({"store": store_id, "seq": {"$lte": upto_seq}})

    def chain_marks(self, store_id, upto_n):
        for doc in self._stream(self.db.chain.find({"store": store_id, "mark": 1, "n": {"$lte": upto_n}},
                                                   sort=[("n", 1)])):
            yield self._entry_of(doc)

    def statement_tuples(self, store_id, upto_seq, from_seq=1):
        for doc in self._stream(self.db.statements.find({"store": store_id, "seq": {"$gte": from_seq, "$lte": upto_seq}},
                                                        self._STATEMENT_FIELDS, sort=[("seq", 1)])):
            yield (doc["seq"], doc["id"], doc["voided"], doc["voiding"], bytes(doc["body"]), doc.get("erased", 0),
                   doc["stored_ms"])

    def document_rows(self, store_id):
        yield from self._stream(_document_rows(self.db, store_id))

    def _chain_act(self, session, store_id, act):
        """Chain `act` (chain.Act; nothing when None) in the store's chain, inside the open
        transaction `session` of the change it records (issue 13)."""
        if act is not None:
            chain_act(_Batch(self.db, session, store_id), act)

    @_guarded
    def erase_agent(self, store_id, agent_key, facts):
        return self._in_transaction(lambda session: erase_agent(_Batch(self.db, session, store_id), agent_key, facts))

    @_guarded
    def backfill_chain(self, store_id, facts):
        def work(session):
            tx = _Batch(self.db, session, store_id)
            return backfill_chain(tx, facts, tx.order()[0])
        return self._in_transaction(work)

    @_guarded
    def add_checkpoint(self, checkpoint):
        c = checkpoint
        try:
            self.db.checkpoints.insert_one({"_id": "%s/%d" % (c.store_id, c.n), "store": c.store_id, "n": c.n,
                                            "seq": c.seq, "hash": c.hash, "made_ms": c.made_ms,
                                            "signature": c.signature})
        except DuplicateKeyError:
            return False
        return True

    @_guarded
    def list_checkpoints(self, store_id, after_n=0):
        return [Checkpoint(store_id=store_id, n=d["n"], seq=d["seq"], hash=bytes(d["hash"]), made_ms=d["made_ms"],
                           signature=bytes(d["signature"]))
                for d in self.db.checkpoints.find({"store": store_id, "n": {"$gt": after_n}},
                                                        sort=[("n", 1)])]

    @staticmethod
    def _stream(cursor):
        try:
            yield from cursor
        except (PyMongoError, BSONError) as error:
            raise StorageUnavailable("MongoDB unavailable: %s" % error) from error

    def _seq_at_or_before(self, store_id, ms):
        doc = self.db.statements.find_one({"store": store_id, "stored_ms": {"$lte": ms}}, {"seq": 1},
                                          sort=[("stored_ms", -1), ("seq", -1)])
        return doc["seq"] if doc else 0

    def query_plan(self, store_id, query):
        """(selector, sort) of a query's find on `statements`, or None when nothing can match."""
        bounds = seq_bounds(query, lambda ms: self._seq_at_or_before(store_id, ms))
        if bounds is None:
            return None
        seq = {"$gt": bounds[0]}
        if bounds[1] is not None:
            seq["$lte"] = bounds[1]
        selector = {"store": store_id, "seq": seq, "voided": False}
        keys = list(dict.fromkeys(_key(kind, value) for kind, value in query.filters))
        if keys:
            selector["groups"] = {"$elemMatch": {"k": {"$all": keys}}}       # QRY-13, QRY-24
        if query.authority_key is not None:
            selector["auth"] = query.authority_key                           # SCOPE-2
        return selector, [("seq", 1 if query.ascending else -1)]

    @_guarded
    def query_statements(self, store_id, query):
        plan = self.query_plan(store_id, query)
        if plan is None:
            return StatementPage(statements=[], more=False)
        limit = query.limit if query.limit and query.limit > 0 else None
        docs = list(self.db.statements.find(plan[0], self._STATEMENT_FIELDS, sort=plan[1],
                                            limit=limit + 1 if limit is not None else 0))
        more = limit is not None and len(docs) > limit
        return StatementPage(statements=[self._stored(d, False) for d in docs[:limit]], more=more)

    @_guarded
    def query_report_rows(self, store_id, query):
        plan = self.query_plan(store_id, query)
        if plan is None:
            return [], False
        limit = query.limit if query.limit and query.limit > 0 else None
        docs = list(self.db.statements.find(plan[0], {"_id": 0, "id": 1, "seq": 1, "stored_ms": 1, "facts": 1},
                                            sort=plan[1], limit=limit + 1 if limit is not None else 0))
        more = limit is not None and len(docs) > limit
        docs = docs[:limit]
        without = ["%s/%s" % (store_id, doc["id"]) for doc in docs if "facts" not in doc]
        bodies = {doc["id"]: bytes(doc["body"]) for doc in self.db.statements.find(
            {"_id": {"$in": without}}, {"_id": 0, "id": 1, "body": 1})} if without else {}
        return [ReportRow(doc["seq"], doc["id"], doc["stored_ms"], _facts(doc["facts"]) if "facts" in doc else None,
                          bodies.get(doc["id"], b"")) for doc in docs], more

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
        found = {}
        for meta in self.db.attachments.find({"_id": {"$in": ["%s/%s" % (store_id, h) for h in set(hashes)]}}):
            chunk_ids = ["%s/%d" % (meta["_id"], number) for number in range(meta["chunks"])]
            chunks = {d["_id"]: bytes(d["data"]) for d in self.db.attachment_chunks.find({"_id": {"$in": chunk_ids}})}
            found[meta["sha2"]] = (meta["content_type"], b"".join(chunks[i] for i in chunk_ids))
        return found

    # --- documents ---------------------------------------------------------------------

    @staticmethod
    def _document(doc):
        return Document(content=bytes(doc["content"]), content_type=doc["content_type"], etag=doc["etag"],
                        updated_ms=doc["updated_ms"]) if doc else None

    @staticmethod
    def _doc_id(store_id, key):
        fields = document_fields(key)
        return _dumps([store_id] + [fields[name] for name in ("kind", "activity_id", "agent_key",
                                                                "registration", "doc_id")])

    @_guarded
    def get_document(self, store_id, key):
        return self._document(self.db.documents.find_one({"_id": self._doc_id(store_id, key)}))

    @_guarded
    def list_documents(self, store_id, scope, since_ms=None):
        selector = {"store": store_id, **scope_fields(scope)}
        if since_ms is not None:
            selector["updated_ms"] = {"$gt": since_ms}
        return newest_per_id((doc["doc_id"], doc["updated_ms"])
                             for doc in self.db.documents.find(selector, {"doc_id": 1, "updated_ms": 1}))

    @_guarded
    def write_document(self, store_id, key, decide):
        """CONC-18: read, decide and write in one transaction (decided again after a conflict)."""
        doc_id = self._doc_id(store_id, key)

        def work(session):
            new = decide(self._document(self.db.documents.find_one({"_id": doc_id}, session=session)))
            if new is not None:
                self.db.documents.replace_one(
                    {"_id": doc_id},
                    {"store": store_id, **document_fields(key), "content": bytes(new.content),
                     "content_type": new.content_type, "etag": new.etag, "updated_ms": new.updated_ms},
                    upsert=True, session=session)
                chain_documents(_Batch(self.db, session, store_id), [(document_fields(key), new)])
            return new
        return self._in_transaction(work)

    @_guarded
    def delete_document(self, store_id, key, check):
        doc_id = self._doc_id(store_id, key)

        def work(session):
            current = self._document(self.db.documents.find_one({"_id": doc_id}, session=session))
            check(current)
            if current is None or self.db.documents.delete_one({"_id": doc_id}, session=session).deleted_count != 1:
                return False
            chain_documents(_Batch(self.db, session, store_id), [(document_fields(key), None)])
            return True
        return self._in_transaction(work)

    @_guarded
    def delete_documents(self, store_id, scope):
        selector = {"store": store_id, **scope_fields(scope)}

        def work(session):
            gone = sorted((document_fields_of(d) for d in self.db.documents.find(selector, session=session)),
                          key=document_key)
            self.db.documents.delete_many(selector, session=session)
            chain_documents(_Batch(self.db, session, store_id), [(fields, None) for fields in gone])
            return len(gone)
        return self._in_transaction(work)

    # --- server-side secrets -----------------------------------------------------------

    @_guarded
    def get_or_create_secret(self, name, make):
        doc = self.db.secrets.find_one({"_id": name})
        if doc is not None:
            return bytes(doc["value"])
        try:                                                    # the first insert wins (unique _id)
            self.db.secrets.insert_one({"_id": name, "value": bytes(make())})
        except DuplicateKeyError:
            pass
        return bytes(self.db.secrets.find_one({"_id": name})["value"])

    # --- forwarding rules and the outbox (issue 12) ------------------------------------

    @staticmethod
    def _rule(d):
        return ForwardingRule(id=d["_id"], store_id=d["store"], name=d["name"], target_store_id=d.get("target_store"),
                              endpoint=d["endpoint"], key=d["key"], secret_sealed=bytes(d["secret_sealed"]),
                              version=d["version"], filter=json.loads(d["filter"]),
                              filters=[tuple(p) for p in d["filters"]], active=bool(d["active"]),
                              created_ms=d["created_ms"])

    @_guarded
    def add_forwarding_rule(self, rule, act=None):
        def work(session):
            self.db.forwarding_rules.insert_one({
                "_id": rule.id, "store": rule.store_id, "name": rule.name, "target_store": rule.target_store_id,
                "endpoint": rule.endpoint, "key": rule.key, "secret_sealed": bytes(rule.secret_sealed),
                "version": rule.version, "filter": _dumps(rule.filter), "filters": [list(p) for p in rule.filters],
                "active": bool(rule.active), "created_ms": rule.created_ms, "delivered": 0, "last_error": ""},
                session=session)
            self._chain_act(session, rule.store_id, act)
        try:
            self._in_transaction(work)
        except DuplicateKeyError:
            raise ValueError("the store has a forwarding rule named %r" % rule.name) from None

    @_guarded
    def get_forwarding_rule(self, rule_id):
        doc = self.db.forwarding_rules.find_one({"_id": rule_id})
        return self._rule(doc) if doc else None

    @_guarded
    def list_forwarding_rules(self, store_id=None):
        query = {} if store_id is None else {"store": store_id}
        return [self._rule(d) for d in self.db.forwarding_rules.find(query, sort=[("store", 1), ("name", 1)])]

    @_guarded
    def set_forwarding_rule_active(self, rule_id, active, act=None):
        return self._set_and_chain(self.db.forwarding_rules, {"_id": rule_id}, {"active": bool(active)}, "store", act)

    @_guarded
    def remove_forwarding_rule(self, rule_id, act=None):
        def work(session):
            doc = self.db.forwarding_rules.find_one_and_delete({"_id": rule_id}, projection={"store": 1},
                                                               session=session)
            if doc is None:
                return False
            self.db.outbox.delete_many({"rule": rule_id}, session=session)
            self._chain_act(session, doc["store"], act)
            return True
        return self._in_transaction(work)

    @staticmethod
    def _entry(d):
        return OutboxEntry(rule_id=d["rule"], seq=d["seq"], statement_id=d["statement_id"],
                           created_ms=d["created_ms"], attempts=d["attempts"], error=d["error"])

    @_guarded
    def claim_outbox(self, rule_id, owner, limit, lease_ms, now_ms, after_seq=None):
        def work(session):
            outbox = self.db.outbox
            if outbox.find_one({"rule": rule_id, "lease_until": {"$gt": now_ms}, "dead": False,
                                "owner": {"$ne": owner}}, {"_id": 1}, session=session):
                return []
            live = {"rule": rule_id, "dead": False}
            if after_seq is not None:
                if outbox.find_one({**live, "seq": {"$lte": int(after_seq)},
                                    "$or": [{"owner": {"$ne": owner}}, {"lease_until": {"$lte": now_ms}}]},
                                   {"_id": 1}, session=session):
                    return []
                live["seq"] = {"$gt": int(after_seq)}
            docs = list(outbox.find(live, sort=[("seq", 1)], limit=int(limit), session=session))
            if not docs or docs[0]["retry_at"] > now_ms:             # the oldest waits for its retry
                return []
            outbox.update_many({"_id": {"$in": [d["_id"] for d in docs]}},
                               {"$set": {"owner": owner, "lease_until": now_ms + lease_ms}, "$inc": {"attempts": 1}},
                               session=session)
            for d in docs:
                d["attempts"] += 1
            return [self._entry(d) for d in docs]
        return self._in_transaction(work)

    def _leased(self, rule_id, owner, seqs):
        return {"_id": {"$in": [_outbox_id(rule_id, seq) for seq in set(seqs)]}, "owner": owner, "dead": False}

    def _note_error(self, session, rule_id, error):
        self.db.forwarding_rules.update_one({"_id": rule_id}, {"$set": {"last_error": error}}, session=session)

    @_guarded
    def complete_outbox(self, rule_id, owner, seqs):
        def work(session):
            done = self.db.outbox.delete_many(self._leased(rule_id, owner, seqs), session=session).deleted_count
            self.db.forwarding_rules.update_one({"_id": rule_id}, {"$inc": {"delivered": done}}, session=session)
            return done
        return self._in_transaction(work)

    @_guarded
    def release_outbox(self, rule_id, owner, seqs, retry_at_ms, error):
        def work(session):
            count = self.db.outbox.update_many(self._leased(rule_id, owner, seqs), {"$set": {
                "owner": "", "lease_until": 0, "retry_at": retry_at_ms}}, session=session).modified_count
            if count:
                self._note_error(session, rule_id, error)
            return count
        return self._in_transaction(work)

    @_guarded
    def dead_letter_outbox(self, rule_id, owner, errors):
        def work(session):
            held = sorted(d["seq"] for d in self.db.outbox.find(self._leased(rule_id, owner, list(errors)),
                                                                {"seq": 1}, session=session))
            for seq in held:
                self.db.outbox.update_one({"_id": _outbox_id(rule_id, seq)}, {"$set": {
                    "dead": True, "owner": "", "lease_until": 0, "error": errors[seq]}}, session=session)
            if held:
                self._note_error(session, rule_id, errors[held[-1]])
            return len(held)
        return self._in_transaction(work)

    @_guarded
    def list_dead_letters(self, rule_id, limit=100):
        return [self._entry(d) for d in self.db.outbox.find({"rule": rule_id, "dead": True}, sort=[("seq", 1)],
                                                            limit=int(limit))]

    @staticmethod
    def _dead_letters(rule_id, seqs):
        selector = {"rule": rule_id, "dead": True}
        if seqs is not None:
            selector["_id"] = {"$in": [_outbox_id(rule_id, int(seq)) for seq in seqs]}
        return selector

    @_guarded
    def retry_dead_letters(self, rule_id, seqs=None):
        return self.db.outbox.update_many(self._dead_letters(rule_id, seqs),
                                          {"$set": {"dead": False, "error": "", "retry_at": 0}}).modified_count

    @_guarded
    def drop_dead_letters(self, rule_id, seqs=None):
        return self.db.outbox.delete_many(self._dead_letters(rule_id, seqs)).deleted_count

    @_guarded
    def forwarding_counts(self, rule_id, now_ms):
        outbox = self.db.outbox
        live = {"rule": rule_id, "dead": False}
        in_flight = outbox.count_documents({**live, "lease_until": {"$gt": now_ms}})
        oldest = outbox.find_one(live, {"created_ms": 1}, sort=[("seq", 1)])
        rule = self.db.forwarding_rules.find_one({"_id": rule_id}, {"delivered": 1, "last_error": 1}) or {}
        return ForwardingCounts(pending=outbox.count_documents(live) - in_flight, in_flight=in_flight,
                                delivered=rule.get("delivered", 0),
                                dead=outbox.count_documents({"rule": rule_id, "dead": True}),
                                oldest_pending_ms=oldest["created_ms"] if oldest else None,
                                last_error=rule.get("last_error", ""))

    # --- pull cursors (issue 12) -------------------------------------------------------

    @_guarded
    def get_pull_cursor(self, store_id, source):
        d = self.db.pull_cursors.find_one({"_id": {"store": store_id, "source": source}})
        if d is None:
            return None
        return PullCursor(store_id=store_id, source=source, stored_ms=d["stored_ms"], ids=list(d["ids"]),
                          updated_ms=d["updated_ms"])

    @_guarded
    def save_pull_cursor(self, cursor):
        self.db.pull_cursors.replace_one(
            {"_id": {"store": cursor.store_id, "source": cursor.source}},
            {"stored_ms": int(cursor.stored_ms), "ids": list(cursor.ids), "updated_ms": int(cursor.updated_ms)},
            upsert=True)

    # --- reports (issue 13) -------------------------------------------------------------

    @_guarded
    def get_store_setting(self, store_id, name):
        d = self.db.store_settings.find_one({"_id": {"store": store_id, "name": name}})
        return d["value"] if d else None

    @_guarded
    def set_store_setting(self, store_id, name, value, act=None):
        def work(session):
            if value is None:
                self.db.store_settings.delete_one({"_id": {"store": store_id, "name": name}}, session=session)
            else:
                self.db.store_settings.replace_one({"_id": {"store": store_id, "name": name}}, {"value": value},
                                                   upsert=True, session=session)
            self._chain_act(session, store_id, act)
        self._in_transaction(work)

    @_guarded
    def report_grants(self, key):
        d = self.db.report_grants.find_one({"_id": key})
        return sorted(d["stores"]) if d else []

    @_guarded
    def set_report_grants(self, key, store_ids, granted=None, ungranted=None):
        def work(session):
            before = (self.db.report_grants.find_one({"_id": key}, session=session) or {}).get("stores", [])
            self.db.report_grants.replace_one({"_id": key}, {"stores": sorted(set(store_ids))}, upsert=True,
                                              session=session)
            for store_id, act in grant_acts(before, store_ids, granted, ungranted):
                self._chain_act(session, store_id, act)
        self._in_transaction(work)


class ChainReader:
    """MongoStorage.chain_walk from any process (StorageBackend.chain_reader): a client of its own
    per call, closed after it."""

    def __init__(self, url, options):
        self.url, self.options = url, options

    def __call__(self, store_id, upto_n, after_n=0):
        storage = MongoStorage(self.url, **self.options)
        try:
            yield from storage.chain_walk(store_id, upto_n, after_n)
        finally:
            storage.close()
