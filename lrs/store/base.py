"""The storage interface: one contract, implemented by every backend (sqlite, mongodb).

The store knows nothing of HTTP or of the xAPI rules. The service layer (lrs/xapi) computes
everything a rule needs (index keys, reference and voiding targets, merged definitions) and
hands the store plain records; the store keeps them durably and answers look-ups.

Vocabulary: a *store* (store_id) is a tenant, one agency or department. Every record belongs
to exactly one store and no method ever returns another store's records.

Every method is safe to call from several threads and several processes at once.
A method that writes is atomic: it either completes or leaves nothing behind.

Administrative changes (a store created or renamed; a credential created, revoked or changed; a
forwarding rule added, paused, resumed or removed; a store setting set; report grants) take an
optional `act`, a chain.Act: when the change is made, the act becomes an entry of the store's
audit chain (issue 13) in the same transaction, so that the change and its entry are kept both or
neither. No act is chained when nothing changed (a method answering False).
"""
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Optional

from .chain import ChainEntry


# --- stores and credentials -------------------------------------------------------------

@dataclass
class StoreInfo:
    id: str
    name: str
    created_ms: int


@dataclass
class Credential:
    key: str
    secret_hash: str          # never the secret itself (see lrs/auth.py)
    store_id: str
    scopes: list              # xAPI scope names, e.g. ["statements/write", "statements/read/mine"]
    name: str = ""
    admin: bool = False
    created_ms: int = 0
    revoked: bool = False
    expires_ms: Optional[int] = None   # refused from this time on (lrs/auth.py); None: never expires
    last_used_ms: int = 0             # last successful authentication, written at most once a minute


# the credential fields update_credential may change (issue 14)
CREDENTIAL_CHANGES = ("secret_hash", "scopes", "name", "expires_ms")


@dataclass
class StoreUsage:
    # every statement kept, voided and voiding ones included: the store's last seq, since seq numbers
    # its statements 1, 2, 3... without a gap (a batch's numbers are taken in its transaction) and no
    # statement is ever deleted; read in constant time, where counting read every row (issue 14)
    statements: int
    documents: int            # state, activity profile and agent profile documents


# --- statements -----------------------------------------------------------------------

class ReportFacts(NamedTuple):
    """What the reports (issue 13, lrs/reports) read of a statement, computed once at write time by
    the service layer (lrs/xapi/report_facts.py), so that a report reads these few values instead
    of inflating and parsing every statement it scans. The store keeps them as compactly as it can
    (SQLite: interned ids of the `keys` table) and gives them back as this tuple; an erasure blanks
    them with the statement's content."""

    learners: tuple               # ((agent key, identifier as dict, name or None), ...) it counts for
    verb: str                     # verb id
    activity: Optional[str]       # the object's id when the object is an Activity, else None
    timestamp_ms: Optional[int]   # the timestamp; None when the store sets it from `stored` (TIME-9)
    completion: bool              # result.completion is true
    success: Optional[bool]       # result.success, when a boolean
    scaled: object                # result.score.scaled (int or float, as sent) or None
    duration: float               # seconds of result.duration (0 without one)
    registration: str             # context.registration, lower-case ("" without one)
    context: tuple                # ids of contextActivities.parent and .grouping


class ReportRow(NamedTuple):
    """A statement as a report scans it (StorageBackend.query_report_rows)."""

    seq: int
    id: str
    stored_ms: int
    facts: Optional[ReportFacts]  # None: stored without them (before they were kept); see body
    body: bytes = b""             # the JSON, only when facts is None


@dataclass
class StatementRecord:
    """One statement to insert, prepared by the service layer.

    `statement` is the normalised JSON object to keep. The store sets `statement["stored"]`
    to the stored time it assigns (format lrs.timeutil.format_ms), and when
    `timestamp_from_stored` is true also `statement["timestamp"]` to the same string (TIME-9).

    `index_keys` are the (kind, value) pairs by which queries find this statement (kinds:
    'agent', 'related_agent', 'verb', 'activity', 'related_activity', 'registration'); values
    are opaque strings. When `ref_target` names a statement (object is a StatementRef, not a
    voiding statement), the store makes the target's keys find this statement too, recursively
    and whichever of the two arrives first (QRY-24), keeping each statement's keys as a separate
    group: a query's filters must all match within one group.

    `void_target` is the id a voiding statement voids. A statement is voided exactly when it is
    not itself a voiding statement and some stored voiding statement targets it, whichever
    arrived first (VOID-4, VOID-5).
    """

    id: str                               # lower-case UUID
    statement: dict
    index_keys: list = field(default_factory=list)
    ref_target: Optional[str] = None      # lower-case UUID
    void_target: Optional[str] = None     # lower-case UUID
    authority_key: str = ""               # opaque; statements/read/mine filters on it
    timestamp_from_stored: bool = False
    attachment_hashes: list = field(default_factory=list)   # sha2 values whose data it holds
    report_facts: Optional[ReportFacts] = None   # None: the reports read the body instead


@dataclass
class StoredStatement:
    id: str
    seq: int                  # per-store order of commit; ties of `stored` are broken by it
    stored_ms: int
    voided: bool
    is_voiding: bool
    body: bytes               # the JSON as stored (UTF-8), `stored` and `timestamp` included
    erased: int = 0           # the erasure's chain entry when the content was erased (body b'', voided)


@dataclass
class InsertBatch:
    """Everything one statement request writes, in one atomic step."""

    statements: list                           # [StatementRecord]
    # activity id -> incoming definition; merged by `merge_definition(current, incoming)`
    activity_definitions: dict = field(default_factory=dict)
    merge_definition: Optional[Callable] = None
    # agent key -> names seen (AGENTS-6); the store adds them to what it already has
    agent_names: dict = field(default_factory=dict)
    # sha2 -> (content_type, bytes): attachment data, kept once per hash and store
    attachments: dict = field(default_factory=dict)


@dataclass
class StatementQuery:
    filters: list = field(default_factory=list)  # [(kind, value)], all must match (QRY-13)
    since_ms: Optional[int] = None               # stored strictly after (QRY-21)
    until_ms: Optional[int] = None               # stored at or before
    ascending: bool = False
    limit: int = 100
    # paging cursor: continue strictly after this seq in the query's direction
    after_seq: Optional[int] = None
    # never return statements committed after this seq (stable descending paging, QRY-45)
    max_seq: Optional[int] = None
    authority_key: Optional[str] = None          # statements/read/mine (SCOPE-2)


@dataclass
class StatementPage:
    statements: list          # [StoredStatement], never voided ones
    more: bool                # further statements match beyond this page


# --- documents ------------------------------------------------------------------------

@dataclass(frozen=True)
class DocumentKey:
    """Addresses one document. kind: 'state', 'activity_profile' or 'agent_profile'."""

    kind: str
    doc_id: str
    activity_id: Optional[str] = None
    agent_key: Optional[str] = None
    registration: Optional[str] = None     # state only; None = stored without registration


@dataclass(frozen=True)
class DocumentScope:
    """Addresses the documents of one activity/agent (list ids, delete all).

    With `registration` None and `all_registrations` True, documents of every registration
    (and none) are covered (STATE-14).
    """

    kind: str
    activity_id: Optional[str] = None
    agent_key: Optional[str] = None
    registration: Optional[str] = None
    all_registrations: bool = True


@dataclass
class Document:
    content: bytes
    content_type: str
    etag: str                 # computed by the service layer
    updated_ms: int


# --- forwarding (federation, issue 12) ---------------------------------------------------

@dataclass
class ForwardingRule:
    """Forward the statements of `store_id` that match `filters` to a target (issue 12).

    The target is another store of this deployment (`target_store_id`) or a remote xAPI LRS
    (`endpoint`, HTTP Basic `key` and secret, the xAPI `version` to speak). The store keeps the
    secret only as `secret_sealed`, encrypted by the service layer; it never sees the secret.
    `filter` is the rule's filter as given (xAPI query parameters), `filters` its compiled
    [(kind, value)] pairs with the statement query's semantics: all must match within one key
    group of a statement (QRY-13, QRY-24). A paused rule (`active` False) still collects outbox
    entries, so that nothing is lost while it is paused; it only is not delivered."""

    id: str
    store_id: str
    name: str
    target_store_id: Optional[str] = None
    endpoint: str = ""
    key: str = ""
    secret_sealed: bytes = b""
    version: str = ""
    filter: dict = field(default_factory=dict)
    filters: list = field(default_factory=list)
    active: bool = True
    created_ms: int = 0

    @property
    def remote(self):
        return self.target_store_id is None


@dataclass
class OutboxEntry:
    """One statement (by its store's seq) to deliver under one rule."""

    rule_id: str
    seq: int
    statement_id: str
    created_ms: int                 # the statement's stored time
    attempts: int = 0               # claims so far
    error: str = ""                 # a dead letter's reason: the target's answer


@dataclass
class ForwardingCounts:
    pending: int                    # to deliver, not leased now
    in_flight: int                  # leased by a forwarder now
    delivered: int
    dead: int
    oldest_pending_ms: Optional[int]   # stored time of the oldest undelivered (pending or in flight)
    last_error: str


def credential_changes(changes):
    """The changes for update_credential, checked: ValueError names an unknown field."""
    unknown = sorted(set(changes) - set(CREDENTIAL_CHANGES))
    if unknown:
        raise ValueError("a credential update cannot change %s" % ", ".join(unknown))
    changes = dict(changes)
    if "scopes" in changes:
        changes["scopes"] = list(changes["scopes"])
    return changes


@dataclass
class PullCursor:
    """How far a pull from a source LRS into a store got (issue 12): the source's `stored` time
    (ms) of the newest statement copied, and the ids copied with that very `stored` time, since
    `stored` is not unique and the next pull starts at that time again."""

    store_id: str
    source: str                     # the source and filter, as the puller names them
    stored_ms: int = 0
    ids: list = field(default_factory=list)
    updated_ms: int = 0


class StorageBackend(ABC):
    """What every backend implements. See tests/store/ for the contract tests.

    The xAPI rules of a statement batch (order, voiding, references, merges) are not the
    backends': lrs/store/rules.py holds them once and drives each backend's transaction."""

    # Test seam: called inside each statement batch's transaction just before it commits, as
    # before_commit(store_id, ids), so that tests can hold a batch pending at a known point and
    # interleave writers and readers step by step. None in production.
    before_commit = None

    # A statement batch commits within this many ms of its `stored` time or is rolled back
    # (rules.check_commit_deadline); None: no limit. Set from LRS_CONSISTENT_THROUGH_LAG_MS.
    max_commit_delay_ms = None

    def _before_commit(self, store_id, ids):
        if self.before_commit is not None:
            self.before_commit(store_id, ids)

    # lifecycle
    @abstractmethod
    def close(self): ...

    @abstractmethod
    def ping(self):
        """Raise lrs.errors.StorageUnavailable when the database cannot be reached."""

    # stores (tenants)
    @abstractmethod
    def create_store(self, name, act=None) -> StoreInfo:
        """Create a store (and chain `act` in its chain); ValueError if the name is taken."""

    @abstractmethod
    def get_store(self, name) -> Optional[StoreInfo]: ...

    @abstractmethod
    def list_stores(self) -> list: ...

    @abstractmethod
    def rename_store(self, store_id, name, act=None) -> bool:
        """Give a store a new name; True when it exists; ValueError if another store has the name."""

    @abstractmethod
    def store_usage(self, store_id) -> StoreUsage: ...

    # credentials
    @abstractmethod
    def add_credential(self, credential: Credential, act=None):
        """Keep a new credential (`act` chained in its store's chain); ValueError if the key exists."""

    @abstractmethod
    def get_credential(self, key) -> Optional[Credential]:
        """The credential, revoked ones included (the caller checks `revoked`)."""

    @abstractmethod
    def list_credentials(self, store_id=None) -> list: ...

    @abstractmethod
    def revoke_credential(self, key, act=None) -> bool:
        """True when a credential was revoked now (`act` chained in its store's chain)."""

    @abstractmethod
    def update_credential(self, key, changes: dict, act=None) -> bool:
        """Set the fields of `changes` (names in CREDENTIAL_CHANGES) of a credential that is not
        revoked (`act` chained in its store's chain when `changes` is not empty); True when there
        was one. ValueError names an unknown field."""

    @abstractmethod
    def touch_credential(self, key, used_ms):
        """Record a successful use: last_used_ms becomes used_ms unless it is already later. Never
        waits for a lock held by a writer: StorageUnavailable instead (the caller drops the figure)."""

    # statements
    @abstractmethod
    def insert_statements(self, store_id, batch: InsertBatch) -> list:
        """Insert all statements of the batch or none; return [StoredStatement] in order.

        Raises lrs.store.DuplicateStatements(ids) when any id already exists in the store,
        and then writes nothing (the service compares and decides).
        """

    @abstractmethod
    def get_statements(self, store_id, ids) -> dict:
        """{id: StoredStatement} for the ids (lower-case) that exist, voided or not."""

    @abstractmethod
    def query_statements(self, store_id, query: StatementQuery) -> StatementPage: ...

    def query_report_rows(self, store_id, query: StatementQuery) -> tuple:
        """(rows, more): query_statements's statements as [ReportRow], each with the ReportFacts
        kept at ingest (or, for a statement stored without them, its body). What the reports scan:
        a backend that keeps the facts reads them without the bodies."""
        page = self.query_statements(store_id, query)
        return [ReportRow(stored.seq, stored.id, stored.stored_ms, None, stored.body)
                for stored in page.statements], page.more

    @abstractmethod
    def committed_order(self, store_id) -> tuple:
        """(last seq, its stored ms) of the newest committed batch of the store; (0, 0) when empty."""

    def last_seq(self, store_id) -> int:
        """The highest seq committed in the store (0 when empty)."""
        return self.committed_order(store_id)[0]

    # the audit chain (issue 13, lrs/store/chain.py); read by lrs/audit, written by the batch rules
    @abstractmethod
    def chain_head(self, store_id):
        """The chain.ChainHead of the newest committed batch (ChainHead() when none)."""

    @abstractmethod
    def chain_rows(self, store_id, upto_n, after_n=0):
        """Iterate the store's entries with after_n < n <= upto_n, in n order, as kept, each as a
        tuple (n, kind, seq, id, target, content, hash, detail): `audit verify` walks millions."""

    def chain_entries(self, store_id, upto_n, after_n=0):
        """chain_rows as chain.ChainEntry."""
        for row in self.chain_rows(store_id, upto_n, after_n):
            yield ChainEntry(*row)

    @abstractmethod
    def chain_walk(self, store_id, upto_n, after_n=0):
        """Iterate pages (lists) of the store's entries with after_n < n <= upto_n in n order, each entry as the
        chain_rows tuple followed by the statement the store keeps at the entry's seq for a statement or voiding
        entry: (id, voided, is_voiding, body as kept, erased), or five None (no statement there, or
        another kind of entry). What `audit verify` walks: millions of entries, in ranges read at
        once (chain_reader). The body is as the database keeps it: read_kept_body turns it into
        the statement's JSON."""

    def chain_reader(self):
        """A picklable callable reader(store_id, upto_n, after_n) that does what chain_walk does from
        another process, opening its own connection there, so that `audit verify` can read and
        check ranges of the chain in worker processes (lrs/audit/ranges.py); None when this
        storage cannot be reopened elsewhere (then the ranges are read in this process)."""
        return None

    @staticmethod
    def read_kept_body(kept):
        """The JSON bytes of a statement body as chain_walk yields it (ValueError if it does not
        read back). A plain function, so that `audit verify` can run it in worker processes."""
        return bytes(kept)

    @abstractmethod
    def count_statements(self, store_id, upto_seq) -> int:
        """How many statements the store keeps with seq <= upto_seq (voided and erased included)."""

    @abstractmethod
    def chain_marks(self, store_id, upto_n):
        """Iterate the store's entries with n <= upto_n that are not statement or voiding entries
        (documents, acts, erasures, backfills), in n order, as kept (an index keeps this short)."""

    @abstractmethod
    def statement_tuples(self, store_id, upto_seq, from_seq=1):
        """Iterate every statement of the store with from_seq <= seq <= upto_seq (voided and erased
        ones too), in seq order, as kept, each as a tuple (seq, id, voided, is_voiding, body,
        erased, stored_ms): flags and body straight from the database (flags as 0/1 or bools)."""

    def statement_rows(self, store_id, upto_seq, from_seq=1):
        """statement_tuples as StoredStatement."""
        for seq, statement_id, voided, voiding, body, erased, stored_ms in self.statement_tuples(
                store_id, upto_seq, from_seq):
            yield StoredStatement(id=statement_id, seq=seq, stored_ms=stored_ms, voided=bool(voided),
                                  is_voiding=bool(voiding), body=body, erased=erased)

    @abstractmethod
    def document_rows(self, store_id):
        """Iterate (fields, Document) of every document of the store as kept, fields as
        rules.document_fields makes them."""

    @abstractmethod
    def erase_agent(self, store_id, agent_key, facts):
        """Erase a learner in one transaction (chain.py, "Erasure"): every statement whose own
        index keys name agent_key as agent or related agent loses its content, its index keys
        and its outbox entries (nothing of it is forwarded any more), groups that other
        statements inherited from it (QRY-24) are dropped; the learner's documents (agent
        profiles, states) and agent names are deleted, each document as a 'document_deleted'
        entry; the readable keys of the learner's document entries are blanked; an erasure entry
        records `facts` and the counts. The erasure ChainEntry."""

    @abstractmethod
    def backfill_chain(self, store_id, facts):
        """Chain, in one transaction, the statements (in seq order) and documents that have no
        entry yet, after a 'backfill' entry recording `facts` and what it covers; the backfill
        ChainEntry, or None when everything is chained already."""

    @abstractmethod
    def add_checkpoint(self, checkpoint):
        """Keep a chain.Checkpoint; False (and nothing changed) when the store has one at its n."""

    @abstractmethod
    def list_checkpoints(self, store_id, after_n=0) -> list:
        """The store's chain.Checkpoints of entries after after_n, in n order."""

    # activities and agents
    @abstractmethod
    def get_activity_definition(self, store_id, activity_id) -> Optional[dict]: ...

    @abstractmethod
    def get_agent_names(self, store_id, agent_key) -> list: ...

    # attachments
    @abstractmethod
    def get_attachments(self, store_id, hashes) -> dict:
        """{sha2: (content_type, bytes)} for the hashes the store holds."""

    # documents
    @abstractmethod
    def get_document(self, store_id, key: DocumentKey) -> Optional[Document]: ...

    @abstractmethod
    def list_documents(self, store_id, scope: DocumentScope, since_ms=None) -> list:
        """[(doc_id, updated_ms)] updated strictly after since_ms, ordered by doc_id."""

    @abstractmethod
    def write_document(self, store_id, key: DocumentKey,
                       decide: Callable[[Optional[Document]], Optional[Document]]) -> Optional[Document]:
        """Atomic read-check-write (CONC-18).

        Calls decide(current) with the current document (or None) while holding the write;
        decide returns the new Document to keep, or raises (an LRSError) to abort with
        nothing changed. Returns what was written.
        """

    @abstractmethod
    def delete_document(self, store_id, key: DocumentKey,
                        check: Callable[[Optional[Document]], None]) -> bool:
        """Atomic check-and-delete: check(current) may raise to abort. True if one was deleted."""

    @abstractmethod
    def delete_documents(self, store_id, scope: DocumentScope) -> int:
        """Delete every document in the scope; return how many."""

    # server-side secrets
    @abstractmethod
    def get_or_create_secret(self, name, make: Callable[[], bytes]) -> bytes:
        """The secret kept under `name`, made by calling make() and kept when there is none yet.

        Every caller, in every process and on every replica sharing the database, gets the same
        bytes: when several create at once, one value wins and all of them return it. Secrets are
        never listed or returned by any other method.
        """

    # forwarding rules (issue 12)
    @abstractmethod
    def add_forwarding_rule(self, rule: ForwardingRule, act=None):
        """Keep a new rule (`act` chained in its store's chain); ValueError when its store has a
        rule of that name."""

    @abstractmethod
    def get_forwarding_rule(self, rule_id) -> Optional[ForwardingRule]: ...

    @abstractmethod
    def list_forwarding_rules(self, store_id=None) -> list:
        """[ForwardingRule] of a store (of every store when None), ordered by store id and name."""

    @abstractmethod
    def set_forwarding_rule_active(self, rule_id, active, act=None) -> bool:
        """Pause (False) or resume (True) a rule (`act` chained in its store's chain); True when
        the rule exists."""

    @abstractmethod
    def remove_forwarding_rule(self, rule_id, act=None) -> bool:
        """Remove a rule and its outbox entries at once (`act` chained in its store's chain); True
        when it existed."""

    # the outbox: entries are written by insert_statements, in the batch's transaction
    @abstractmethod
    def claim_outbox(self, rule_id, owner, limit, lease_ms, now_ms, after_seq=None) -> list:
        """Lease up to `limit` of the rule's oldest undelivered entries to `owner` until
        now_ms + lease_ms; [OutboxEntry] in seq order.

        Entries are delivered in order, one claimer per rule at a time: nothing is returned while
        another owner's lease on one of the rule's entries holds, or while the oldest entry waits
        for its retry time. An expired lease is taken over. Each claim counts an attempt.

        With `after_seq` (a pipelining forwarder claiming its next batch while the previous ones
        are in flight) only entries after that seq are leased, and only while every undelivered
        entry up to it is leased by `owner` and its lease holds: a gap (an entry given back for a
        retry, an expired lease) returns nothing, so the window never runs past an entry that
        waits."""

    @abstractmethod
    def complete_outbox(self, rule_id, owner, seqs) -> int:
        """Those of seqs still leased by owner are delivered (removed, counted); how many."""

    @abstractmethod
    def release_outbox(self, rule_id, owner, seqs, retry_at_ms, error) -> int:
        """Give back those of seqs still leased by owner, to be claimed again from retry_at_ms;
        `error` becomes the rule's last error. How many."""

    @abstractmethod
    def dead_letter_outbox(self, rule_id, owner, errors) -> int:
        """Move the entries {seq: the target's answer} still leased by owner to dead letters;
        how many. The last of the errors becomes the rule's last error."""

    @abstractmethod
    def list_dead_letters(self, rule_id, limit=100) -> list:
        """The rule's dead letters, [OutboxEntry] in seq order, `error` set."""

    @abstractmethod
    def retry_dead_letters(self, rule_id, seqs=None) -> int:
        """Put dead letters (all when seqs is None) back to be delivered; how many."""

    @abstractmethod
    def drop_dead_letters(self, rule_id, seqs=None) -> int:
        """Forget dead letters (all when seqs is None); how many."""

    @abstractmethod
    def forwarding_counts(self, rule_id, now_ms) -> ForwardingCounts: ...

    # pull cursors (issue 12)
    @abstractmethod
    def get_pull_cursor(self, store_id, source) -> Optional[PullCursor]:
        """The store's cursor for `source`, or None before the first pull."""

    @abstractmethod
    def save_pull_cursor(self, cursor: PullCursor):
        """Keep the cursor, replacing the store's previous one for the same source."""

    # reports (issue 13): per-store report settings and cross-store report grants
    @abstractmethod
    def get_store_setting(self, store_id, name) -> Optional[str]:
        """The text kept under `name` for the store (e.g. its completion rule), or None."""

    @abstractmethod
    def set_store_setting(self, store_id, name, value, act=None):
        """Keep `value` (text) under `name` for the store, replacing the previous; None removes it.
        `act` is chained in the store's chain."""

    @abstractmethod
    def report_grants(self, key) -> list:
        """The ids of the other stores whose reports the credential `key` may read, sorted."""

    @abstractmethod
    def set_report_grants(self, key, store_ids, granted=None, ungranted=None):
        """Replace the stores whose reports the credential `key` may read (an empty list: none);
        the act `granted` is chained in the chain of each store newly granted, `ungranted` in
        that of each store taken back (rules.grant_acts)."""
