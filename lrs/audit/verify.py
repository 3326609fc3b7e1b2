"""Recompute a store's audit chain (lrs/store/chain.py) from what the database holds.

The walk reads the chain head first and then only entries and statements up to it, so writes
committed meanwhile are not judged half-seen. It checks, entry by entry in chain order:

* the entries are numbered 1, 2, 3, ... and each names the next statement in seq order (a
  deleted, added or reordered statement or entry breaks this);
* the statement's id, its voiding flag and the sha256 of its body as kept match the entry;
* the entry's hash is sha256 over the recomputed previous hash and its own fields, so an entry
  rewritten together with its statement breaks the following entry (or the head);
* the head names the last entry and its hash;
and, after the walk, that exactly the statements the voiding entries target are flagged voided.

The first difference is reported (Problem); nothing is repaired.
"""
from dataclasses import dataclass
from typing import Optional

from ..store.chain import GENESIS, VOIDING, ChainHead, content_hash, entry_hash
from ..timeutil import format_ms


@dataclass
class Problem:
    """The first place where the database differs from its chain."""

    n: Optional[int]              # chain entry
    seq: Optional[int]            # statement order
    statement_id: Optional[str]
    what: str

    def __str__(self):
        where = []
        if self.n is not None:
            where.append("entry %d" % self.n)
        if self.seq is not None:
            where.append("seq %d" % self.seq)
        if self.statement_id:
            where.append("statement %s" % self.statement_id)
        return "%s: %s" % (", ".join(where) or "chain", self.what)


@dataclass
class Verification:
    store_id: str
    entries: int                  # entries checked
    head: ChainHead               # the head the walk verified up to (as recomputed when intact)
    problem: Optional[Problem] = None

    @property
    def ok(self):
        return self.problem is None


class _Mismatch(Exception):
    def __init__(self, problem):
        super().__init__(str(problem))
        self.problem = problem


def verify_store(storage, store_id, checkpoints=()):
    """Verification of one store's chain against its statements and, when given, against
    checkpoints (chain.Checkpoint, their signatures checked by the caller): the recomputed hash
    at each checkpoint's entry must be the one it signed."""
    head = storage.chain_head(store_id)
    walk = _Walk({c.n: c for c in checkpoints})
    try:
        walk.run(storage, store_id, head)
    except _Mismatch as mismatch:
        return Verification(store_id, walk.checked, ChainHead(walk.n, walk.seq, walk.previous), mismatch.problem)
    return Verification(store_id, walk.checked, ChainHead(walk.n, walk.seq, walk.previous))


class _Walk:
    def __init__(self, checkpoints):
        self.checkpoints = checkpoints
        self.n, self.seq, self.previous, self.checked = 0, 0, GENESIS, 0
        self.targets = set()              # what the voiding entries void
        self.flagged = {}                 # id -> seq of statements the database says are voided

    def run(self, storage, store_id, head):
        rows = storage.statement_rows(store_id, head.seq)
        for entry in storage.chain_entries(store_id, head.n):
            if entry.n != self.n + 1:
                raise _Mismatch(Problem(self.n + 1, None, None, "entry missing (the next entry kept is %d)"
                                        % entry.n))
            row = next(rows, None)
            self._check(entry, row)
            self.n, self.seq, self.checked = entry.n, entry.seq, self.checked + 1
        beyond = [n for n in self.checkpoints if n > self.n]
        if beyond:
            checkpoint = self.checkpoints[min(beyond)]
            raise _Mismatch(Problem(self.n + 1, None, None, "the chain ends at entry %d, before the checkpoint of "
                                    "%s at entry %d" % (self.n, format_ms(checkpoint.made_ms), checkpoint.n)))
        if self.n != head.n:
            raise _Mismatch(Problem(self.n + 1, None, None, "entry missing (the chain head names entry %d)"
                                    % head.n))
        extra = next(rows, None)
        if extra is not None:
            raise _Mismatch(Problem(None, extra.seq, extra.id, "statement not in the chain"))
        if (head.seq, head.hash) != (self.seq, self.previous):
            raise _Mismatch(Problem(head.n, head.seq, None, "the chain head differs from the recomputed chain"))
        self._check_voided(storage, store_id)

    def _check(self, entry, row):
        where = dict(n=entry.n, seq=entry.seq, statement_id=entry.id)
        if row is None or row.seq > entry.seq:
            raise _Mismatch(Problem(what="statement missing (its row was deleted)", **where))
        if row.seq < entry.seq:
            raise _Mismatch(Problem(None, row.seq, row.id, "statement not in the chain"))
        if row.id != entry.id:
            raise _Mismatch(Problem(what="statement id is %s in the database" % row.id, **where))
        if row.is_voiding != (entry.kind == VOIDING):
            raise _Mismatch(Problem(what="voiding flag changed", **where))
        if content_hash(row.body) != entry.content:
            raise _Mismatch(Problem(what="statement content changed (its sha256 differs from the chain's)",
                                    **where))
        computed = entry_hash(self.previous, entry.n, entry.kind, entry.seq, entry.id, entry.target, entry.content)
        if computed != entry.hash:
            raise _Mismatch(Problem(what="entry hash differs: this entry or an earlier one was rewritten", **where))
        self.previous = computed
        checkpoint = self.checkpoints.get(entry.n)
        if checkpoint is not None and (checkpoint.hash, checkpoint.seq) != (computed, entry.seq):
            raise _Mismatch(Problem(what="the recomputed chain differs from the checkpoint signed at %s: the chain "
                                    "was rewritten up to here" % format_ms(checkpoint.made_ms), **where))
        if entry.kind == VOIDING:
            self.targets.add(entry.target)
        if row.voided:
            self.flagged[row.id] = row.seq

    def _check_voided(self, storage, store_id):
        """VOID-4, VOID-5: voided exactly when a non-voiding statement is targeted by a voiding one."""
        stored = storage.get_statements(store_id, sorted(self.targets)) if self.targets else {}
        must = {i for i, s in stored.items() if not s.is_voiding and s.seq <= self.seq}
        for statement_id, seq in sorted(self.flagged.items(), key=lambda item: item[1]):
            if statement_id not in must:
                raise _Mismatch(Problem(None, seq, statement_id, "flagged voided, but no voiding entry targets it"))
        for statement_id in sorted(must - set(self.flagged), key=lambda i: stored[i].seq):
            raise _Mismatch(Problem(None, stored[statement_id].seq, statement_id,
                                    "a voiding entry targets it, but it is not flagged voided"))
