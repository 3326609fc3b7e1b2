"""The xAPI rules every backend keeps, written once: the backends only translate them.

A backend opens one transaction per batch of statements and hands `write_batch` a
`BatchTransaction` over it: a handful of reads and writes in the backend's own terms (rows and
indexes for SQLite, documents for MongoDB). Everything that is a rule of the standard or of this
LRS's ordering lives here:

* duplicate ids, in the batch or already stored: nothing is written (the service compares);
* order: per store, `seq` counts up by one per statement in commit order, and every batch gets one
  `stored` time, never before the previous batch's and strictly after the previous commit's
  (TIME-11..TIME-13), so a client reading with `since` = the newest `stored` it saw misses no later
  commit (batches committed together may share one: a backend's order() then reports the last
  `stored` less one, so `stored` never runs ahead of the clock however many batches a second);
* `stored` (and `timestamp` when the statement had none, TIME-9) spliced into the kept JSON;
* voiding: a statement is voided exactly when it is not itself a voiding statement and some stored
  voiding statement targets it, whichever of the two arrived first (VOID-4, VOID-5);
* StatementRef targets: a referring statement is found by its target's index keys, recursively
  and in both arrival orders, each statement's own keys kept as a separate group (QRY-24);
* canonical activity definitions and agent names merged with what the store has (ACT-7, AGENTS-6);
* attachment data kept once per hash and store;
* the seq range a query reads (since, until, stable paging through `more`; QRY-21, QRY-45);
* forwarding (issue 12): each new statement gets an outbox entry for every forwarding rule of
  its store that it matches, in the batch's own transaction;
* document keys: a missing part of a document's address is kept as '' (one value in an index);
  a listing names each document id once, with its newest time across registrations (STATE-14);
* the audit chain: every new statement becomes an entry of the store's hash chain, in the same
  transaction and in seq order; so does every document write and delete (chain_documents); an
  erasure of a learner and a backfill are one transaction each (erase_agent, backfill_chain;
  lrs/store/chain.py).
"""
import json

import orjson
from abc import ABC, abstractmethod
from dataclasses import dataclass

from ..errors import StorageUnavailable
from ..timeutil import format_ms
from .base import OutboxEntry, StoredStatement
from .chain import BACKFILL, STATEMENT, VOIDING, ChainHead, Chainer, chain_statements, content_hash


class DuplicateStatements(Exception):
    """The batch holds ids that already exist (or one id twice); nothing was written."""

    def __init__(self, ids):
        super().__init__("statement ids already stored: %s" % ", ".join(sorted(ids)))
        self.ids = set(ids)


def _dumps(value):
    """Compact JSON text. orjson writes a statement several times faster than the json module (a
    tenth of a batch's CPU went to json.dumps, issue 16); the json module writes what orjson
    refuses (integers beyond 64 bits, which JSON allows)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- statement bodies -------------------------------------------------------------------

def prepare_body(record):
    """The statement's JSON without `stored` (and without a `timestamp` the store will set).

    Serialising is the costly part of a body; it is done before the write lock is taken."""
    statement = dict(record.statement)
    statement.pop("stored", None)
    if record.timestamp_from_stored:
        statement.pop("timestamp", None)
    return _dumps(statement)


def finish_body(record, head, stored_text):
    """The body as kept: `head` (from prepare_body) with `stored` and maybe `timestamp` added."""
    record.statement["stored"] = stored_text
    tail = ',"stored":"%s"' % stored_text
    if record.timestamp_from_stored:
        record.statement["timestamp"] = stored_text                           # TIME-9
        tail += ',"timestamp":"%s"' % stored_text
    return (head[:-1] + tail + "}" if head != "{}" else "{" + tail[1:] + "}").encode("utf-8")


# --- one batch, in one transaction --------------------------------------------------------

@dataclass
class NewStatement:
    """A statement of the batch being written, with the order it was given."""

    record: object            # StatementRecord
    id: str                   # lower-case
    seq: int
    stored_ms: int
    body: bytes
    prepared: object = None   # whatever the backend computed before the transaction (its keys)

    @property
    def is_voiding(self):
        return self.record.void_target is not None


class BatchTransaction(ABC):
    """What a backend offers `write_batch` inside one open transaction on one store.

    Groups (QRY-24) are opaque to the rules except for their first item, the origin that tells
    two groups apart: a statement's own group has its own origin, an inherited group keeps its
    origin's."""

    @abstractmethod
    def existing_ids(self, ids) -> set: ...

    @abstractmethod
    def order(self) -> tuple:
        """(last seq, last stored ms) of the store; from here on no other writer of the store
        can commit before this transaction ends (writers of one store serialise on it). A backend
        that commits several batches in one transaction reports, after the first, the last stored
        ms less one, so that they may share a `stored` (next_stored_ms)."""

    @abstractmethod
    def set_order(self, last_seq, last_stored_ms): ...

    @abstractmethod
    def insert(self, statements):
        """Keep the NewStatements with their own keys as their one group, remembering their
        StatementRef and voiding targets."""

    @abstractmethod
    def voiding_targets_among(self, ids) -> set:
        """Those of ids that a stored voiding statement targets."""

    @abstractmethod
    def mark_voided(self, ids):
        """Mark voided those of ids that are stored and are not voiding statements."""

    @abstractmethod
    def referred_among(self, ids) -> set:
        """Those of ids that a stored statement refers to (StatementRef)."""

    @abstractmethod
    def referrers_of(self, statement_id) -> list:
        """Ids of the stored statements that refer to statement_id."""

    @abstractmethod
    def groups_of(self, statement_id):
        """The groups of a stored statement, or None when it is not stored."""

    @abstractmethod
    def add_groups(self, statement_id, groups):
        """Append groups (none of whose origins it has) to a stored statement's groups."""

    @abstractmethod
    def activity_definitions(self, activity_ids) -> dict:
        """{activity id: its stored definition} of those of activity_ids the store has (one read
        for the batch, under the write lock every writer queues on)."""

    @abstractmethod
    def put_activity_definition(self, activity_id, definition): ...

    @abstractmethod
    def agent_names_of(self, agent_keys) -> dict:
        """{agent key: the names stored for it} of those of agent_keys the store has (one read)."""

    @abstractmethod
    def put_agent_names(self, agent_key, names): ...

    @abstractmethod
    def add_attachment(self, sha2, content_type, data):
        """Keep the data unless the store holds data for this hash already."""

    @abstractmethod
    def forwarding_rules(self) -> list:
        """[(rule id, compiled filters [(kind, value)])] of every forwarding rule of the store,
        paused ones included."""

    @abstractmethod
    def key_groups_of(self, statement_id) -> list:
        """The groups of a statement written in this transaction or before, each as a set of
        (kind, value) index keys ([] when it is not stored)."""

    @abstractmethod
    def add_outbox(self, entries):
        """Keep the OutboxEntries (pending, never leased), all for statements new in this batch."""

    @abstractmethod
    def voidings_of(self, ids) -> list:
        """[(target id, VoidingRef)] of the stored voiding statements that target any of ids."""

    @abstractmethod
    def positions_of(self, ids) -> dict:
        """{id: (seq, stored ms)} of those of ids that are stored."""

    @abstractmethod
    def add_outbox_if_absent(self, entries):
        """Keep those of the OutboxEntries (for stored statements) whose rule has no entry for
        their seq yet (pending, leased or dead)."""

    @abstractmethod
    def chain_head(self):
        """The store's audit chain head (chain.ChainHead), read inside this transaction after
        order(), so writers of the store serialise on it as on the order."""

    @abstractmethod
    def append_chain(self, entries, head):
        """Keep the chain.ChainEntry list (consecutive n) and make `head` (its last entry's n and
        hash) the store's chain head."""


class ChainTransaction(ABC):
    """What a backend offers the chain rules for documents, erasures and backfills inside one
    open transaction on one store (its BatchTransaction implements both)."""

    @abstractmethod
    def chain_head(self): ...

    @abstractmethod
    def append_chain(self, entries, head): ...

    @abstractmethod
    def referrers_of(self, statement_id) -> list: ...

    @abstractmethod
    def groups_of(self, statement_id): ...

    @abstractmethod
    def statements_naming(self, agent_key) -> dict:
        """{id: (seq, origin of its own group)} of the statements whose own index keys name
        agent_key as agent or related agent (not through a StatementRef)."""

    @abstractmethod
    def erase_statements(self, ids, erasure_n):
        """Remove the statements' content and index keys: body b'', voided, erased = erasure_n."""

    @abstractmethod
    def drop_groups(self, statement_id, origins):
        """Remove from a statement the inherited groups whose origin is among origins."""

    @abstractmethod
    def drop_outbox(self, seqs):
        """Remove the outbox entries (pending and dead letters) of the store's statements at seqs."""

    @abstractmethod
    def agent_documents(self, agent_key) -> list:
        """[document fields] of the documents (states, agent profiles) of agent_key."""

    @abstractmethod
    def delete_agent_data(self, agent_key):
        """Delete the documents and the agent names (AGENTS-6) of agent_key."""

    @abstractmethod
    def blank_document_details(self, agent_key):
        """Blank the readable key (`detail`) of every document entry whose key names agent_key."""

    @abstractmethod
    def first_chained_seq(self):
        """The lowest seq of a statement or voiding entry, None when there is none."""

    @abstractmethod
    def count_statements(self, upto_seq) -> int: ...

    @abstractmethod
    def statement_bodies(self, upto_seq):
        """Iterate (seq, id, the id it voids or None, body) of the statements with seq <= upto_seq in
        seq order."""

    @abstractmethod
    def unchained_documents(self) -> list:
        """[(fields, Document)] of the documents whose key has no document entry."""


def reject_duplicates(tx, ids):
    repeated = {i for i in ids if ids.count(i) > 1} if len(set(ids)) != len(ids) else set()
    existing = tx.existing_ids(ids) if ids else set()
    if existing or repeated:
        raise DuplicateStatements(existing | repeated)


def next_stored_ms(last_stored_ms, now_ms):
    """TIME-11..TIME-13: never before the previous batch, and strictly after the previous commit
    (`last_stored_ms` as order() reports it)."""
    return max(now_ms, last_stored_ms + 1)


def write_batch(tx, batch, prepared, now_ms):
    """Write one InsertBatch through tx; [StoredStatement] in the batch's order.

    `prepared` holds, per statement, (prepare_body(record), the backend's own pre-computation)."""
    records = batch.statements
    ids = [record.id.lower() for record in records]
    reject_duplicates(tx, ids)
    statements = []
    if records:
        last_seq, last_stored_ms = tx.order()
        stored_ms = next_stored_ms(last_stored_ms, now_ms)
        stored_text = format_ms(stored_ms)
        for number, (record, statement_id, (head, own)) in enumerate(zip(records, ids, prepared), start=1):
            statements.append(NewStatement(record=record, id=statement_id, seq=last_seq + number,
                                           stored_ms=stored_ms, body=finish_body(record, head, stored_text),
                                           prepared=own))
        tx.insert(statements)
        append_to_chain(tx, statements)
    voided = apply_voiding(tx, statements)
    referrers = apply_references(tx, statements)
    merge_definitions(tx, batch)
    merge_agent_names(tx, batch.agent_names)
    add_outbox_entries(tx, statements, voided)
    add_earlier_referrers(tx, referrers)
    for sha2, (content_type, data) in batch.attachments.items():
        tx.add_attachment(sha2, content_type, bytes(data))
    if statements:
        tx.set_order(statements[-1].seq, statements[-1].stored_ms)
    return [StoredStatement(id=s.id, seq=s.seq, stored_ms=s.stored_ms, voided=s.id in voided,
                            is_voiding=s.is_voiding, body=s.body) for s in statements]


def append_to_chain(tx, statements):
    """Issue 13: each new statement becomes an entry of the store's audit chain."""
    entries = chain_statements(tx.chain_head(), statements)
    if entries:
        last = entries[-1]
        tx.append_chain(entries, ChainHead(n=last.n, seq=last.seq, hash=last.hash))


def chain_documents(tx, changes):
    """Issue 13: each document write or delete, [(fields, Document or None for a delete)], becomes
    an entry of the store's chain in the writing transaction."""
    if changes:
        chainer = Chainer(tx.chain_head())
        for fields, document in changes:
            chainer.document(fields, document)
        tx.append_chain(chainer.entries, chainer.head)


def chain_act(tx, act):
    """Issue 13: an administrative act (chain.Act) becomes an entry of tx's store's chain in the
    transaction of the change it records, so that the change and its entry commit or roll back
    together; the ChainEntry (nothing and None when act is None)."""
    if act is None:
        return None
    chainer = Chainer(tx.chain_head())
    entry = chainer.act(act.kind, act.name, act.facts)
    tx.append_chain(chainer.entries, chainer.head)
    return entry


def grant_acts(before, after, granted, ungranted):
    """[(store id, act)] to chain when a credential's report grants go from the store ids `before`
    to `after`: `granted` in each store newly granted, then `ungranted` in each store taken back."""
    before, after = set(before), set(after)
    return [(store_id, granted) for store_id in sorted(after - before)] + \
        [(store_id, ungranted) for store_id in sorted(before - after)]


class UnchainedStatements(Exception):
    """The store holds statements its chain does not record yet (an older database): an erasure
    must wait for `audit backfill`, or the backfill would chain the emptied statements."""


def erase_agent(tx, agent_key, facts):
    """Erase a learner (StorageBackend.erase_agent) through a ChainTransaction; the erasure entry."""
    first = tx.first_chained_seq()
    if tx.count_statements(first - 1 if first is not None else SEQ_ANY):
        raise UnchainedStatements("the store holds statements written before its audit chain: run "
                                  "`python -m lrs audit backfill` first")
    erased = tx.statements_naming(agent_key)
    documents = tx.agent_documents(agent_key)
    chainer = Chainer(tx.chain_head())
    for fields in documents:
        chainer.document(fields, None, readable=False)
    entry = chainer.erasure(dict(facts, statements=len(erased), documents=len(documents)), erased)
    tx.erase_statements(sorted(erased), entry.n)
    _drop_inherited_groups(tx, erased)
    tx.drop_outbox(sorted(seq for seq, _ in erased.values()))
    tx.delete_agent_data(agent_key)
    tx.blank_document_details(agent_key)
    tx.append_chain(chainer.entries, chainer.head)
    return entry


def _drop_inherited_groups(tx, erased):
    """QRY-24 copied the erased statements' own groups to the statements referring to them, and
    up their chains: remove those copies, so no query finds a referrer by the learner any more."""
    origins = {origin for _, origin in erased.values()}
    seen, queue = set(erased), list(erased)
    while queue:
        for referrer in tx.referrers_of(queue.pop()):
            if referrer in seen:
                continue
            seen.add(referrer)
            if any(group[0] in origins for group in tx.groups_of(referrer) or []):
                tx.drop_groups(referrer, origins)
                queue.append(referrer)


_BACKFILL_CHUNK = 10000
SEQ_ANY = (1 << 62) - 1                 # above every seq


def backfill_chain(tx, facts, last_seq):
    """Chain what a store kept before its chain recorded it (StorageBackend.backfill_chain): the
    statements before the first chained one, then the documents no entry names. The backfill
    entry, or None when there is nothing to chain."""
    first = tx.first_chained_seq()
    upto = last_seq if first is None else first - 1
    count = tx.count_statements(upto) if upto > 0 else 0
    documents = tx.unchained_documents()
    if not count and not documents:
        return None
    chainer = Chainer(tx.chain_head())
    marker = chainer.act(BACKFILL, "start", dict(facts, statements=count, first_seq=1 if count else 0,
                                                 last_seq=upto if count else 0, documents=len(documents)))
    if count:
        for seq, statement_id, void_target, body in tx.statement_bodies(upto):
            chainer.add(VOIDING if void_target else STATEMENT, seq, statement_id, void_target or "", content_hash(body))
            if len(chainer.entries) >= _BACKFILL_CHUNK:
                tx.append_chain(chainer.entries, chainer.head)
                chainer.entries = []
    for fields, document in documents:
        chainer.document(fields, document)
    tx.append_chain(chainer.entries, chainer.head)
    return marker


def apply_voiding(tx, statements):
    """VOID-4, VOID-5; the ids of the batch that are voided now."""
    targets = {s.record.void_target.lower() for s in statements if s.is_voiding}
    plain = [s.id for s in statements if not s.is_voiding]
    if plain:
        targets |= tx.voiding_targets_among(plain)        # voiding statements that came first
    if targets:
        tx.mark_voided(sorted(targets))
    return {s.id for s in statements if not s.is_voiding and s.id in targets}


def _new_groups(current, groups):
    have = {group[0] for group in current}
    return [group for group in groups if group[0] not in have]


def _give_groups(tx, statement_id, groups):
    """Give a stored statement the groups it lacks; True when it gained any."""
    new = _new_groups(tx.groups_of(statement_id) or [], groups)
    if new:
        tx.add_groups(statement_id, new)
    return bool(new)


def apply_references(tx, statements):
    """QRY-24: pull each new referrer's target groups, then push every new statement's groups
    to the statements that refer to it, following changes up the chain. The ids of statements
    stored before this batch that gained groups (a forwarding rule may match them now)."""
    new, gained = {s.id for s in statements}, set()
    for statement in statements:
        target = statement.record.ref_target
        if target:
            groups = tx.groups_of(target.lower())
            if groups:
                _give_groups(tx, statement.id, groups)
    ids = [s.id for s in statements]
    referred = tx.referred_among(ids) if ids else set()
    queue = [i for i in ids if i in referred]
    while queue:
        statement_id = queue.pop()
        groups = tx.groups_of(statement_id)
        for referrer in tx.referrers_of(statement_id):
            if _give_groups(tx, referrer, groups):
                queue.append(referrer)
                if referrer not in new:
                    gained.add(referrer)
    return gained


def matches(filters, groups):
    """The statement query's semantics: every filter matches within one group (QRY-13, QRY-24);
    no filter matches every statement."""
    return not filters or any(all(tuple(pair) in group for pair in filters) for group in groups)


def _forwarding_groups(tx, statement):
    """The key groups a rule's filter is matched against: the statement's own keys and those it
    inherits from a StatementRef target (QRY-24); a voiding statement also carries its target's
    groups, so the voiding of a forwarded statement goes where the statement went."""
    if statement.record.ref_target:
        return tx.key_groups_of(statement.id)            # its own group and the inherited ones
    groups = [set(statement.record.index_keys)]
    if statement.is_voiding:
        groups += tx.key_groups_of(statement.record.void_target.lower())
    return groups


def add_outbox_entries(tx, statements, voided=()):
    """Issue 12: an outbox entry per (new statement, matching rule), in the batch's transaction.

    Only new statements are seen here, so a statement sent again unchanged adds nothing (CMP-2).
    `voided`: the ids of the batch that are voided now (apply_voiding)."""
    rules = tx.forwarding_rules() if statements else []
    if not rules:
        return
    entries, voided_rules = [], {}
    for statement in statements:
        groups = None
        for rule_id, filters in rules:
            if filters and groups is None:
                groups = _forwarding_groups(tx, statement)
            if matches(filters, groups or []):
                entries.append(OutboxEntry(rule_id=rule_id, seq=statement.seq, statement_id=statement.id,
                                           created_ms=statement.stored_ms))
                if statement.id in voided:
                    voided_rules.setdefault(statement.id, []).append(rule_id)
    if entries:
        tx.add_outbox(entries)
    if voided_rules:
        add_earlier_voidings(tx, statements, voided_rules)


@dataclass
class VoidingRef:
    """A stored voiding statement, as voidings_of gives it."""

    seq: int
    id: str
    stored_ms: int


def add_earlier_voidings(tx, statements, voided_rules):
    """A voiding statement stored before its target (VOID-4) matched no rule through the target,
    which was unknown then: when the target arrives and a rule takes it, that rule takes the
    voiding too (unless it holds an entry for it already), so that wherever a statement goes
    its voiding goes as well. The voiding keeps its own (earlier) seq, so it is delivered first;
    the target applies it when the statement arrives (VOID-3, VOID-4).

    `voided_rules`: {id of a new statement voided now: [ids of the rules it matched]}."""
    new = {s.id for s in statements}
    entries = [OutboxEntry(rule_id=rule_id, seq=voiding.seq, statement_id=voiding.id, created_ms=voiding.stored_ms)
               for target, voiding in tx.voidings_of(sorted(voided_rules)) if voiding.id not in new
               for rule_id in voided_rules[target]]
    if entries:
        tx.add_outbox_if_absent(entries)


def add_earlier_referrers(tx, referrers):
    """A statement stored before the statement it refers to (QRY-24) matched no rule through it,
    which was unknown then: once the target arrives, every rule whose filter the referrer
    matches now takes it (unless it holds an entry for it already), as the same query on the
    store would now return it. It keeps its own (earlier) seq, so it is delivered first; a
    target LRS accepts a StatementRef to a statement it does not hold yet.

    `referrers`: ids of statements stored before this batch that gained groups (apply_references).
    Rules without a filter took every statement when it was stored."""
    rules = [(rule_id, filters) for rule_id, filters in tx.forwarding_rules() if filters] if referrers else []
    if not rules:
        return
    positions = tx.positions_of(sorted(referrers))
    entries = []
    for referrer in sorted(positions):
        seq, stored_ms = positions[referrer]
        groups = tx.key_groups_of(referrer)
        entries += [OutboxEntry(rule_id=rule_id, seq=seq, statement_id=referrer, created_ms=stored_ms)
                    for rule_id, filters in rules if matches(filters, groups)]
    if entries:
        tx.add_outbox_if_absent(entries)


def merge_definitions(tx, batch):
    """ACT-7: the canonical definition merges what each write brings."""
    merge = batch.merge_definition or (lambda current, incoming: incoming)
    stored = tx.activity_definitions(list(batch.activity_definitions)) if batch.activity_definitions else {}
    for activity_id, incoming in batch.activity_definitions.items():
        current = stored.get(activity_id)
        merged = merge(current, incoming)
        if current is None or merged != current:
            tx.put_activity_definition(activity_id, merged)


def merge_agent_names(tx, agent_names):
    """AGENTS-6: every name an agent was given, first seen first."""
    stored = tx.agent_names_of(list(agent_names)) if agent_names else {}
    for agent_key, names in agent_names.items():
        current = stored.get(agent_key, [])
        merged = list(dict.fromkeys(list(current) + list(names)))
        if merged != current:
            tx.put_agent_names(agent_key, merged)


def check_commit_deadline(stored_ms, now_ms, max_commit_delay_ms):
    """Give up a batch about to commit later than max_commit_delay_ms after its `stored` time.

    This is what lets X-Experience-API-Consistent-Through say "now - LRS_CONSISTENT_THROUGH_LAG_MS"
    truthfully while a store is idle: a batch commits within the delay of its stored time, or not
    at all (the client gets 503 and sends it again, under a new stored time)."""
    if max_commit_delay_ms and now_ms - stored_ms > max_commit_delay_ms:
        raise StorageUnavailable("the write took longer than %d ms to commit and was rolled back; send it "
                                 "again" % max_commit_delay_ms)


# --- reading ------------------------------------------------------------------------------

def seq_bounds(query, seq_at_or_before):
    """The seqs (low, high] a StatementQuery reads, or None when none can match.

    `seq_at_or_before(ms)` is the highest seq stored at or before ms (0 if none); `stored` never
    decreases with seq. high None means no upper bound."""
    low, high = 0, None
    if query.since_ms is not None:
        low = seq_at_or_before(query.since_ms)                                   # QRY-21
    if query.until_ms is not None:
        high = seq_at_or_before(query.until_ms)
    if query.max_seq is not None:
        high = query.max_seq if high is None else min(high, query.max_seq)       # QRY-45
    if query.after_seq is not None:
        if query.ascending:
            low = max(low, query.after_seq)
        else:
            high = query.after_seq - 1 if high is None else min(high, query.after_seq - 1)
    if high is not None and low >= high:
        return None
    return low, high


# --- documents ----------------------------------------------------------------------------

def document_fields(key):
    """A DocumentKey as stored: every part present, a missing one as ''."""
    return {"kind": key.kind, "activity_id": key.activity_id or "", "agent_key": key.agent_key or "",
            "registration": key.registration or "", "doc_id": key.doc_id}


def scope_fields(scope):
    """A DocumentScope as equality conditions on stored fields; registration only when it
    narrows the scope (a given one, or '' for "stored without registration"; STATE-14)."""
    fields = {"kind": scope.kind, "activity_id": scope.activity_id or "", "agent_key": scope.agent_key or ""}
    if scope.registration is not None:
        fields["registration"] = scope.registration
    elif not scope.all_registrations:
        fields["registration"] = ""
    return fields


def newest_per_id(rows):
    """[(doc_id, updated_ms)] from stored (doc_id, updated_ms) rows: each id once, with its newest
    time (one id can be stored under several registrations, STATE-14), ordered by id."""
    newest = {}
    for doc_id, updated_ms in rows:
        newest[doc_id] = max(updated_ms, newest.get(doc_id, updated_ms))
    return sorted(newest.items())
