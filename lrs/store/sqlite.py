"""The embedded default backend: one SQLite file in WAL mode.

Layout (designed for millions of statements per file):

* A store (tenant) has a public string id and a small internal integer `sid`.
* `statements` is a rowid table whose rowid `pk` is `sid << 40 | seq`: one store's statements
  are one contiguous rowid range, ordered by seq, so paging is a rowid range scan and the
  statement index rows below need no separate store column.
* `keys` interns every index value (and every authority key) as an integer `kid`, per
  namespace: `agent` and `related_agent` share the namespace `agent`, `activity` and
  `related_activity` the namespace `activity` (a related_* kind is the plain kind plus more).
* `statement_keys (kid, pk, grp, mask)` is a WITHOUT ROWID table: one row per value per group of
  a statement; `mask` says under which kinds the value was given (1 = plain, 2 = related_*), so
  an actor that is both `agent` and `related_agent` costs one row, not two (fewer index pages
  touched per insert). `grp` is the pk of the statement whose own keys the group holds: a
  statement's own group is its own pk, groups inherited through a StatementRef keep the pk of
  their origin (QRY-24). A query walks the (kid, pk) range of its most selective filter backwards
  (or forwards) and probes the other filters by exact primary key (kid, pk, grp), so all filters
  match within one group (QRY-13) and `limit` stops the walk early.
* `statement_refs` / `statement_voids` remember every StatementRef / voiding target by id so
  that a statement arriving after the one that references or voids it is found (QRY-24, VOID-4).
* Every write runs in one BEGIN IMMEDIATE transaction: serialised across threads and processes,
  atomic, and durable once COMMIT returns (WAL; synchronous FULL or NORMAL both survive kill -9
  of the process, FULL also survives power loss: with FULL the writer fsyncs the WAL itself after
  releasing the write lock and before answering, see _durable). Writers queue on a lock of their own before
  BEGIN IMMEDIATE: a threading.Lock inside the process and an flock on `<db>.writelock` across
  processes (released by the kernel when a process dies, so kill -9 safe), which wake the next
  writer at once instead of SQLite's busy handler sleep-polling (1, 2, 5, ... 100 ms); the busy
  timeout stays as the safety net (a lock file that cannot be opened, other programs).
* Group commit: statement batches of concurrent threads of one process are written in one
  transaction by whichever thread gets the writer lock first (the leader), each batch inside its
  own SAVEPOINT (a duplicate or an error rolls back that batch only), with one COMMIT (one fsync)
  for all; every caller returns its own result or exception only after that COMMIT. Each batch
  still gets its own seqs and its own `stored` (TIME-11..13 below hold batch by batch).

Connections: one per thread (and per process: a connection inherited through fork is never
used, nor closed, by the child). The schema is created and upgraded on first use (MIGRATIONS).

Opening never writes and never waits on luck (issue 17): journal_mode is read and switched to WAL
only when it is not WAL yet (a new file), and the schema version is read and a write transaction
taken only when a migration is due. close() returns only when the background checkpointer has
stopped and every connection is closed, so a process that forks afterwards (the gunicorn master
after its start-up check) hands its children no SQLite state: SQLite keeps the locks of a
process's connections in process memory, and a child that inherits a connection that is, in
another thread, closing (the last close checkpoints the WAL holding an EXCLUSIVE lock) believes
that lock is held forever and gets "database is locked" on its first read.
"""
import fcntl
import functools
import json
import os
import sqlite3
import threading
import uuid
from contextlib import contextmanager

import orjson

from ..errors import StorageUnavailable
from ..timeutil import now_ms
from .base import (Credential, Document, ForwardingCounts, ForwardingRule, OutboxEntry, PullCursor, ReportFacts,
                   ReportRow, StatementPage,
                   StorageBackend, StoredStatement, StoreInfo, StoreUsage, credential_changes)
from .chain import DOCUMENT_KINDS, ChainEntry, ChainHead, Checkpoint, document_key, key_digest
from .rules import (BatchTransaction, ChainTransaction, backfill_chain, chain_documents, check_commit_deadline,
                    document_fields, erase_agent, newest_per_id, prepare_body, scope_fields, seq_bounds, write_batch)
from .packing import packers, unpack
from .rules import VoidingRef
from .rules import chain_act, grant_acts

SEQ_BITS = 40
SEQ_MAX = (1 << SEQ_BITS) - 1
_ESTIMATE_CAP = 2000          # index entries counted per filter to pick the driving one
# Memory per worker stays bounded (issue 16: a soak doubled it): the key cache holds at most two
# generations of _KEY_CACHE_MAX, and each connection (one per thread) at most _PAGE_CACHE_KIB of
# pages; the operating system's file cache keeps the rest of the hot pages, shared by all workers.
_KEY_CACHE_MAX = 20_000        # per generation of the key cache
_PAGE_CACHE_KIB = 8192
_IN_CHUNK = 500               # ids per IN (...) list
_AUTHORITY = "authority"      # namespace under which authority keys are interned
# Checkpoints (copying the WAL into the database file) run in a background thread of each
# process every CHECKPOINT_INTERVAL_S, off the request path; writers checkpoint themselves only
# when the WAL passes _WAL_AUTOCHECKPOINT pages (~200 MiB), a safety net if that thread lags.
CHECKPOINT_INTERVAL_S = 1.0
_WAL_AUTOCHECKPOINT = 50000
_MMAP_BYTES = 1 << 31          # long reads (audit verify) map up to this much of the file

# Each migration is a list of statements; version N is reached by applying MIGRATIONS[N-1].
# Never edit a released migration: append a new one (ALTER TABLE ... ADD COLUMN, new indexes).
MIGRATIONS = [
    [
        """CREATE TABLE stores (
            sid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            name TEXT UNIQUE,                 -- NULL: registered implicitly by a write
            created_ms INTEGER NOT NULL,
            last_seq INTEGER NOT NULL DEFAULT 0,
            last_stored_ms INTEGER NOT NULL DEFAULT 0)""",
        """CREATE TABLE credentials (
            key TEXT PRIMARY KEY,
            secret_hash TEXT NOT NULL,
            store_id TEXT NOT NULL,
            scopes TEXT NOT NULL,
            name TEXT NOT NULL,
            admin INTEGER NOT NULL,
            created_ms INTEGER NOT NULL,
            revoked INTEGER NOT NULL)""",
        "CREATE INDEX credentials_store ON credentials (store_id, key)",
        """CREATE TABLE keys (
            kid INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            UNIQUE (kind, value))""",
        """CREATE TABLE statements (
            pk INTEGER PRIMARY KEY,           -- sid << 40 | seq
            sid INTEGER NOT NULL,
            id TEXT NOT NULL,
            stored_ms INTEGER NOT NULL,
            voided INTEGER NOT NULL,
            voiding INTEGER NOT NULL,
            auth INTEGER NOT NULL,            -- kid of the authority key
            groups TEXT NOT NULL,             -- JSON [[grp, [[kid, mask], ...]], ...]
            body BLOB NOT NULL)""",
        "CREATE UNIQUE INDEX statements_id ON statements (sid, id)",
        "CREATE INDEX statements_stored ON statements (sid, stored_ms)",
        "CREATE INDEX statements_auth ON statements (auth)",
        """CREATE TABLE statement_keys (
            kid INTEGER NOT NULL,
            pk INTEGER NOT NULL,
            grp INTEGER NOT NULL,
            mask INTEGER NOT NULL,            -- 1: kind, 2: related_kind
            PRIMARY KEY (kid, pk, grp)) WITHOUT ROWID""",
        """CREATE TABLE statement_refs (
            sid INTEGER NOT NULL,
            target TEXT NOT NULL,
            pk INTEGER NOT NULL,
            PRIMARY KEY (sid, target, pk)) WITHOUT ROWID""",
        """CREATE TABLE statement_voids (
            sid INTEGER NOT NULL,
            target TEXT NOT NULL,
            pk INTEGER NOT NULL,
            PRIMARY KEY (sid, target, pk)) WITHOUT ROWID""",
        """CREATE TABLE activities (
            sid INTEGER NOT NULL,
            activity_id TEXT NOT NULL,
            definition TEXT NOT NULL,
            PRIMARY KEY (sid, activity_id))""",
        """CREATE TABLE agents (
            sid INTEGER NOT NULL,
            agent_key TEXT NOT NULL,
            names TEXT NOT NULL,
            PRIMARY KEY (sid, agent_key))""",
        """CREATE TABLE attachments (
            sid INTEGER NOT NULL,
            sha2 TEXT NOT NULL,
            content_type TEXT NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (sid, sha2))""",
        # None is kept as '' in the key columns so that the primary key treats it as one value
        """CREATE TABLE documents (
            sid INTEGER NOT NULL,
            kind TEXT NOT NULL,
            activity_id TEXT NOT NULL,
            agent_key TEXT NOT NULL,
            registration TEXT NOT NULL,
            doc_id TEXT NOT NULL,
            content BLOB NOT NULL,
            content_type TEXT NOT NULL,
            etag TEXT NOT NULL,
            updated_ms INTEGER NOT NULL,
            PRIMARY KEY (sid, kind, activity_id, agent_key, registration, doc_id))""",
    ],
    [
        # server-side secrets (e.g. the key that authenticates `more` cursors), made once
        """CREATE TABLE secrets (
            name TEXT PRIMARY KEY,
            value BLOB NOT NULL)""",
    ],
    [
        # forwarding (issue 12): rules per store, and the outbox the statement batches fill
        """CREATE TABLE forwarding_rules (
            id TEXT PRIMARY KEY,
            store_id TEXT NOT NULL,
            name TEXT NOT NULL,
            target_store_id TEXT,             -- NULL: a remote LRS
            endpoint TEXT NOT NULL,
            key TEXT NOT NULL,
            secret_sealed BLOB NOT NULL,      -- encrypted by the service layer
            version TEXT NOT NULL,
            filter TEXT NOT NULL,             -- JSON: the query parameters as given
            filters TEXT NOT NULL,            -- JSON: compiled [[kind, value], ...]
            active INTEGER NOT NULL,
            created_ms INTEGER NOT NULL,
            delivered INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            UNIQUE (store_id, name))""",
        """CREATE TABLE outbox (
            rule_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            statement_id TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            dead INTEGER NOT NULL DEFAULT 0,
            owner TEXT NOT NULL DEFAULT '',
            lease_until INTEGER NOT NULL DEFAULT 0,
            retry_at INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (rule_id, seq)) WITHOUT ROWID""",
    ],
    [
        # the audit chain (issue 13, lrs/store/chain.py): entries and each store's head
        """CREATE TABLE chain (
            sid INTEGER NOT NULL,
            n INTEGER NOT NULL,
            kind TEXT NOT NULL,
            seq INTEGER NOT NULL,
            id TEXT NOT NULL,
            target TEXT NOT NULL,
            content BLOB NOT NULL,
            hash BLOB NOT NULL,
            PRIMARY KEY (sid, n)) WITHOUT ROWID""",
        """CREATE TABLE chain_heads (
            sid INTEGER PRIMARY KEY,
            n INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            hash BLOB NOT NULL)""",
        """CREATE TABLE checkpoints (
            sid INTEGER NOT NULL,
            n INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            hash BLOB NOT NULL,
            made_ms INTEGER NOT NULL,
            signature BLOB NOT NULL,
            PRIMARY KEY (sid, n))""",
    ],
    [
        # administration (issue 14): credential expiry and last use
        "ALTER TABLE credentials ADD COLUMN expires_ms INTEGER",
        "ALTER TABLE credentials ADD COLUMN last_used_ms INTEGER NOT NULL DEFAULT 0",
    ],
    [
        # pull sync (issue 12): how far each store's pull from each source got
        """CREATE TABLE pull_cursors (
            store_id TEXT NOT NULL,
            source TEXT NOT NULL,
            stored_ms INTEGER NOT NULL,
            ids TEXT NOT NULL,                -- JSON: ids copied with that stored time
            updated_ms INTEGER NOT NULL,
            PRIMARY KEY (store_id, source))""",
    ],
    [
        # reports (issue 13): per-store settings (the completion rule) and cross-store report grants
        """CREATE TABLE store_settings (
            store_id TEXT NOT NULL,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (store_id, name)) WITHOUT ROWID""",
        """CREATE TABLE report_grants (
            key TEXT NOT NULL,
            store_id TEXT NOT NULL,
            PRIMARY KEY (key, store_id)) WITHOUT ROWID""",
    ],
    [
        # issue 16: statement bodies are written deflated (lrs/store/packing.py); bodies of
        # earlier versions stay JSON and are read as they are. No table changes: the version
        # makes an older LRS refuse the file instead of serving deflated bytes as JSON.
    ],
    [
        # forwarding (issue 12): a claim looks for another owner's lease without reading the
        # whole backlog; entries that are not leased (lease_until 0) stay out of the index
        "CREATE INDEX outbox_leases ON outbox (rule_id, lease_until) WHERE lease_until > 0",
    ],
    [
        # the audit chain (issue 13) records documents, administrative acts, erasures, backfills:
        # a document entry's readable key (not hashed; blanked by an erasure), an index of the
        # entries that are not statements, and the erasure that removed a statement's content
        "ALTER TABLE chain ADD COLUMN detail TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX chain_marks ON chain (sid, n) WHERE kind NOT IN ('statement', 'voiding')",
        "ALTER TABLE statements ADD COLUMN erased INTEGER NOT NULL DEFAULT 0",
    ],
    [
        # issue 16: statement bodies are written with Zstandard (packing.FORMAT_2); deflated and
        # JSON bodies of earlier versions are read as they are. No table changes: the version
        # makes an older LRS refuse the file instead of failing on bodies it cannot read.
    ],
    [
        # reports (issue 13): what the reports read of each statement (lrs.store.ReportFacts), kept
        # at ingest as a short JSON array of interned key ids (_facts_text), so that a report scans
        # these instead of inflating and parsing bodies. NULL for the statements stored before
        # (the reports derive the facts from their bodies); '' once erased.
        "ALTER TABLE statements ADD COLUMN report_facts TEXT",
    ],
]

_LOCK_ERRORS = ("locked", "busy", "disk i/o", "unable to open", "readonly", "disk is full")


def _dumps(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _chunks(values, size=_IN_CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _namespace(kind):
    """(namespace, bit) of a key kind: related_X shares X's values with bit 2."""
    if kind.startswith("related_"):
        return kind[len("related_"):], 2
    return kind, 1


def _kinds(namespaced, mask):
    """The (kind, value) index keys of an interned value under its mask (the inverse of _namespace)."""
    namespace, value = namespaced
    return ([(namespace, value)] if mask & 1 else []) + ([("related_" + namespace, value)] if mask & 2 else [])


def _marks(count):
    return ",".join("?" * count)


# Rows per multi-row INSERT, largest first (issue 16). executemany steps SQLite once per row and
# releases the GIL around every step: a batch of 100 statements was ~1,200 steps, and with other
# request threads in the worker each release is a switch of threads (bench/contention.py). A few
# fixed sizes keep the distinct SQL texts, each prepared once and cached by the connection, few.
_INSERT_SIZES = (256, 64, 16, 4, 1)


@functools.lru_cache(maxsize=None)
def _insert_sql(head, row, count):
    return head + " VALUES " + ",".join([row] * count)


def _insert_rows(conn, head, row, rows):
    """Insert `rows` (tuples matching the placeholders of `row`, e.g. "(?,?,0,?)") with `head`
    ("INSERT INTO t (a, b, c, d)") in as few statements as the fixed sizes allow."""
    start, total = 0, len(rows)
    for size in _INSERT_SIZES:
        while total - start >= size:
            conn.execute(_insert_sql(head, row, size),
                         [value for values in rows[start:start + size] for value in values])
            start += size


# Report facts (lrs.store.ReportFacts) as kept: the JSON array
#   [[[learner kid, name?], ...], verb kid, activity kid or 0, timestamp ms or null, flags, scaled,
#    duration, registration, [parent and grouping activity kids]]
# with flags = completion | 2 if success is true | 4 if success is false. A learner is interned as the
# JSON [agent key, identifier] under _LEARNER; its name is kept in the facts (an erasure blanks them).
_LEARNER = "learner"
_SUCCESS = {None: 0, True: 2, False: 4}
_FLAGS = tuple((bool(flags & 1), True if flags & 2 else False if flags & 4 else None) for flags in range(6))
_COMPLETION, _SUCCESS_OF = tuple(flags[0] for flags in _FLAGS), tuple(flags[1] for flags in _FLAGS)
_new_facts = tuple.__new__               # a ReportFacts from a tuple of its fields, without NamedTuple's __new__


def _facts_plan(facts):
    """What _facts_text needs of a ReportFacts (or None), computed before the write lock."""
    if facts is None:
        return None
    learners = [((_LEARNER, orjson.dumps([key, identifier]).decode("utf-8")), [name] if name else [])
                for key, identifier, name in facts.learners]
    return (learners, facts.verb, facts.activity,
            [facts.timestamp_ms, int(facts.completion) | _SUCCESS[facts.success], facts.scaled, facts.duration,
             facts.registration], facts.context)


def _translated(method):
    """Report every error of the SQLite driver as StorageUnavailable (503), with its words: the
    layers above know only the LRS's errors."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as error:
            raise StorageUnavailable("SQLite: %s" % error) from error
    return wrapper


def _unavailable(error):
    message = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and any(m in message for m in _LOCK_ERRORS)


class _Job:
    """One insert_statements call waiting for (or written by) a group-commit leader."""
    __slots__ = ("store_id", "batch", "ids", "prepared", "results", "error", "done", "ticket")

    def __init__(self, store_id, batch, ids, prepared):
        self.store_id, self.batch, self.ids, self.prepared = store_id, batch, ids, prepared
        self.results = self.error = None
        self.ticket = 0
        self.done = False


class _Batch(BatchTransaction, ChainTransaction):
    """The shared batch rules (lrs/store/rules.py) in SQLite rows, inside one transaction.

    Groups are [grp, [[kid, mask], ...]] with grp the pk of the statement whose keys they hold."""

    def __init__(self, storage, conn, sid, created_kids, written=None):
        self.storage, self.conn, self.sid, self.created_kids = storage, conn, sid, created_kids
        # sids this transaction already stored a batch in (group commit): a later batch of the
        # same transaction may share its `stored`, since both become visible at one COMMIT
        self.written = set() if written is None else written

    def _ids_among(self, sql, ids):
        found = set()
        for chunk in _chunks(ids):
            found.update(row[0] for row in self.conn.execute(sql % _marks(len(chunk)), [self.sid] + chunk))
        return found

    def _kid(self, namespace, value):
        return self.storage._kid(self.conn, namespace, value, self.created_kids)

    def existing_ids(self, ids):
        return self._ids_among("SELECT id FROM statements WHERE sid = ? AND id IN (%s)", ids)

    def order(self):
        last_seq, last_stored_ms = self.conn.execute("SELECT last_seq, last_stored_ms FROM stores WHERE sid = ?",
                                                     (self.sid,)).fetchone()
        if self.sid in self.written:
            # strictly after the previous *commit*, not the previous batch of this one: group commit
            # of more than 1,000 batches a second would otherwise push `stored` ahead of the clock
            # (TIME-11) by a millisecond per batch
            last_stored_ms -= 1
        return last_seq, last_stored_ms

    def set_order(self, last_seq, last_stored_ms):
        self.conn.execute("UPDATE stores SET last_seq = ?, last_stored_ms = ? WHERE sid = ?",
                          (last_seq, last_stored_ms, self.sid))
        self.written.add(self.sid)

    def insert(self, statements):
        base = self.sid << SEQ_BITS
        rows, key_rows, refs, voids = [], [], [], []
        for statement in statements:
            pk = base | statement.seq
            record = statement.record
            prepared_keys, packer, plan = statement.prepared
            keys = [[kid or self._kid(namespace, value), mask] for namespace, value, mask, kid in prepared_keys]
            key_rows += [(kid, pk, pk, mask) for kid, mask in keys]
            auth = self._kid(_AUTHORITY, record.authority_key or "")
            rows.append((pk, self.sid, statement.id, statement.stored_ms, int(statement.is_voiding), auth,
                         orjson.dumps([[pk, keys]]).decode("ascii"), packer.finish(statement.body),
                         self._facts_text(plan)))
            if record.ref_target:
                refs.append((self.sid, record.ref_target.lower(), pk))
            if record.void_target:
                voids.append((self.sid, record.void_target.lower(), pk))
        _insert_rows(self.conn, "INSERT INTO statements (pk, sid, id, stored_ms, voided, voiding, auth, groups, "
                     "body, report_facts)", "(?,?,?,?,0,?,?,?,?,?)", rows)
        self._insert_keys(key_rows)
        self.conn.executemany("INSERT OR IGNORE INTO statement_refs (sid, target, pk) VALUES (?, ?, ?)", refs)
        self.conn.executemany("INSERT OR IGNORE INTO statement_voids (sid, target, pk) VALUES (?, ?, ?)", voids)

    def _insert_keys(self, key_rows):
        """(kid, pk, grp, mask) rows of statement_keys; a row already there is left as it is."""
        _insert_rows(self.conn, "INSERT OR IGNORE INTO statement_keys (kid, pk, grp, mask)", "(?,?,?,?)", key_rows)

    def _facts_text(self, plan):
        """The report facts as kept (see _facts_plan), or None."""
        if plan is None:
            return None
        learners, verb, activity, values, context = plan
        kid = self._kid
        return orjson.dumps([[[kid(*pair)] + name for pair, name in learners], kid("verb", verb),
                             kid("activity", activity) if activity is not None else 0, *values,
                             [kid("activity", listed) for listed in context]]).decode("utf-8")

    def voiding_targets_among(self, ids):
        return self._ids_among("SELECT DISTINCT target FROM statement_voids WHERE sid = ? AND target IN (%s)",
                               ids)

    def mark_voided(self, ids):
        for chunk in _chunks(ids):
            self.conn.execute("UPDATE statements SET voided = 1 WHERE sid = ? AND voiding = 0 AND voided = 0 "
                              "AND id IN (%s)" % _marks(len(chunk)), [self.sid] + chunk)

    def referred_among(self, ids):
        return self._ids_among("SELECT DISTINCT target FROM statement_refs WHERE sid = ? AND target IN (%s)",
                               ids)

    def referrers_of(self, statement_id):
        return [row[0] for row in self.conn.execute(
            "SELECT s.id FROM statement_refs r JOIN statements s ON s.pk = r.pk "
            "WHERE r.sid = ? AND r.target = ?", (self.sid, statement_id))]

    def groups_of(self, statement_id):
        row = self.conn.execute("SELECT groups FROM statements WHERE sid = ? AND id = ?",
                                (self.sid, statement_id)).fetchone()
        return json.loads(row[0]) if row else None

    def add_groups(self, statement_id, groups):
        pk, current = self.conn.execute("SELECT pk, groups FROM statements WHERE sid = ? AND id = ?",
                                        (self.sid, statement_id)).fetchone()
        self._insert_keys([(kid, pk, grp, mask) for grp, keys in groups for kid, mask in keys])
        self.conn.execute("UPDATE statements SET groups = ? WHERE pk = ?",
                          (_dumps(json.loads(current) + list(groups)), pk))

    def _json_cells(self, sql, keys):
        """{key: its JSON cell} of the rows `sql` (with `IN (%s)` for the keys) finds."""
        found = {}
        for chunk in _chunks(keys):
            found.update((key, json.loads(cell)) for key, cell in self.conn.execute(sql % _marks(len(chunk)),
                                                                                    [self.sid] + chunk))
        return found

    def activity_definitions(self, activity_ids):
        return self._json_cells("SELECT activity_id, definition FROM activities WHERE sid = ? AND activity_id IN (%s)",
                                activity_ids)

    def put_activity_definition(self, activity_id, definition):
        self.conn.execute("INSERT OR REPLACE INTO activities (sid, activity_id, definition) VALUES (?, ?, ?)",
                          (self.sid, activity_id, _dumps(definition)))

    def agent_names_of(self, agent_keys):
        return self._json_cells("SELECT agent_key, names FROM agents WHERE sid = ? AND agent_key IN (%s)", agent_keys)

    def put_agent_names(self, agent_key, names):
        self.conn.execute("INSERT OR REPLACE INTO agents (sid, agent_key, names) VALUES (?, ?, ?)",
                          (self.sid, agent_key, _dumps(names)))

    def add_attachment(self, sha2, content_type, data):
        self.conn.execute("INSERT OR IGNORE INTO attachments (sid, sha2, content_type, data) VALUES (?, ?, ?, ?)",
                          (self.sid, sha2, content_type, data))

    def forwarding_rules(self):
        return [(rule_id, [tuple(pair) for pair in json.loads(filters)]) for rule_id, filters in self.conn.execute(
            "SELECT r.id, r.filters FROM forwarding_rules r JOIN stores s ON s.id = r.store_id WHERE s.sid = ?",
            (self.sid,))]

    def key_groups_of(self, statement_id):
        groups = self.groups_of(statement_id) or []
        kids = {kid for _, keys in groups for kid, _ in keys}
        values = {}
        for chunk in _chunks(kids):
            values.update((kid, (kind, value)) for kid, kind, value in self.conn.execute(
                "SELECT kid, kind, value FROM keys WHERE kid IN (%s)" % _marks(len(chunk)), chunk))
        return [{pair for kid, mask in keys for pair in _kinds(values[kid], mask)} for _, keys in groups]

    def add_outbox(self, entries):
        self.conn.executemany("INSERT INTO outbox (rule_id, seq, statement_id, created_ms) "
                              "VALUES (?, ?, ?, ?)",
                              [(e.rule_id, e.seq, e.statement_id, e.created_ms) for e in entries])

    def voidings_of(self, ids):
        found, mask = [], (1 << SEQ_BITS) - 1
        for chunk in _chunks(ids):
            found += [(target, VoidingRef(seq=pk & mask, id=voiding_id, stored_ms=stored_ms))
                      for target, pk, voiding_id, stored_ms in self.conn.execute(
                          "SELECT v.target, s.pk, s.id, s.stored_ms FROM statement_voids v JOIN statements s "
                          "ON s.pk = v.pk WHERE v.sid = ? AND v.target IN (%s)" % _marks(len(chunk)),
                          [self.sid] + chunk)]
        return found

    def positions_of(self, ids):
        found = {}
        for chunk in _chunks(ids):
            found.update((statement_id, (pk & SEQ_MAX, stored_ms)) for statement_id, pk, stored_ms in self.conn.execute(
                "SELECT id, pk, stored_ms FROM statements WHERE sid = ? AND id IN (%s)" % _marks(len(chunk)),
                [self.sid] + chunk))
        return found

    def add_outbox_if_absent(self, entries):
        self.conn.executemany("INSERT OR IGNORE INTO outbox (rule_id, seq, statement_id, created_ms) "
                              "VALUES (?, ?, ?, ?)",
                              [(e.rule_id, e.seq, e.statement_id, e.created_ms) for e in entries])

    def chain_head(self):
        return _chain_head(self.conn, self.sid)

    def append_chain(self, entries, head):
        if not entries:
            return
        _insert_rows(self.conn, "INSERT INTO chain (sid, n, kind, seq, id, target, content, hash, detail)",
                     "(?,?,?,?,?,?,?,?,?)",
                     [(self.sid, e.n, e.kind, e.seq, e.id, e.target, e.content, e.hash, e.detail) for e in entries])
        self.conn.execute("INSERT OR REPLACE INTO chain_heads (sid, n, seq, hash) VALUES (?, ?, ?, ?)",
                          (self.sid, head.n, head.seq, head.hash))

    # --- erasure and backfill (issue 13; rules.ChainTransaction) ---------------------------

    def _range(self, upto_seq=SEQ_MAX):
        base = self.sid << SEQ_BITS
        return base, base | min(upto_seq, SEQ_MAX)

    def statements_naming(self, agent_key):
        row = self.conn.execute("SELECT kid FROM keys WHERE kind = 'agent' AND value = ?", (agent_key,)).fetchone()
        if row is None:
            return {}
        pks = [pk for (pk,) in self.conn.execute(
            "SELECT DISTINCT pk FROM statement_keys WHERE kid = ? AND pk > ? AND pk <= ? AND grp = pk",
            (row[0],) + self._range())]
        found = {}
        for chunk in _chunks(pks):
            found.update((statement_id, (pk & SEQ_MAX, pk)) for pk, statement_id in self.conn.execute(
                "SELECT pk, id FROM statements WHERE pk IN (%s)" % _marks(len(chunk)), chunk))
        return found

    def _drop_keys(self, pk, groups):
        self.conn.executemany("DELETE FROM statement_keys WHERE kid = ? AND pk = ? AND grp = ?",
                              [(kid, pk, grp) for grp, keys in groups for kid, _ in keys])

    def erase_statements(self, ids, erasure_n):
        for chunk in _chunks(ids):
            rows = self.conn.execute("SELECT pk, groups FROM statements WHERE sid = ? AND id IN (%s)"
                                     % _marks(len(chunk)), [self.sid] + chunk).fetchall()
            for pk, groups in rows:
                self._drop_keys(pk, json.loads(groups))
            self.conn.executemany("UPDATE statements SET body = ?, voided = 1, erased = ?, groups = '[]', "
                                  "report_facts = '' WHERE pk = ?",
                                  [(b"", erasure_n, pk) for pk, _ in rows])

    def drop_groups(self, statement_id, origins):
        pk, groups = self.conn.execute("SELECT pk, groups FROM statements WHERE sid = ? AND id = ?",
                                       (self.sid, statement_id)).fetchone()
        groups = json.loads(groups)
        self._drop_keys(pk, [group for group in groups if group[0] in origins])
        self.conn.execute("UPDATE statements SET groups = ? WHERE pk = ?",
                          (_dumps([group for group in groups if group[0] not in origins]), pk))

    def drop_outbox(self, seqs):
        rules = [rule_id for (rule_id,) in self.conn.execute(
            "SELECT r.id FROM forwarding_rules r JOIN stores s ON s.id = r.store_id WHERE s.sid = ?", (self.sid,))]
        for rule_id in rules:
            for chunk in _chunks(seqs):
                self.conn.execute("DELETE FROM outbox WHERE rule_id = ? AND seq IN (%s)" % _marks(len(chunk)),
                                  [rule_id] + chunk)

    def agent_documents(self, agent_key):
        return [dict(zip(_DOC_COLUMNS, row)) for row in self.conn.execute(
            "SELECT %s FROM documents WHERE sid = ? AND agent_key = ? ORDER BY %s"
            % (", ".join(_DOC_COLUMNS), ", ".join(_DOC_COLUMNS)), (self.sid, agent_key))]

    def delete_agent_data(self, agent_key):
        self.conn.execute("DELETE FROM documents WHERE sid = ? AND agent_key = ?", (self.sid, agent_key))
        self.conn.execute("DELETE FROM agents WHERE sid = ? AND agent_key = ?", (self.sid, agent_key))

    def blank_document_details(self, agent_key):
        self.conn.execute("UPDATE chain SET detail = '' WHERE sid = ? AND kind NOT IN ('statement', 'voiding') "
                          "AND detail != '' AND json_extract(detail, '$[2]') = ?", (self.sid, agent_key))

    def first_chained_seq(self):
        return self.conn.execute("SELECT min(seq) FROM chain WHERE sid = ? AND kind IN ('statement', 'voiding')",
                                 (self.sid,)).fetchone()[0]

    def count_statements(self, upto_seq):
        return self.conn.execute("SELECT count(*) FROM statements WHERE pk > ? AND pk <= ?",
                                 self._range(upto_seq)).fetchone()[0]

    def statement_bodies(self, upto_seq):
        voids = dict(self.conn.execute("SELECT pk, target FROM statement_voids WHERE sid = ?", (self.sid,)))
        for pk, statement_id, voiding, body in self.conn.execute(
                "SELECT pk, id, voiding, body FROM statements WHERE pk > ? AND pk <= ? ORDER BY pk",
                self._range(upto_seq)):
            yield pk & SEQ_MAX, statement_id, voids.get(pk) if voiding else None, unpack(body)

    def unchained_documents(self):
        chained = {digest for (digest,) in self.conn.execute(
            "SELECT id FROM chain WHERE sid = ? AND kind NOT IN ('statement', 'voiding') AND kind IN (%s)"
            % _marks(len(DOCUMENT_KINDS)), (self.sid,) + DOCUMENT_KINDS)}
        return [(fields, document) for fields, document in _document_rows(self.conn, self.sid)
                if key_digest(document_key(fields)) not in chained]


_DOC_COLUMNS = ("kind", "activity_id", "agent_key", "registration", "doc_id")


def _document_rows(conn, sid):
    for row in conn.execute("SELECT %s, content, content_type, etag, updated_ms FROM documents WHERE sid = ?"
                            % ", ".join(_DOC_COLUMNS), (sid,)).fetchall():
        yield (dict(zip(_DOC_COLUMNS, row[:5])),
               Document(content=bytes(row[5]), content_type=row[6], etag=row[7], updated_ms=row[8]))


def _chain_head(conn, sid):
    row = conn.execute("SELECT n, seq, hash FROM chain_heads WHERE sid = ?", (sid,)).fetchone()
    return ChainHead(n=row[0], seq=row[1], hash=bytes(row[2])) if row else ChainHead()


class SQLiteStorage(StorageBackend):
    def __init__(self, path, synchronous="FULL", busy_timeout_ms=30000, max_commit_delay_ms=None):
        synchronous = str(synchronous).upper()
        if synchronous not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError("synchronous must be FULL or NORMAL, got %r" % synchronous)
        self.path = os.path.abspath(path)
        self.synchronous = synchronous
        # FULL (issue 16): SQLite commits as NORMAL (no fsync while the write lock is held) and
        # the writer fsyncs the WAL itself after releasing the lock, before it answers (_durable)
        self._fsync_after = synchronous == "FULL"
        self._commit_synchronous = "NORMAL" if self._fsync_after else synchronous
        self._folder_synced_pid = None
        self._commits = 0                 # write transactions this process committed (tickets)
        self._synced = 0                  # of those, how many an fsync of the WAL has covered
        self._sync_lock = None            # one fsync at a time in this process (made per process)
        self.busy_timeout_ms = int(busy_timeout_ms)
        self.max_commit_delay_ms = max_commit_delay_ms
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections = []            # (pid, connection) of every connection opened (for close)
        self._schema_ready = False
        self._closed = threading.Event()
        self._checkpointer_pid = None
        self._checkpointer = None         # the background checkpoint thread of that process
        self._sids = {}                   # public store id -> sid (stores are never deleted)
        self._kids = {}                   # (namespace, value) -> kid, committed ones only
        self._old_kids = {}               # the previous generation (a cheap approximate LRU)
        self._kid_values = {}             # kid -> value (learners: (key, identifier)) for report facts
        self._writer_pid = None           # the process that made the two below
        self._writer_lock = None          # serialises writers of this process
        self._writer_fd = None            # flock()ed across processes; None: busy timeout only
        self._pending = []                # statement batches waiting for a leader (group commit)
        self._pending_lock = threading.Lock()
        folder = os.path.dirname(self.path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self._conn()                      # create the file and the schema now

    # --- connections and transactions --------------------------------------------------

    def _conn(self):
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is not None and local.pid == os.getpid():
            return conn
        try:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000.0,
                                   isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=%d" % self.busy_timeout_ms)
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")                 # a new file: once
            conn.execute("PRAGMA synchronous=%s" % self._commit_synchronous)
            conn.execute("PRAGMA cache_size=-%d" % _PAGE_CACHE_KIB)
            conn.execute("PRAGMA temp_store=MEMORY")
            conn.execute("PRAGMA wal_autocheckpoint=%d" % _WAL_AUTOCHECKPOINT)
            conn.execute("PRAGMA journal_size_limit=%d" % (64 << 20))   # shrink the WAL file after use
            if not self._schema_ready:
                self._migrate(conn)
        except sqlite3.Error as error:
            raise StorageUnavailable("cannot open the SQLite database %s: %s" % (self.path, error)) from error
        local.conn, local.pid = conn, os.getpid()
        if self._checkpointer_pid != local.pid:
            self._start_checkpointer()
        with self._lock:
            self._connections.append((local.pid, conn))
        return conn

    def _stored_version(self, conn):
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone():
            version = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0
        else:
            version = 0
        if version > len(MIGRATIONS):
            raise StorageUnavailable("the database %s has schema version %d, newer than this "
                                     "LRS understands (%d)" % (self.path, version, len(MIGRATIONS)))
        return version

    def _migrate(self, conn):
        """Create the schema or bring it up to the newest version, in one transaction; a read only
        when it is current (every worker opens the file while others write)."""
        with self._lock:
            if self._schema_ready:
                return
            if self._stored_version(conn) == len(MIGRATIONS):
                self._schema_ready = True
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                version = self._stored_version(conn)          # again: another process may have migrated
                for number in range(version + 1, len(MIGRATIONS) + 1):
                    for sql in MIGRATIONS[number - 1]:
                        conn.execute(sql)
                    conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            self._schema_ready = True

    @_translated
    def schema_version(self):
        return self._conn().execute("SELECT max(version) FROM schema_version").fetchone()[0]

    def _writer(self):
        """The writer lock of this process, made again after a fork (never shared with a parent)."""
        pid = os.getpid()
        if self._writer_pid != pid:
            with self._lock:
                if self._writer_pid != pid:
                    try:
                        fd = os.open(self.path + ".writelock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
                    except OSError:
                        fd = None                 # e.g. read-only folder: SQLite's busy timeout alone
                    self._writer_lock, self._writer_fd, self._writer_pid = threading.Lock(), fd, pid
                    self._sync_lock = threading.Lock()
        return self._writer_lock

    @contextmanager
    def _flock(self):
        """Hold the cross-process flock (when the lock file could be opened)."""
        fd = self._writer_fd
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:
                fd = None
        try:
            yield
        finally:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)

    @contextmanager
    def _exclusive(self):
        """Hold the writer lock of this process and the cross-process flock."""
        with self._writer(), self._flock():
            yield

    @contextmanager
    def _write(self):
        """One BEGIN IMMEDIATE transaction: committed on success, rolled back on any exception;
        durable when the block returns."""
        with self._exclusive():
            with self._transaction() as conn:
                yield conn
            ticket = self._committed()
        self._durable(ticket)

    def _committed(self):
        """The ticket of the transaction just committed (called holding the writer lock)."""
        self._commits += 1
        return self._commits

    def _durable(self, ticket):
        """With synchronous FULL: make the transaction of `ticket` survive a power loss, after the
        locks are released (issue 16).

        SQLite's FULL fsyncs the WAL inside COMMIT, holding the write lock every process queues
        on, so commits never share an fsync and nobody writes while it runs. Here COMMIT only
        appends to the WAL (synchronous=NORMAL, which SQLite keeps consistent across a power
        loss: the WAL is synced before each checkpoint) and the committer fsyncs the WAL file
        before it answers, while the next writer, of this process or another, already writes.
        One fsync covers every commit before it: a thread whose commit an fsync begun after it
        has covered returns at once (group fsync). A WAL already checkpointed and removed needs
        nothing: the checkpoint synced the database file."""
        if not self._fsync_after:
            return
        with self._sync_lock:
            if self._synced >= ticket:
                return
            upto = self._commits              # every commit counted so far is in the WAL
            self._fsync_wal()
            self._synced = max(self._synced, upto)

    def _fsync_wal(self):
        try:
            try:
                fd = os.open(self.path + "-wal", os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                return
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            if self._folder_synced_pid != os.getpid():       # the WAL file's own directory entry
                folder = os.open(os.path.dirname(self.path) or ".", os.O_RDONLY | os.O_CLOEXEC)
                try:
                    os.fsync(folder)
                finally:
                    os.close(folder)
                self._folder_synced_pid = os.getpid()
        except OSError as error:
            raise StorageUnavailable("the SQLite write could not be made durable: %s" % error) from error

    @contextmanager
    def _transaction(self):
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise StorageUnavailable("the SQLite database is busy: %s" % error) from error
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if _unavailable(error):
                raise StorageUnavailable("SQLite write failed: %s" % error) from error
            raise

    def _read(self, sql, params=()):
        try:
            return self._conn().execute(sql, params)
        except sqlite3.Error as error:
            if _unavailable(error):
                raise StorageUnavailable("SQLite read failed: %s" % error) from error
            raise

    def _start_checkpointer(self):
        with self._lock:
            if self._checkpointer_pid == os.getpid():
                return
            self._checkpointer_pid = os.getpid()
            self._checkpointer = threading.Thread(target=self._checkpoint_loop, args=(self._closed,),
                                                  name="sqlite-checkpoint %s" % self.path, daemon=True)
        self._checkpointer.start()

    def _checkpoint_loop(self, closed):
        conn = None
        try:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000.0, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=%d" % self.busy_timeout_ms)
            conn.execute("PRAGMA synchronous=%s" % self.synchronous)
            while not closed.wait(CHECKPOINT_INTERVAL_S):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")      # never blocks readers or writers
        except sqlite3.Error:
            pass            # writers still checkpoint at _WAL_AUTOCHECKPOINT pages
        finally:
            if conn is not None:
                conn.close()

    def close(self):
        """Stop the checkpointer and close every connection of this process before returning
        (the last close checkpoints the WAL): nothing is left running for a fork to copy.
        Connections inherited from a parent process are dropped, never closed (closing them
        would release locks the parent holds)."""
        pid = os.getpid()
        self._closed.set()
        with self._lock:
            if self._writer_fd is not None and self._writer_pid == pid:
                os.close(self._writer_fd)
            self._writer_pid = self._writer_lock = self._writer_fd = None
            checkpointer = self._checkpointer if self._checkpointer_pid == pid else None
            self._closed, self._checkpointer_pid, self._checkpointer = threading.Event(), None, None
            connections, self._connections = self._connections, []
        if checkpointer is not None and checkpointer is not threading.current_thread():
            checkpointer.join()
        for owner, conn in connections:
            if owner != pid:
                continue
            try:
                conn.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()

    def ping(self):
        try:
            self._conn().execute("SELECT max(version) FROM schema_version").fetchone()
        except (sqlite3.Error, OSError) as error:
            raise StorageUnavailable("SQLite database %s unavailable: %s" % (self.path, error)) from error

    # --- stores ------------------------------------------------------------------------

    @_translated
    def create_store(self, name, act=None):
        info = StoreInfo(id=uuid.uuid4().hex, name=name, created_ms=now_ms())
        with self._write() as conn:
            try:
                sid = conn.execute("INSERT INTO stores (id, name, created_ms) VALUES (?, ?, ?)",
                                   (info.id, info.name, info.created_ms)).lastrowid
            except sqlite3.IntegrityError:
                raise ValueError("a store named %r exists" % name) from None
            self._chain_act(conn, info.id, act, sid)
        return info

    @_translated
    def get_store(self, name):
        row = self._read("SELECT id, name, created_ms FROM stores WHERE name = ?", (name,)).fetchone()
        return StoreInfo(*row) if row else None

    @_translated
    def list_stores(self):
        rows = self._read("SELECT id, name, created_ms FROM stores WHERE name IS NOT NULL "
                          "ORDER BY name").fetchall()
        return [StoreInfo(*row) for row in rows]

    @_translated
    def rename_store(self, store_id, name, act=None):
        with self._write() as conn:
            try:
                if conn.execute("UPDATE stores SET name = ? WHERE id = ? AND name IS NOT NULL",
                                (name, store_id)).rowcount != 1:
                    return False
            except sqlite3.IntegrityError:
                raise ValueError("a store named %r exists" % name) from None
            self._chain_act(conn, store_id, act)
            return True

    @_translated
    def store_usage(self, store_id):
        sid = self._sid(store_id)
        if sid is None:
            return StoreUsage(statements=0, documents=0)
        documents = self._read("SELECT count(*) FROM documents WHERE sid = ?", (sid,)).fetchone()[0]
        return StoreUsage(statements=self.last_seq(store_id), documents=documents)     # see StoreUsage

    def _sid(self, store_id):
        """The internal id of a store for reading; None when the store never had a record."""
        sid = self._sids.get(store_id)
        if sid is None:
            row = self._read("SELECT sid FROM stores WHERE id = ?", (store_id,)).fetchone()
            if row is None:
                return None
            sid = self._sids[store_id] = row[0]
        return sid

    def _sid_for_write(self, conn, store_id):
        """The internal id inside a write transaction, registering an unknown store id."""
        sid = self._sids.get(store_id)
        if sid is not None:
            return sid
        row = conn.execute("SELECT sid FROM stores WHERE id = ?", (store_id,)).fetchone()
        if row is not None:
            self._sids[store_id] = row[0]
            return row[0]
        # not cached: the row is committed only if the transaction is
        return conn.execute("INSERT INTO stores (id, name, created_ms) VALUES (?, NULL, ?)",
                            (store_id, now_ms())).lastrowid

    # --- credentials -------------------------------------------------------------------

    _CREDENTIAL_COLUMNS = ("key, secret_hash, store_id, scopes, name, admin, created_ms, revoked, expires_ms, "
                           "last_used_ms")

    @staticmethod
    def _credential(row):
        key, secret_hash, store_id, scopes, name, admin, created_ms, revoked, expires_ms, last_used_ms = row
        return Credential(key=key, secret_hash=secret_hash, store_id=store_id, scopes=json.loads(scopes),
                          name=name, admin=bool(admin), created_ms=created_ms, revoked=bool(revoked),
                          expires_ms=expires_ms, last_used_ms=last_used_ms)

    @_translated
    def add_credential(self, credential, act=None):
        c = credential
        with self._write() as conn:
            try:
                conn.execute("INSERT INTO credentials (%s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                             % self._CREDENTIAL_COLUMNS,
                             (c.key, c.secret_hash, c.store_id, _dumps(list(c.scopes)), c.name or "",
                              int(bool(c.admin)), int(c.created_ms or 0), int(bool(c.revoked)),
                              c.expires_ms, int(c.last_used_ms or 0)))
            except sqlite3.IntegrityError:
                raise ValueError("a credential with key %r exists" % c.key) from None
            self._chain_act(conn, c.store_id, act)

    @_translated
    def get_credential(self, key):
        row = self._read("SELECT %s FROM credentials WHERE key = ?" % self._CREDENTIAL_COLUMNS,
                         (key,)).fetchone()
        return self._credential(row) if row else None

    @_translated
    def list_credentials(self, store_id=None):
        if store_id is None:
            rows = self._read("SELECT %s FROM credentials ORDER BY key" % self._CREDENTIAL_COLUMNS)
        else:
            rows = self._read("SELECT %s FROM credentials WHERE store_id = ? ORDER BY key"
                              % self._CREDENTIAL_COLUMNS, (store_id,))
        return [self._credential(row) for row in rows.fetchall()]

    @_translated
    def revoke_credential(self, key, act=None):
        return self._change_credential(key, {"revoked": 1}, act)

    @_translated
    def update_credential(self, key, changes, act=None):
        changes = credential_changes(changes)
        if "scopes" in changes:
            changes["scopes"] = _dumps(changes["scopes"])
        if not changes:
            credential = self.get_credential(key)
            return credential is not None and not credential.revoked
        return self._change_credential(key, changes, act)

    def _change_credential(self, key, columns, act):
        """Set `columns` of the credential unless it is revoked, and chain `act` in its store's
        chain, in one transaction; True when there was one to change."""
        with self._write() as conn:
            row = conn.execute("SELECT store_id FROM credentials WHERE key = ? AND revoked = 0", (key,)).fetchone()
            if row is None:
                return False
            conn.execute("UPDATE credentials SET %s WHERE key = ?" % ", ".join("%s = ?" % name for name in columns),
                         list(columns.values()) + [key])
            self._chain_act(conn, row[0], act)
            return True

    def touch_credential(self, key, used_ms):
        """Never waits: on a connection of its own without busy timeout, so that a request whose
        credential is recorded is not held up by a writer (the figure is then lost; issue 14)."""
        try:
            conn = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        except sqlite3.Error as error:
            raise StorageUnavailable("cannot open the SQLite database %s: %s" % (self.path, error)) from error
        try:
            conn.execute("PRAGMA busy_timeout=0")
            conn.execute("UPDATE credentials SET last_used_ms = ? WHERE key = ? AND last_used_ms < ?",
                         (int(used_ms), key, int(used_ms)))
        except sqlite3.Error as error:
            raise StorageUnavailable("the SQLite database is busy: %s" % error) from error
        finally:
            conn.close()

    # --- statements: writing -----------------------------------------------------------

    def _kid(self, conn, kind, value, created):
        """The interned id of a key, creating it inside the current write transaction."""
        pair = (kind, value)
        kid = self._kids.get(pair) or created.get(pair) or self._promote(pair)
        if kid is None:
            row = conn.execute("SELECT kid FROM keys WHERE kind = ? AND value = ?", pair).fetchone()
            if row is not None:
                kid = row[0]
                self._cache_kid(pair, kid)           # found, so committed by someone
            else:
                kid = created[pair] = conn.execute("INSERT INTO keys (kind, value) VALUES (?, ?)",
                                                   pair).lastrowid
        return kid

    def _cache_kid(self, pair, kid):
        if len(self._kids) >= _KEY_CACHE_MAX:
            self._old_kids, self._kids = self._kids, {}
        self._kids[pair] = kid

    def _promote(self, pair):
        kid = self._old_kids.get(pair)
        if kid is not None:
            self._cache_kid(pair, kid)
        return kid

    def _lookup_kid(self, kind, value):
        pair = (kind, value)
        kid = self._kids.get(pair) or self._promote(pair)
        if kid is None:
            row = self._read("SELECT kid FROM keys WHERE kind = ? AND value = ?", pair).fetchone()
            if row is None:
                return None
            kid = row[0]
            self._cache_kid(pair, kid)
        return kid

    @_translated
    def insert_statements(self, store_id, batch):
        ids = [r.id.lower() for r in batch.statements]
        # serialise outside the write lock; `stored` (and `timestamp`) are spliced in below
        job = _Job(store_id, batch, ids, self._prepare_all(batch.statements))
        lock = self._writer()
        with self._pending_lock:
            self._pending.append(job)
        with lock:                        # the leader, or a follower whose batch a leader wrote
            if not job.done:
                self._lead()
        if job.error is not None:
            raise job.error
        self._durable(job.ticket)         # before it is answered; the next leader writes meanwhile
        return job.results

    def _lead(self):
        """Write every pending batch in one transaction (called holding the process's writer lock)."""
        with self._pending_lock:
            jobs, self._pending = self._pending, []
        created_kids, written = {}, set()
        try:
            with self._flock():
                with self._transaction() as conn:
                    for job in jobs:
                        mark, written_before = len(created_kids), set(written)
                        conn.execute("SAVEPOINT batch")
                        try:
                            job.results = self._insert(conn, job, created_kids, written)
                        except Exception as error:
                            if not conn.in_transaction:
                                raise                 # SQLite rolled the whole transaction back
                            conn.execute("ROLLBACK TO batch")
                            conn.execute("RELEASE batch")
                            for pair in list(created_kids)[mark:]:   # rolled back with the batch
                                del created_kids[pair]
                            written.clear()
                            written.update(written_before)
                            job.error = StorageUnavailable("SQLite write failed: %s" % error) \
                                if _unavailable(error) else error
                            continue
                        conn.execute("RELEASE batch")
                    written = [job.results[0].stored_ms for job in jobs if job.results]
                    if written:
                        check_commit_deadline(min(written), now_ms(), self.max_commit_delay_ms)
            ticket = self._committed()
            for job in jobs:
                job.ticket = ticket
        except BaseException as error:            # nothing of this transaction is kept
            for job in jobs:
                if job.error is None:
                    job.results, job.error = None, error
            raise
        finally:
            for job in jobs:
                if job.results is None and job.error is None:
                    job.error = StorageUnavailable("the SQLite write was interrupted")
                job.done = True
        for pair, kid in created_kids.items():          # committed now: safe to remember
            self._cache_kid(pair, kid)

    def _insert(self, conn, job, created_kids, written):
        """One batch, inside the current transaction, by the shared rules; its results."""
        tx = _Batch(self, conn, self._sid_for_write(conn, job.store_id), created_kids, written)
        results = write_batch(tx, job.batch, job.prepared, now_ms())
        self._before_commit(job.store_id, job.ids)
        return results

    def _prepare(self, record):
        """(the body without stored, ([(namespace, value, mask, kid or 0)], its Packer, its report
        facts)), computed before the lock: the body is compressed here (lrs/store/packing.py), and
        the interned ids of keys already known are looked up (keys are never deleted, so a
        committed kid stays true; those not known yet are found or created under the lock)."""
        return self._prepare_all([record])[0]

    def _prepare_all(self, records):
        """_prepare of each record, the bodies compressed together (packing.packers)."""
        keyed = [(prepare_body(record), self._known_keys(record)) for record in records]
        packed = packers([head.encode("utf-8") for head, _ in keyed])
        return [(head, (keys, packer, _facts_plan(record.report_facts)))
                for (head, keys), packer, record in zip(keyed, packed, records)]

    def _known_keys(self, record):
        values = {}
        for kind, value in record.index_keys:
            namespace, bit = _namespace(kind)
            values[(namespace, value)] = values.get((namespace, value), 0) | bit
        kids, old_kids = self._kids, self._old_kids
        return [(namespace, value, mask, kids.get((namespace, value)) or old_kids.get((namespace, value)) or 0)
                for (namespace, value), mask in values.items()]

    # --- statements: reading -----------------------------------------------------------

    @_translated
    def get_statements(self, store_id, ids):
        sid = self._sid(store_id)
        found = {}
        if sid is None:
            return found
        for chunk in _chunks({i.lower() for i in ids}):
            for pk, statement_id, stored_ms, voided, voiding, body, erased in self._read(
                    "SELECT pk, id, stored_ms, voided, voiding, body, erased FROM statements "
                    "WHERE sid = ? AND id IN (%s)" % _marks(len(chunk)), [sid] + chunk):
                found[statement_id] = StoredStatement(id=statement_id, seq=pk & SEQ_MAX, stored_ms=stored_ms,
                                                      voided=bool(voided), is_voiding=bool(voiding),
                                                      body=unpack(body), erased=erased)
        return found

    @_translated
    def committed_order(self, store_id):
        sid = self._sid(store_id)
        if sid is None:
            return 0, 0
        row = self._read("SELECT last_seq, last_stored_ms FROM stores WHERE sid = ?", (sid,)).fetchone()
        return tuple(row) if row else (0, 0)

    @_translated
    def chain_head(self, store_id):
        sid = self._sid(store_id)
        return ChainHead() if sid is None else _chain_head(self._conn(), sid)

    def chain_rows(self, store_id, upto_n, after_n=0):
        sid = self._sid(store_id)
        if sid is None:
            return
        yield from self._stream("SELECT n, kind, seq, id, target, content, hash, detail FROM chain WHERE sid = ? AND n > ? "
                                "AND n <= ? ORDER BY n", (sid, after_n, upto_n))

    def chain_walk(self, store_id, upto_n, after_n=0):
        sid = self._sid(store_id)
        if sid is None:
            return
        yield from self._pages(_CHAIN_WALK, (sid << SEQ_BITS, sid, after_n, upto_n))   # bodies deflated (read_kept_body)

    def chain_reader(self):
        return ChainReader(self.path, self.busy_timeout_ms)

    read_kept_body = staticmethod(unpack)     # this backend keeps statement bodies compressed (packing.py)

    @_translated
    def count_statements(self, store_id, upto_seq):
        sid = self._sid(store_id)
        if sid is None:
            return 0
        base = sid << SEQ_BITS
        return self._read("SELECT count(*) FROM statements WHERE pk > ? AND pk <= ?",
                          (base, base | min(upto_seq, SEQ_MAX))).fetchone()[0]

    def chain_marks(self, store_id, upto_n):
        sid = self._sid(store_id)
        if sid is None:
            return
        for n, kind, seq, statement_id, target, content, hash_, detail in self._stream(
                "SELECT n, kind, seq, id, target, content, hash, detail FROM chain WHERE sid = ? AND n <= ? "
                "AND kind NOT IN ('statement', 'voiding') ORDER BY n", (sid, upto_n)):
            yield ChainEntry(n=n, kind=kind, seq=seq, id=statement_id, target=target, content=bytes(content),
                             hash=bytes(hash_), detail=detail)

    def statement_tuples(self, store_id, upto_seq, from_seq=1):
        sid = self._sid(store_id)
        if sid is None:
            return
        base = sid << SEQ_BITS
        for seq, statement_id, voided, voiding, body, erased, stored_ms in self._stream(
                "SELECT pk & %d, id, voided, voiding, body, erased, stored_ms FROM statements "
                "WHERE pk >= ? AND pk <= ? ORDER BY pk" % SEQ_MAX, (base | max(from_seq, 1), base | min(upto_seq, SEQ_MAX))):
            yield seq, statement_id, voided, voiding, unpack(body), erased, stored_ms

    def document_rows(self, store_id):
        sid = self._sid(store_id)
        if sid is None:
            return
        yield from _document_rows(self._conn(), sid)

    def _chain_act(self, conn, store_id, act, sid=None):
        """Chain `act` (chain.Act; nothing when None) in the store's chain, inside the open write
        transaction `conn` of the change it records (issue 13); `sid` when known already."""
        if act is not None:
            chain_act(_Batch(self, conn, sid if sid is not None else self._sid_for_write(conn, store_id), {}), act)

    @_translated
    def erase_agent(self, store_id, agent_key, facts):
        with self._write() as conn:
            return erase_agent(_Batch(self, conn, self._sid_for_write(conn, store_id), {}), agent_key, facts)

    @_translated
    def backfill_chain(self, store_id, facts):
        with self._write() as conn:
            tx = _Batch(self, conn, self._sid_for_write(conn, store_id), {})
            return backfill_chain(tx, facts, tx.order()[0])

    @_translated
    def add_checkpoint(self, checkpoint):
        c = checkpoint
        with self._write() as conn:
            sid = self._sid_for_write(conn, c.store_id)
            return conn.execute("INSERT OR IGNORE INTO checkpoints (sid, n, seq, hash, made_ms, signature) "
                                "VALUES (?, ?, ?, ?, ?, ?)", (sid, c.n, c.seq, c.hash, c.made_ms, c.signature)
                                ).rowcount == 1

    @_translated
    def list_checkpoints(self, store_id, after_n=0):
        sid = self._sid(store_id)
        if sid is None:
            return []
        return [Checkpoint(store_id=store_id, n=n, seq=seq, hash=bytes(hash_), made_ms=made_ms,
                           signature=bytes(signature))
                for n, seq, hash_, made_ms, signature in self._read(
                    "SELECT n, seq, hash, made_ms, signature FROM checkpoints WHERE sid = ? AND n > ? ORDER BY n",
                    (sid, after_n))]

    def _stream(self, sql, params):
        """Rows of a long read on a connection of its own (the thread's connection stays free for
        other reads while the caller walks the rows); SQLite errors as StorageUnavailable."""
        conn = None
        try:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000.0, isolation_level=None)
            yield from conn.execute(sql, params)
        except sqlite3.Error as error:
            raise StorageUnavailable("SQLite: %s" % error) from error
        finally:
            if conn is not None:
                conn.close()

    def _pages(self, sql, params, size=4096):
        """_stream's rows in lists of `size` (_pages below)."""
        return _pages(self.path, self.busy_timeout_ms, sql, params, size)

    def _seq_at_or_before(self, sid, ms):
        """The highest seq stored at or before ms (0 if none): stored is non-decreasing in seq."""
        row = self._read("SELECT pk FROM statements WHERE sid = ? AND stored_ms <= ? "
                         "ORDER BY stored_ms DESC, pk DESC LIMIT 1", (sid, ms)).fetchone()
        return row[0] & SEQ_MAX if row else 0

    @_translated
    def query_statements(self, store_id, query):
        statements, limit = [], query.limit if query.limit and query.limit > 0 else None
        for pk, statement_id, stored_ms, voiding, body in self._matching(store_id, query, "s.voiding, s.body"):
            if len(statements) == limit:
                return StatementPage(statements=statements, more=True)
            statements.append(StoredStatement(id=statement_id, seq=pk & SEQ_MAX, stored_ms=stored_ms,
                                              voided=False, is_voiding=bool(voiding), body=unpack(body)))
        return StatementPage(statements=statements, more=False)

    def _matching(self, store_id, query, columns):
        """(pk, id, stored_ms, *columns) of the statements matching the query, in its order, each once,
        query.limit + 1 at most (the last says there are more); `columns` of `statements s`."""
        sid = self._sid(store_id)
        if sid is None:
            return
        bounds = seq_bounds(query, lambda ms: self._seq_at_or_before(sid, ms))
        if bounds is None:
            return
        low, high = bounds[0], min(SEQ_MAX, bounds[1] if bounds[1] is not None else SEQ_MAX)
        if low >= high:
            return
        base = sid << SEQ_BITS
        params_range = [base | low, base | high]       # pk > ? AND pk <= ?
        order = "ASC" if query.ascending else "DESC"
        auth_sql, auth_params = "", []
        if query.authority_key is not None:                                      # SCOPE-2
            auth = self._lookup_kid(_AUTHORITY, query.authority_key)
            if auth is None:
                return
            auth_sql, auth_params = " AND s.auth = ?", [auth]
        wanted = {}                             # kid -> bits that must all be set in one row
        for kind, value in query.filters:
            namespace, bit = _namespace(kind)
            kid = self._lookup_kid(namespace, value)
            if kid is None:
                return
            wanted[kid] = wanted.get(kid, 0) | bit
        kids = list(wanted)
        if not kids:
            cursor = self._read(
                "SELECT s.pk, s.id, s.stored_ms, %s FROM statements s "
                "WHERE s.pk > ? AND s.pk <= ? AND s.voided = 0%s ORDER BY s.pk %s"
                % (columns, auth_sql, order), params_range + auth_params)
        else:
            if len(kids) > 1:
                counts = {kid: self._estimate(kid, params_range) for kid in kids}
                if not all(counts.values()):
                    return
                kids.sort(key=counts.get)             # drive from the most selective filter
            probes = "".join(" AND EXISTS (SELECT 1 FROM statement_keys k%d WHERE k%d.kid = ? "
                             "AND k%d.pk = k0.pk AND k%d.grp = k0.grp AND k%d.mask & ? = ?)" % ((n,) * 5)
                             for n in range(1, len(kids)))
            probe_params = [p for kid in kids[1:] for p in (kid, wanted[kid], wanted[kid])]
            cursor = self._read(
                "SELECT k0.pk, s.id, s.stored_ms, %s "
                "FROM statement_keys k0 CROSS JOIN statements s ON s.pk = k0.pk "
                "WHERE k0.kid = ? AND k0.pk > ? AND k0.pk <= ? AND k0.mask & ? = ? AND s.voided = 0%s%s "
                "ORDER BY k0.pk %s" % (columns, auth_sql, probes, order),
                [kids[0]] + params_range + [wanted[kids[0]], wanted[kids[0]]] + auth_params + probe_params)
        left = query.limit + 1 if query.limit and query.limit > 0 else -1
        previous = None
        try:
            for row in cursor:
                if row[0] == previous:           # matched in several groups (QRY-24)
                    continue
                previous = row[0]
                yield row
                left -= 1
                if not left:
                    return
        finally:
            cursor.close()

    @_translated
    def query_report_rows(self, store_id, query):
        rows = list(self._matching(store_id, query, "s.report_facts, "
                                   "CASE WHEN s.report_facts IS NULL THEN s.body ELSE NULL END"))
        more = bool(query.limit) and 0 < query.limit < len(rows)
        if more:
            rows.pop()
        facts = self._report_facts
        return [_new_facts(ReportRow, (pk & SEQ_MAX, statement_id, stored_ms, None if text is None else facts(text),
                                       b"" if body is None else unpack(body)))
                for pk, statement_id, stored_ms, text, body in rows], more

    def _report_facts(self, text):
        """The ReportFacts of their kept text (_facts_plan); None when erased. A report decodes millions:
        plain tuples and dict look-ups only, the values of the kids read once (_kid_values)."""
        if not text:
            return None
        learners, verb, activity, when, flags, scaled, duration, registration, context = orjson.loads(text)
        values = self._kid_values
        try:
            if len(learners) == 1:                 # the usual: an Agent
                learner = learners[0]
                learners = (values[learner[0]] + (learner[1] if len(learner) > 1 else None,),)
            else:
                learners = tuple([values[learner[0]] + (learner[1] if len(learner) > 1 else None,)
                                  for learner in learners])
            count = len(context)                   # usually a parent and a grouping, or one of them
            return _new_facts(ReportFacts, (
                learners, values[verb], values[activity] if activity else None, when, _COMPLETION[flags],
                _SUCCESS_OF[flags], scaled, duration, registration,
                (values[context[0]], values[context[1]]) if count == 2 else (values[context[0]],) if count == 1
                else tuple([values[kid] for kid in context])))
        except KeyError:                         # a kid not read yet: read them all, then again
            learners = orjson.loads(text)[0]
            for kid in [learner[0] for learner in learners] + [verb, activity] + context:
                if kid and kid not in values:
                    self._kid_value(kid)
            return self._report_facts(text)

    def _kid_value(self, kid):
        """Read and keep the interned value of a kid of report facts (a learner's as (key, identifier)): a
        committed kid never changes its value."""
        kind, value = self._read("SELECT kind, value FROM keys WHERE kid = ?", (kid,)).fetchone()
        if kind == _LEARNER:
            value = tuple(orjson.loads(value))
        if len(self._kid_values) >= 4 * _KEY_CACHE_MAX:
            self._kid_values = {}
        self._kid_values[kid] = value

    def _estimate(self, kid, params_range):
        return self._read("SELECT count(*) FROM (SELECT 1 FROM statement_keys WHERE kid = ? AND pk > ? "
                          "AND pk <= ? LIMIT %d)" % _ESTIMATE_CAP, [kid] + params_range).fetchone()[0]

    # --- activities, agents, attachments -----------------------------------------------

    @_translated
    def get_activity_definition(self, store_id, activity_id):
        sid = self._sid(store_id)
        if sid is None:
            return None
        row = self._read("SELECT definition FROM activities WHERE sid = ? AND activity_id = ?",
                         (sid, activity_id)).fetchone()
        return json.loads(row[0]) if row else None

    @_translated
    def get_agent_names(self, store_id, agent_key):
        sid = self._sid(store_id)
        if sid is None:
            return []
        row = self._read("SELECT names FROM agents WHERE sid = ? AND agent_key = ?",
                         (sid, agent_key)).fetchone()
        return json.loads(row[0]) if row else []

    @_translated
    def get_attachments(self, store_id, hashes):
        sid = self._sid(store_id)
        found = {}
        if sid is None:
            return found
        for chunk in _chunks(set(hashes)):
            for sha2, content_type, data in self._read(
                    "SELECT sha2, content_type, data FROM attachments WHERE sid = ? AND sha2 IN (%s)"
                    % _marks(len(chunk)), [sid] + chunk):
                found[sha2] = (content_type, bytes(data))
        return found

    # --- documents ---------------------------------------------------------------------

    _DOC_WHERE = "sid = ? AND " + " AND ".join("%s = ?" % column for column in _DOC_COLUMNS)

    @classmethod
    def _doc_params(cls, sid, key):
        fields = document_fields(key)
        return [sid] + [fields[column] for column in _DOC_COLUMNS]

    @staticmethod
    def _scope_sql(sid, scope):
        fields = scope_fields(scope)
        return "sid = ?" + "".join(" AND %s = ?" % column for column in fields), [sid] + list(fields.values())

    def _current_document(self, conn, sid, key):
        row = conn.execute("SELECT content, content_type, etag, updated_ms FROM documents WHERE "
                           + self._DOC_WHERE, self._doc_params(sid, key)).fetchone()
        return Document(content=bytes(row[0]), content_type=row[1], etag=row[2], updated_ms=row[3]) \
            if row else None

    @_translated
    def get_document(self, store_id, key):
        sid = self._sid(store_id)
        if sid is None:
            return None
        return self._current_document(self._conn(), sid, key)

    @_translated
    def list_documents(self, store_id, scope, since_ms=None):
        sid = self._sid(store_id)
        if sid is None:
            return []
        sql, params = self._scope_sql(sid, scope)
        if since_ms is not None:
            sql += " AND updated_ms > ?"
            params.append(since_ms)
        return newest_per_id(self._read("SELECT doc_id, updated_ms FROM documents WHERE %s" % sql, params))

    @_translated
    def write_document(self, store_id, key, decide):
        with self._write() as conn:                                          # CONC-18
            sid = self._sid_for_write(conn, store_id)
            new = decide(self._current_document(conn, sid, key))
            if new is None:
                return None
            conn.execute("INSERT OR REPLACE INTO documents (sid, kind, activity_id, agent_key, registration, "
                         "doc_id, content, content_type, etag, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         self._doc_params(sid, key) + [bytes(new.content), new.content_type, new.etag,
                                                       new.updated_ms])
            chain_documents(_Batch(self, conn, sid, {}), [(document_fields(key), new)])
            return new

    @_translated
    def delete_document(self, store_id, key, check):
        with self._write() as conn:
            sid = self._sid_for_write(conn, store_id)
            current = self._current_document(conn, sid, key)
            check(current)
            if current is None:
                return False
            conn.execute("DELETE FROM documents WHERE " + self._DOC_WHERE, self._doc_params(sid, key))
            chain_documents(_Batch(self, conn, sid, {}), [(document_fields(key), None)])
            return True

    @_translated
    def delete_documents(self, store_id, scope):
        sid = self._sid(store_id)
        if sid is None:
            return 0
        sql, params = self._scope_sql(sid, scope)
        with self._write() as conn:
            gone = [dict(zip(_DOC_COLUMNS, row)) for row in conn.execute(
                "SELECT %s FROM documents WHERE %s ORDER BY %s" % (", ".join(_DOC_COLUMNS), sql, ", ".join(_DOC_COLUMNS)),
                params)]
            conn.execute("DELETE FROM documents WHERE " + sql, params)
            chain_documents(_Batch(self, conn, sid, {}), [(fields, None) for fields in gone])
            return len(gone)

    # --- server-side secrets -----------------------------------------------------------

    @_translated
    def get_or_create_secret(self, name, make):
        row = self._read("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
        if row is None:
            value = bytes(make())                     # made outside the writer lock
            with self._write() as conn:               # the first INSERT wins, across processes
                conn.execute("INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)", (name, value))
                row = conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
        return bytes(row[0])

    # --- forwarding rules and the outbox (issue 12) ------------------------------------

    _RULE_COLUMNS = ("id, store_id, name, target_store_id, endpoint, key, secret_sealed, version, filter, filters, "
                     "active, created_ms")

    @staticmethod
    def _rule(row):
        (rule_id, store_id, name, target_store_id, endpoint, key, secret_sealed, version, filter_, filters,
         active, created_ms) = row
        return ForwardingRule(id=rule_id, store_id=store_id, name=name, target_store_id=target_store_id,
                              endpoint=endpoint, key=key, secret_sealed=bytes(secret_sealed), version=version,
                              filter=json.loads(filter_), filters=[tuple(p) for p in json.loads(filters)],
                              active=bool(active), created_ms=created_ms)

    @_translated
    def add_forwarding_rule(self, rule, act=None):
        with self._write() as conn:
            try:
                conn.execute("INSERT INTO forwarding_rules (%s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                             % self._RULE_COLUMNS,
                             (rule.id, rule.store_id, rule.name, rule.target_store_id, rule.endpoint, rule.key,
                              bytes(rule.secret_sealed), rule.version, _dumps(rule.filter),
                              _dumps([list(p) for p in rule.filters]), int(bool(rule.active)), rule.created_ms))
            except sqlite3.IntegrityError:
                raise ValueError("the store has a forwarding rule named %r" % rule.name) from None
            self._chain_act(conn, rule.store_id, act)

    @_translated
    def get_forwarding_rule(self, rule_id):
        row = self._read("SELECT %s FROM forwarding_rules WHERE id = ?" % self._RULE_COLUMNS, (rule_id,)).fetchone()
        return self._rule(row) if row else None

    @_translated
    def list_forwarding_rules(self, store_id=None):
        where, params = ("WHERE store_id = ? ", (store_id,)) if store_id is not None else ("", ())
        return [self._rule(row) for row in self._read("SELECT %s FROM forwarding_rules %sORDER BY store_id, name"
                                                      % (self._RULE_COLUMNS, where), params).fetchall()]

    @_translated
    def set_forwarding_rule_active(self, rule_id, active, act=None):
        with self._write() as conn:
            store_id = self._rule_store(conn, rule_id)
            if store_id is None:
                return False
            conn.execute("UPDATE forwarding_rules SET active = ? WHERE id = ?", (int(bool(active)), rule_id))
            self._chain_act(conn, store_id, act)
            return True

    @_translated
    def remove_forwarding_rule(self, rule_id, act=None):
        with self._write() as conn:
            store_id = self._rule_store(conn, rule_id)
            if store_id is None:
                return False
            conn.execute("DELETE FROM outbox WHERE rule_id = ?", (rule_id,))
            conn.execute("DELETE FROM forwarding_rules WHERE id = ?", (rule_id,))
            self._chain_act(conn, store_id, act)
            return True

    @staticmethod
    def _rule_store(conn, rule_id):
        row = conn.execute("SELECT store_id FROM forwarding_rules WHERE id = ?", (rule_id,)).fetchone()
        return row[0] if row else None

    @staticmethod
    def _entry(row):
        rule_id, seq, statement_id, created_ms, attempts, error = row
        return OutboxEntry(rule_id=rule_id, seq=seq, statement_id=statement_id, created_ms=created_ms,
                           attempts=attempts, error=error)

    _ENTRY_COLUMNS = "rule_id, seq, statement_id, created_ms, attempts, error"

    @_translated
    def claim_outbox(self, rule_id, owner, limit, lease_ms, now_ms, after_seq=None):
        with self._write() as conn:
            # leased entries are those with lease_until > 0 (index outbox_leases)
            held = conn.execute("SELECT 1 FROM outbox WHERE rule_id = ? AND lease_until > 0 AND lease_until > ? "
                                "AND dead = 0 AND owner != ? LIMIT 1", (rule_id, now_ms, owner)).fetchone()
            if held:
                return []
            after = -1
            if after_seq is not None:
                after = int(after_seq)
                gap = conn.execute("SELECT 1 FROM outbox WHERE rule_id = ? AND seq <= ? AND dead = 0 "
                                   "AND (owner != ? OR lease_until <= ?) LIMIT 1",
                                   (rule_id, after, owner, now_ms)).fetchone()
                if gap:
                    return []
            rows = conn.execute("SELECT %s, retry_at FROM outbox WHERE rule_id = ? AND seq > ? AND dead = 0 "
                                "ORDER BY seq LIMIT ?" % self._ENTRY_COLUMNS, (rule_id, after, int(limit))).fetchall()
            if not rows or rows[0][-1] > now_ms:                  # the oldest waits for its retry
                return []
            seqs = [row[1] for row in rows]
            conn.executemany("UPDATE outbox SET owner = ?, lease_until = ?, attempts = attempts + 1 "
                             "WHERE rule_id = ? AND seq = ?", [(owner, now_ms + lease_ms, rule_id, seq) for seq in seqs])
            return [self._entry(row[:4] + (row[4] + 1, row[5])) for row in rows]

    def _leased(self, conn, rule_id, owner, seqs):
        """Those of seqs that are owner's undelivered entries of the rule."""
        found = []
        for chunk in _chunks(sorted(set(seqs))):
            found += [row[0] for row in conn.execute(
                "SELECT seq FROM outbox WHERE rule_id = ? AND owner = ? AND dead = 0 AND seq IN (%s)"
                % _marks(len(chunk)), [rule_id, owner] + chunk)]
        return found

    @_translated
    def complete_outbox(self, rule_id, owner, seqs):
        with self._write() as conn:
            done = self._leased(conn, rule_id, owner, seqs)
            conn.executemany("DELETE FROM outbox WHERE rule_id = ? AND seq = ?", [(rule_id, seq) for seq in done])
            conn.execute("UPDATE forwarding_rules SET delivered = delivered + ? WHERE id = ?", (len(done), rule_id))
            return len(done)

    @_translated
    def release_outbox(self, rule_id, owner, seqs, retry_at_ms, error):
        with self._write() as conn:
            held = self._leased(conn, rule_id, owner, seqs)
            conn.executemany("UPDATE outbox SET owner = '', lease_until = 0, retry_at = ? WHERE rule_id = ? AND seq = ?",
                             [(retry_at_ms, rule_id, seq) for seq in held])
            if held:
                conn.execute("UPDATE forwarding_rules SET last_error = ? WHERE id = ?", (error, rule_id))
            return len(held)

    @_translated
    def dead_letter_outbox(self, rule_id, owner, errors):
        with self._write() as conn:
            held = self._leased(conn, rule_id, owner, list(errors))
            conn.executemany("UPDATE outbox SET dead = 1, owner = '', lease_until = 0, error = ? "
                             "WHERE rule_id = ? AND seq = ?", [(errors[seq], rule_id, seq) for seq in held])
            if held:
                conn.execute("UPDATE forwarding_rules SET last_error = ? WHERE id = ?", (errors[held[-1]], rule_id))
            return len(held)

    @_translated
    def list_dead_letters(self, rule_id, limit=100):
        return [self._entry(row) for row in self._read(
            "SELECT %s FROM outbox WHERE rule_id = ? AND dead = 1 ORDER BY seq LIMIT ?" % self._ENTRY_COLUMNS,
            (rule_id, int(limit))).fetchall()]

    def _dead_letters_where(self, rule_id, seqs):
        if seqs is None:
            return "rule_id = ? AND dead = 1", [rule_id]
        return "rule_id = ? AND dead = 1 AND seq IN (%s)" % _marks(len(seqs)), [rule_id] + [int(s) for s in seqs]

    @_translated
    def retry_dead_letters(self, rule_id, seqs=None):
        where, params = self._dead_letters_where(rule_id, seqs)
        with self._write() as conn:
            return conn.execute("UPDATE outbox SET dead = 0, error = '', retry_at = 0 WHERE " + where, params).rowcount

    @_translated
    def drop_dead_letters(self, rule_id, seqs=None):
        where, params = self._dead_letters_where(rule_id, seqs)
        with self._write() as conn:
            return conn.execute("DELETE FROM outbox WHERE " + where, params).rowcount

    @_translated
    def forwarding_counts(self, rule_id, now_ms):
        counts = {(dead, leased): (count, oldest) for dead, leased, count, oldest in self._read(
            "SELECT dead, dead = 0 AND lease_until > ?, count(*), min(created_ms) FROM outbox WHERE rule_id = ? "
            "GROUP BY 1, 2", (now_ms, rule_id))}
        row = self._read("SELECT delivered, last_error FROM forwarding_rules WHERE id = ?", (rule_id,)).fetchone()
        delivered, last_error = row if row else (0, "")
        undelivered = [counts[k][1] for k in ((0, 0), (0, 1)) if k in counts]
        return ForwardingCounts(pending=counts.get((0, 0), (0,))[0], in_flight=counts.get((0, 1), (0,))[0],
                                delivered=delivered, dead=counts.get((1, 0), (0,))[0],
                                oldest_pending_ms=min(undelivered) if undelivered else None, last_error=last_error)

    # --- pull cursors (issue 12) -------------------------------------------------------

    @_translated
    def get_pull_cursor(self, store_id, source):
        row = self._read("SELECT stored_ms, ids, updated_ms FROM pull_cursors WHERE store_id = ? AND source = ?",
                         (store_id, source)).fetchone()
        if row is None:
            return None
        return PullCursor(store_id=store_id, source=source, stored_ms=row[0], ids=json.loads(row[1]),
                          updated_ms=row[2])

    @_translated
    def save_pull_cursor(self, cursor):
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO pull_cursors (store_id, source, stored_ms, ids, updated_ms) "
                         "VALUES (?, ?, ?, ?, ?)", (cursor.store_id, cursor.source, int(cursor.stored_ms),
                                                   json.dumps(list(cursor.ids)), int(cursor.updated_ms)))

    # --- reports (issue 13) -------------------------------------------------------------

    @_translated
    def get_store_setting(self, store_id, name):
        row = self._read("SELECT value FROM store_settings WHERE store_id = ? AND name = ?",
                         (store_id, name)).fetchone()
        return row[0] if row else None

    @_translated
    def set_store_setting(self, store_id, name, value, act=None):
        with self._write() as conn:
            if value is None:
                conn.execute("DELETE FROM store_settings WHERE store_id = ? AND name = ?", (store_id, name))
            else:
                conn.execute("INSERT OR REPLACE INTO store_settings (store_id, name, value) VALUES (?, ?, ?)",
                             (store_id, name, value))
            self._chain_act(conn, store_id, act)

    @_translated
    def report_grants(self, key):
        return [row[0] for row in self._read("SELECT store_id FROM report_grants WHERE key = ? ORDER BY store_id",
                                             (key,))]

    @_translated
    def set_report_grants(self, key, store_ids, granted=None, ungranted=None):
        with self._write() as conn:
            before = [row[0] for row in conn.execute("SELECT store_id FROM report_grants WHERE key = ?", (key,))]
            conn.execute("DELETE FROM report_grants WHERE key = ?", (key,))
            conn.executemany("INSERT OR IGNORE INTO report_grants (key, store_id) VALUES (?, ?)",
                             [(key, store_id) for store_id in store_ids])
            for store_id, act in grant_acts(before, store_ids, granted, ungranted):
                self._chain_act(conn, store_id, act)


_CHAIN_WALK = ("SELECT c.n, c.kind, c.seq, c.id, c.target, c.content, c.hash, c.detail, s.id, s.voided, s.voiding, "
               "s.body, s.erased FROM chain c LEFT JOIN statements s ON c.kind IN ('statement', 'voiding') "
               "AND s.pk = (? | c.seq) WHERE c.sid = ? AND c.n > ? AND c.n <= ? ORDER BY c.n")


def _pages(path, busy_timeout_ms, sql, params, size=4096):
    """The rows of a long read on a connection of its own, in lists of `size` (a loop over millions
    of rows pays per page, not per row), read through a memory map of the file (no copy per page
    read: a fifth less CPU on a 1.4 GB store); SQLite errors as StorageUnavailable."""
    conn = None
    try:
        conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000.0, isolation_level=None)
        conn.execute("PRAGMA mmap_size=%d" % _MMAP_BYTES)
        cursor = conn.execute(sql, params)
        page = cursor.fetchmany(size)
        while page:
            yield page
            page = cursor.fetchmany(size)
    except sqlite3.Error as error:
        raise StorageUnavailable("SQLite: %s" % error) from error
    finally:
        if conn is not None:
            conn.close()


class ChainReader:
    """SQLiteStorage.chain_walk from any process (StorageBackend.chain_reader): a connection of its
    own per call that only reads, nothing else of the storage (no writer, no checkpointer)."""

    def __init__(self, path, busy_timeout_ms):
        self.path, self.busy_timeout_ms = path, busy_timeout_ms

    def __call__(self, store_id, upto_n, after_n=0):
        rows = list(_pages(self.path, self.busy_timeout_ms, "SELECT sid FROM stores WHERE id = ?", (store_id,)))
        if rows:
            sid = rows[0][0][0]
            yield from _pages(self.path, self.busy_timeout_ms, _CHAIN_WALK, (sid << SEQ_BITS, sid, after_n, upto_n))
