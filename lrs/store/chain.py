"""The tamper-evident history of a store (issue 13): an append-only hash chain, defined once.

Everything a store keeps or changes becomes a chain entry, written in the same transaction as the
change itself, so the chain grows in one order and a rolled-back write leaves no entry:

* every statement (rules.write_batch -> chain_statements), in the store's order (seq);
* every document write (PUT/POST) and delete, State, Activity Profile and Agent Profile alike
  (the backends' write_document / delete_document / delete_documents -> document_entry);
* every administrative act on the store: credential created / revoked / rotated / changed, store
  created / renamed, forwarding rule added / paused / resumed / removed, completion rule set /
  reset, report grant given / taken back (an Act, handed to the backend method that makes the
  change, which chains it in the change's own transaction: rules.chain_act);
* every erasure of a learner (erasure_entry) and every backfill (backfill_entry).

An entry is

    n        its position in the store's chain, 1, 2, 3, ... without gaps
    kind     'statement', 'voiding' (a voiding statement), 'document', 'document_deleted',
             'admin', 'erasure' or 'backfill'
    seq      a statement's seq; for any other entry the newest statement seq chained before it
    id       a statement's id; a document's key digest (sha256 hex of its key, see below); an
             administrative act's name ('credential.created', ...); 'learner' for an erasure;
             'start' for a backfill
    target   the id a voiding statement voids; a document's {"etag", "type", "updated"} as kept
             (canonical JSON; '' for a delete); an act's, erasure's or backfill's facts
             {"at", "by", ...} (canonical JSON, never a secret); '' otherwise
    content  sha256 of a statement's JSON exactly as kept (`stored` included); of a document's
             content as kept, or of nothing (b'') for a delete; of the erased statements' ids
             (erased_ids_hash) for an erasure; of `target` for an act or a backfill
    hash     sha256(previous entry's hash | n | kind | seq | id | target | content)
    detail   not hashed: a document entry's key in readable form, the canonical JSON
             [kind, activity_id, agent_key, registration, doc_id] whose sha256 is `id`; an
             erasure blanks it on the learner's document entries (their digests stay)

The first entry's previous hash is GENESIS (32 zero bytes). The chain head (n, seq, hash of the
newest entry; seq the newest statement seq chained) is kept with the store and updated in the
same transaction. Entries written before documents, acts and erasures existed are statement and
voiding entries in exactly this format: old chains verify unchanged.

Voidings: a voiding changes no statement's body, only the target's `voided` flag. The voiding
statement's own entry names its target (covered by the hash), which is enough: verification
recomputes, from the chain alone, which statements must be voided (VOID-4, VOID-5: any stored
non-voiding statement some voiding entry targets, whichever came first) and compares with the
flags the store keeps. No second entry per voiding is needed, and a flag flipped in the database
is found.

Erasure (a data-protection request): a learner's statements keep their rows and their entries,
but the rows lose their content (body b'', flagged voided so that no query finds them, and
`erased` = the erasure entry's n); the erasure entry's content is the hash of exactly the erased
ids, so verification can tell an erased statement from one whose content was removed behind the
LRS's back. The learner's documents are deleted (each a 'document_deleted' entry, before the
erasure entry) and the readable keys of their document entries blanked.

Backfill: statements and documents kept before their store's chain recorded them (older
databases) are chained later by `python -m lrs audit backfill`: a 'backfill' entry saying when,
by whom and what, then an entry per statement (in seq order) and per document. An auditor sees
that those entries were chained at the backfill, not when they were written.
"""
import hashlib
import json
from dataclasses import dataclass

GENESIS = bytes(32)
STATEMENT, VOIDING = "statement", "voiding"
DOCUMENT, DOCUMENT_DELETED = "document", "document_deleted"
ADMIN, ERASURE, BACKFILL = "admin", "erasure", "backfill"
STATEMENT_KINDS = (STATEMENT, VOIDING)
DOCUMENT_KINDS = (DOCUMENT, DOCUMENT_DELETED)
EMPTY = hashlib.sha256(b"").digest()


@dataclass
class ChainEntry:
    n: int
    kind: str
    seq: int
    id: str
    target: str
    content: bytes
    hash: bytes
    detail: str = ""              # not hashed: a document entry's readable key ('' once erased)


@dataclass(frozen=True)
class Act:
    """An administrative act, chained (Chainer.act) in the transaction of the change it records:
    its name ('credential.created', ...; lrs/audit/acts.py) and its facts ({"at", "by", ...},
    never a secret)."""

    name: str
    facts: dict
    kind: str = ADMIN


@dataclass
class Checkpoint:
    """A signed statement of a store's chain head at some time (lrs/audit/checkpoints.py)."""

    store_id: str
    n: int
    seq: int
    hash: bytes
    made_ms: int
    signature: bytes


@dataclass
class ChainHead:
    n: int = 0
    seq: int = 0
    hash: bytes = GENESIS


def content_hash(body):
    return hashlib.sha256(body).digest()


def entry_hash(previous, n, kind, seq, statement_id, target, content):
    digest = hashlib.sha256(previous)
    digest.update(("|%d|%s|%d|%s|%s|" % (n, kind, seq, statement_id, target)).encode("utf-8"))
    digest.update(content)
    return digest.digest()


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def document_key(fields):
    """A document's key as kept (rules.document_fields) in its canonical, readable form."""
    return canonical([fields["kind"], fields["activity_id"], fields["agent_key"], fields["registration"],
                      fields["doc_id"]])


def key_digest(key_text):
    return hashlib.sha256(key_text.encode("utf-8")).hexdigest()


def document_facts(document):
    """A kept document's facts besides its content (an entry's target)."""
    return canonical({"etag": document.etag, "type": document.content_type, "updated": document.updated_ms})


def erased_ids_hash(ids):
    """What an erasure entry's content is: sha256 over the erased statement ids, sorted."""
    return hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).digest()


class Chainer:
    """Appends entries after a head: `add` computes each entry, `entries` and `head` are what a
    backend keeps (BatchTransaction.append_chain) in the writing transaction."""

    def __init__(self, head):
        self.head = head
        self.entries = []

    def add(self, kind, seq, id_, target, content, detail=""):
        n = self.head.n + 1
        hash_ = entry_hash(self.head.hash, n, kind, seq, id_, target, content)
        entry = ChainEntry(n=n, kind=kind, seq=seq, id=id_, target=target, content=content, hash=hash_,
                           detail=detail)
        self.entries.append(entry)
        self.head = ChainHead(n=n, seq=max(self.head.seq, seq), hash=hash_)
        return entry

    def document(self, fields, document, readable=True):
        """A document written (`document` as kept) or deleted (None); `readable` False leaves the
        entry's detail blank (an erasure's deletes)."""
        key = document_key(fields)
        detail = key if readable else ""
        if document is None:
            return self.add(DOCUMENT_DELETED, self.head.seq, key_digest(key), "", EMPTY, detail)
        return self.add(DOCUMENT, self.head.seq, key_digest(key), document_facts(document),
                        content_hash(bytes(document.content)), detail)

    def act(self, kind, name, facts):
        target = canonical(facts)
        return self.add(kind, self.head.seq, name, target, content_hash(target.encode("utf-8")))

    def erasure(self, facts, erased_ids):
        return self.add(ERASURE, self.head.seq, "learner", canonical(facts), erased_ids_hash(erased_ids))


def chain_statements(head, statements):
    """The entries for NewStatements (rules.NewStatement, in seq order) after `head` (a tight loop:
    this is the ingest path)."""
    entries = []
    n, previous = head.n, head.hash
    for statement in statements:
        n += 1
        target = statement.record.void_target.lower() if statement.is_voiding else ""
        kind = VOIDING if statement.is_voiding else STATEMENT
        content = content_hash(statement.body)
        previous = entry_hash(previous, n, kind, statement.seq, statement.id, target, content)
        entries.append(ChainEntry(n=n, kind=kind, seq=statement.seq, id=statement.id, target=target,
                                  content=content, hash=previous))
    return entries

