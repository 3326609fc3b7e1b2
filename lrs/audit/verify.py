"""Recompute a store's audit chain (lrs/store/chain.py) from what the database holds.

The walk reads the chain head first and then only entries and statements up to it, so writes
committed meanwhile are not judged half-seen. The entries are read and checked range by range,
in worker processes on a large chain (ranges.py), and the ranges joined in chain order. It
checks, entry by entry in chain order:

* the entries are numbered 1, 2, 3, ... and the statement entries name seqs in increasing order
  (a backfill's entries start again from the seqs it chained, chain.py "Backfill"); each is
  read together with the statement kept at its seq (StorageBackend.chain_walk), and the store
  keeps exactly as many statements up to the head as the chain names (a deleted, added or
  reordered statement or entry breaks this);
* the statement's id, its voiding flag and the sha256 of its body as kept match the entry; a
  statement whose content an erasure removed is accepted only when the erasure entry it names
  exists, and each erasure entry's content is the hash of exactly the ids erased under it;
* the entry's hash is sha256 over the recomputed previous hash and its own fields, so an entry
  rewritten together with its statement breaks the following entry (or the head);
* a document entry's readable key, unless an erasure blanked it, is the key its digest names; an
  act's or backfill's content is the hash of its facts;
* the head names the last entry and its hash;
and, after the walk, that exactly the statements the voiding entries target are flagged voided
(erased statements aside), and that every document the store holds now is the one the chain's
latest entry for its key describes (content, type, etag, time), and no document the chain says
exists is missing. A document written or deleted while the walk ran is judged against the entries
written since the head was read.

The first difference is reported (Problem); nothing is repaired. An intact walk also reports what
the chain records besides statements (Verification.acts, .erasures, .backfills).
"""
import json
from contextlib import closing
from dataclasses import dataclass, field
from typing import Optional

from ..store.chain import (ADMIN, BACKFILL, DOCUMENT, DOCUMENT_DELETED, DOCUMENT_KINDS, ERASURE, GENESIS,
                           STATEMENT_KINDS, VOIDING, ChainEntry, ChainHead, content_hash, document_facts, document_key,
                           entry_hash, erased_ids_hash, key_digest)
from ..timeutil import format_ms
from . import ranges

_NO_LIMIT = 1 << 62


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
class Erasure:
    n: int
    facts: dict
    entries: list = field(default_factory=list)      # the erased statements' entries


@dataclass
class Verification:
    store_id: str
    entries: int                  # entries checked
    head: ChainHead               # the head the walk verified up to (as recomputed when intact)
    problem: Optional[Problem] = None
    statements: int = 0           # statement and voiding entries
    documents: int = 0            # document write and delete entries
    blanked: int = 0              # document entries whose readable key an erasure blanked
    acts: list = field(default_factory=list)          # [(n, name, facts)] administrative acts
    erasures: list = field(default_factory=list)      # [Erasure]
    backfills: list = field(default_factory=list)     # [(n, facts)]
    range_cpu_s: float = 0.0      # CPU seconds of the ranges' checks, in workers or not (benchmarks)

    @property
    def ok(self):
        return self.problem is None


class _Mismatch(Exception):
    def __init__(self, problem):
        super().__init__(str(problem))
        self.problem = problem


def verify_store(storage, store_id, checkpoints=(), workers=None):
    """Verification of one store's chain against its statements and documents and, when given,
    against checkpoints (chain.Checkpoint, their signatures checked by the caller): the
    recomputed hash at each checkpoint's entry must be the one it signed. `workers`: how many
    processes read and check ranges of the chain (ranges.py; None: as many as pay off)."""
    committed = storage.committed_order(store_id)[0]          # before the head: the head is at least as new
    head = storage.chain_head(store_id)
    walk = _Walk(storage, store_id, head, {c.n: c for c in checkpoints})
    walk.committed = committed
    walk.workers = ranges.workers_for(head.n, workers)
    try:
        walk.run()
    except _Mismatch as mismatch:
        walk.result.problem = mismatch.problem
    walk.result.entries, walk.result.head = walk.checked, ChainHead(walk.n, walk.seq, walk.previous)
    return walk.result


def _facts(entry):
    try:
        return json.loads(entry.target)
    except ValueError:
        return {}


class _Walk:
    def __init__(self, storage, store_id, head, checkpoints):
        self.storage, self.store_id, self.head, self.checkpoints = storage, store_id, head, checkpoints
        self.n, self.seq, self.previous, self.checked = 0, 0, GENESIS, 0
        self.last_seq = 0                 # the seq the next statement entry must exceed
        self.committed = 0                # the store's last seq, read before the head
        self.workers = 0
        self.result = Verification(store_id, 0, head)
        self.targets = set()              # what the voiding entries void
        self.flagged = {}                 # id -> seq of statements the database says are voided
        self.erased = {}                  # erasure n -> [ids] of the statements erased under it
        self.late = {}                    # id -> (seq, erasure n) erased by an erasure after the head
        self.latest = {}                  # document key digest -> its newest entry

    # --- the walk --------------------------------------------------------------------------

    def run(self):
        marks = list(self.storage.chain_marks(self.store_id, self.head.n))
        self.erasures = {e.n: Erasure(e.n, _facts(e)) for e in marks if e.kind == ERASURE}
        self.erasure_contents = {e.n: e.content for e in marks if e.kind == ERASURE}
        self._walk()
        beyond = [n for n in self.checkpoints if n > self.n]
        if beyond:
            checkpoint = self.checkpoints[min(beyond)]
            raise _Mismatch(Problem(self.n + 1, None, None, "the chain ends at entry %d, before the checkpoint of "
                                    "%s at entry %d" % (self.n, format_ms(checkpoint.made_ms), checkpoint.n)))
        if self.n != self.head.n:
            raise _Mismatch(Problem(self.n + 1, None, None, "entry missing (the chain head names entry %d)"
                                    % self.head.n))
        if self.storage.count_statements(self.store_id, max(self.committed, self.head.seq)) != self.result.statements:
            self._unchained()
        if (self.head.seq, self.head.hash) != (self.seq, self.previous):
            raise _Mismatch(Problem(self.head.n, self.head.seq, None,
                                    "the chain head differs from the recomputed chain"))
        self._check_erasures()
        self._check_voided()
        self._check_documents()

    def _walk(self):
        """Every entry up to the head in n order, each statement entry with the statement kept at
        its seq (StorageBackend.chain_walk), range by range (ranges.py, maybe in worker processes
        reading their own range), each range joined to the ones before it in chain order: the first
        problem named is the first in chain order."""
        with closing(ranges.checked_ranges(self.storage, self.store_id, self.head.n, self.erasures,
                                           self.checkpoints, self.workers)) as parts:    # closed: workers stopped
            for part in parts:
                self._join(part)
                if part.done < part.upto:         # the chain ends before the head (judged by run)
                    return

    def _join(self, part):
        """Add a ranges.Range after the entries before it, or raise its first problem."""
        self.result.range_cpu_s += part.cpu_s
        found = [part.found] if part.found else []
        if part.first is not None:
            n, kind, seq, entry_id, target, content, hash_ = part.first
            if entry_hash(self.previous, n, kind, seq, entry_id, target, content) != hash_:
                found.append((n, ranges.HASH, seq, entry_id if kind in STATEMENT_KINDS else None, ranges.LINK_BROKEN))
        if part.first_statement is not None and part.first_statement[1] <= self.last_seq:
            n, seq, statement_id = part.first_statement
            found.append((n, ranges.ORDER, seq, statement_id,
                          "entry out of order (the entry before it names seq %d)" % self.last_seq))
        for n, seq, statement_id, hash_, seq_max in part.checkpoints:
            checkpoint = self.checkpoints[n]
            if (checkpoint.hash, checkpoint.seq) != (hash_, max(self.seq, seq_max)):
                found.append((n, ranges.CHECKPOINT, seq, statement_id, "the recomputed chain differs from the "
                              "checkpoint signed at %s: the chain was rewritten up to here" % format_ms(checkpoint.made_ms)))
        if found:
            n, _, seq, statement_id, what = min(found, key=lambda problem: problem[:2])
            self.checked = n - 1
            raise _Mismatch(Problem(n, seq, statement_id, what))
        if part.done > part.after:
            self.n, self.previous = part.done, part.previous
        self.checked = self.n
        self.seq = max(self.seq, part.seq_max)
        if part.last_seq is not None:
            self.last_seq = part.last_seq
        self.result.statements += part.statements
        self.flagged.update(part.flagged)
        self.targets |= part.targets
        for erasure_n, statement_id, n in part.erased:
            self.erased.setdefault(erasure_n, []).append(statement_id)
            self.erasures[erasure_n].entries.append(n)
        self.late.update(part.late)
        for row in part.marks:
            self._mark(ChainEntry(*row))

    def _unchained(self):
        """The store keeps more statements than the chain names: the first one it does not name."""
        chained = {row[2] for row in self.storage.chain_rows(self.store_id, self.head.n) if row[1] in STATEMENT_KINDS}
        upto = max(self.committed, self.head.seq)
        for row in self.storage.statement_rows(self.store_id, upto):
            if row.seq not in chained:
                raise _Mismatch(Problem(None, row.seq, row.id, "statement not in the chain (a database written before "
                                        "its chain? run `python -m lrs audit backfill`)"))
        raise _Mismatch(Problem(None, None, None, "the store keeps %d statements up to seq %d, the chain names %d"
                                % (self.storage.count_statements(self.store_id, upto), upto, self.result.statements)))

    def _mark(self, entry):
        """An entry that is not a statement's, checked by ranges._mark: what the chain records."""
        if entry.kind in DOCUMENT_KINDS:
            self.result.documents += 1
            self.result.blanked += not entry.detail
            self.latest[entry.id] = entry
        elif entry.kind == ADMIN:
            self.result.acts.append((entry.n, entry.id, _facts(entry)))
        elif entry.kind == BACKFILL:
            self.result.backfills.append((entry.n, _facts(entry)))
        else:                                             # an erasure
            self.result.erasures.append(self.erasures[entry.n])

    # --- after the walk ------------------------------------------------------------------

    def _tail(self):
        """The entries written after the head was read (a concurrent write), read once."""
        if not hasattr(self, "_tail_entries"):
            self._tail_entries = list(self.storage.chain_entries(self.store_id, _NO_LIMIT, self.head.n))
        return self._tail_entries

    def _check_erasures(self):
        for n, recorded in self.erasure_contents.items():
            if erased_ids_hash(self.erased.get(n, ())) != recorded:
                raise _Mismatch(Problem(n, None, None, "the statements erased under this erasure entry are not the "
                                        "ones it recorded (%d erased now)" % len(self.erased.get(n, ()))))
        if self.late:
            later = {e.n for e in self._tail() if e.kind == ERASURE}
            for statement_id, (seq, n) in sorted(self.late.items(), key=lambda item: item[1]):
                if n not in later:
                    raise _Mismatch(Problem(None, seq, statement_id, "statement content removed, but no erasure "
                                            "entry records it (the row names entry %d)" % n))

    def _check_voided(self):
        """VOID-4, VOID-5: voided exactly when a non-voiding statement is targeted by a voiding one."""
        stored = self.storage.get_statements(self.store_id, sorted(self.targets)) if self.targets else {}
        must = {i for i, s in stored.items() if not s.is_voiding and s.seq <= self.seq and not s.erased}
        for statement_id, seq in sorted(self.flagged.items(), key=lambda item: item[1]):
            if statement_id not in must and not self._voided_since(statement_id):
                raise _Mismatch(Problem(None, seq, statement_id, "flagged voided, but no voiding entry targets it"))
        for statement_id in sorted(must - set(self.flagged), key=lambda i: stored[i].seq):
            raise _Mismatch(Problem(None, stored[statement_id].seq, statement_id,
                                    "a voiding entry targets it, but it is not flagged voided"))

    def _voided_since(self, statement_id):
        """Whether a voiding entry written after the head was read targets the statement: the
        ranges of the chain are read one after the other, and a voiding committed meanwhile flags
        its target at once."""
        return any(e.kind == VOIDING and e.target == statement_id for e in self._tail())

    def _check_documents(self):
        """The documents held now are those the chain's latest entries describe."""
        latest = dict(self.latest)
        for fields, document in self.storage.document_rows(self.store_id):
            key = document_key(fields)
            digest = key_digest(key)
            entry = latest.pop(digest, None)
            if not _describes(entry, document) and not _describes(self._newer(digest), document):
                raise _Mismatch(Problem(entry.n if entry else None, None, None, _document_problem(key, entry)))
        for digest, entry in sorted(latest.items(), key=lambda item: item[1].n):
            if entry.kind == DOCUMENT and not _deleted(self._newer(digest)):
                raise _Mismatch(Problem(entry.n, None, None, "document %s was deleted in the database (the chain's "
                                        "latest entry for it is a write)" % (entry.detail or "(key erased)")))

    def _newer(self, digest):
        """The newest entry for a document written after the head, if any."""
        found = None
        for entry in self._tail():
            if entry.kind in DOCUMENT_KINDS and entry.id == digest:
                found = entry
        return found


def _describes(entry, document):
    return (entry is not None and entry.kind == DOCUMENT and entry.content == content_hash(document.content)
            and entry.target == document_facts(document))


def _deleted(entry):
    return entry is not None and entry.kind == DOCUMENT_DELETED


def _document_problem(key, entry):
    if entry is None:
        return "document %s is not in the chain (added in the database, or kept before the chain recorded " \
               "documents: run `python -m lrs audit backfill`)" % key
    if entry.kind == DOCUMENT_DELETED:
        return "document %s exists, but the chain's latest entry for it is its deletion" % key
    return "document %s differs from the chain's latest entry for it (content, type, etag or time changed)" % key


def _fact_text(facts):
    return ", ".join("%s %s" % (name, json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value)
                     for name, value in sorted(facts.items()) if name not in ("at", "by"))


def _entry_list(numbers, most=20):
    shown = ", ".join(str(n) for n in numbers[:most])
    return shown + (", ... (%d in all)" % len(numbers) if len(numbers) > most else "")


def describe(result):
    """Lines telling an auditor what an intact chain records besides statements: administrative
    acts, erasures (and which entries they erased) and backfills, in chain order."""
    lines = ["%d statement entries, %d document entries%s, %d administrative acts, %d erasures, %d backfills"
             % (result.statements, result.documents,
                " (%d with their key erased)" % result.blanked if result.blanked else "",
                len(result.acts), len(result.erasures), len(result.backfills))]
    events = [(n, "%s by %s: %s %s" % (facts.get("at"), facts.get("by"), name, _fact_text(facts)))
              for n, name, facts in result.acts]
    for erasure in result.erasures:
        facts = erasure.facts
        events.append((erasure.n, "%s by %s: erasure of a learner: %s statements, %s documents; the content of "
                       "entries %s is gone, their hashes still verify"
                       % (facts.get("at"), facts.get("by"), facts.get("statements"), facts.get("documents"),
                          _entry_list(erasure.entries) or "(none)")))
    for n, facts in result.backfills:
        chained = facts.get("statements", 0) + facts.get("documents", 0)
        events.append((n, "%s by %s: backfill: entries %d to %d were chained now, not when they were written "
                       "(%s statements, seq %s to %s; %s documents)"
                       % (facts.get("at"), facts.get("by"), n + 1, n + chained, facts.get("statements"),
                          facts.get("first_seq"), facts.get("last_seq"), facts.get("documents"))))
    lines += ["entry %d  %s" % (n, text) for n, text in sorted(events)]
    return lines
