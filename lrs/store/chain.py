"""The tamper-evident history of a store (issue 13): an append-only hash chain, defined once.

Every statement a store keeps becomes one chain entry, written by the batch rules
(rules.write_batch -> chain_statements) in the same transaction as the statement itself, so the
chain grows in the store's one order (seq) and a rolled-back batch leaves no entry. An entry is

    n        its position in the store's chain, 1, 2, 3, ... without gaps
    kind     'statement', or 'voiding' for a voiding statement
    seq      the statement's seq
    id       the statement's id
    target   the id a voiding statement voids ('' otherwise)
    content  sha256 of the statement's JSON exactly as kept (`stored` included)
    hash     sha256(previous entry's hash | n | kind | seq | id | target | content)

The first entry's previous hash is GENESIS (32 zero bytes). The chain head (n, seq, hash of the
newest entry) is kept with the store and updated in the same transaction.

Voidings: a voiding changes no statement's body, only the target's `voided` flag. The voiding
statement's own entry names its target (covered by the hash), which is enough: verification
recomputes, from the chain alone, which statements must be voided (VOID-4, VOID-5: any stored
non-voiding statement some voiding entry targets, whichever came first) and compares with the
flags the store keeps. No second entry per voiding is needed, and a flag flipped in the database
is found.

The content hash is kept in the entry (not only folded into `hash`) so that a later erasure can
remove a statement's content and keep its place in the chain.
"""
import hashlib
from dataclasses import dataclass

GENESIS = bytes(32)
STATEMENT, VOIDING = "statement", "voiding"


@dataclass
class ChainEntry:
    n: int
    kind: str
    seq: int
    id: str
    target: str
    content: bytes
    hash: bytes


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


def chain_statements(head, statements):
    """The entries for NewStatements (rules.NewStatement, in seq order) after `head`."""
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
