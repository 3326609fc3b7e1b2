"""The entry-by-entry part of `audit verify` (verify.py), range by range of the chain, in worker
processes that each read their own range from the database (issue 13: `audit verify` at >=
100,000 entries/s on 1,000,000 statements).

Reading an entry with its statement, inflating the body, hashing it and the entry's link are
most of what verifying costs, and none of it needs the entries before: an entry's link is checked
against the previous entry's hash *as kept*, and when every link holds from GENESIS on, the kept
hashes are exactly the recomputed chain. So the chain (0, head] is cut into ranges of entries;
check_range reads one (StorageBackend.chain_reader: its own connection, in a worker process from
WORKERS_FROM entries) and checks every entry of it as the single walk did: numbering, the
statement kept at its seq (id, voiding flag, erasure), the content hash, the link, a document's
key, an act's facts. What needs the entries before the range is left to the caller, which merges
the ranges in chain order (verify._Walk): the link of the range's first entry (Range.first) and
the order of its first statement entry after the last one before the range (Range.first_statement),
the checkpoints (whose seq is the highest up to them), and what the whole chain decides (counts,
voidings, erasures, documents: Range.flagged, .targets, .erased, .late, .marks).

A range stops at its first problem (Range.found). At one entry the single walk named first a
statement's order, then anything else about its row or kind, then its content, then its link,
then a checkpoint: the RANK of a problem, so that the caller names, of the problems found by
the ranges and by itself, the first in chain order (lowest (n, rank)). A problem in a range
counts only when every range before it verified, and then the kept hash and order it starts from
are exactly those the single walk had there. A worker's own error (one that died, say) is raised,
never taken for "verifies".
"""
import hashlib
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Optional

from ..store.chain import ADMIN, BACKFILL, DOCUMENT_KINDS, ERASURE, STATEMENT, VOIDING, content_hash, key_digest

WORKERS_FROM = 20_000         # entries in a chain from which worker processes pay off
MOST_WORKERS = 8
RANGES_PER_WORKER = 8         # more ranges than workers: a worker slowed by other load takes fewer
START = "forkserver"          # how workers start: safe from a process with threads (a test server)
ORDER, ROW, HASH, CHECKPOINT = range(4)         # the rank of a problem at one entry
CONTENT_CHANGED = "statement content changed (its sha256 differs from the chain's)"
LINK_BROKEN = "entry hash differs: this entry or an earlier one was rewritten"


@dataclass
class Range:
    """What check_range found in the entries after < n <= upto."""

    after: int
    upto: int
    done: int = 0                 # the last entry checked
    previous: bytes = b""         # its hash as kept
    seq_max: int = 0              # the highest seq of the range's entries
    found: Optional[tuple] = None             # the first problem: (n, rank, seq, statement id, what)
    first: Optional[tuple] = None             # entry after+1 as (n, kind, seq, id, target, content, hash): its link
    first_statement: Optional[tuple] = None   # (n, seq, id) of the first statement entry before any backfill
    last_seq: Optional[int] = None            # the seq the next statement entry must exceed (None: as before)
    statements: int = 0           # statement and voiding entries
    flagged: dict = field(default_factory=dict)     # id -> seq of statements kept flagged voided
    targets: set = field(default_factory=set)       # what the voiding entries void
    erased: list = field(default_factory=list)      # (erasure n, statement id, entry n) of erased statements
    late: dict = field(default_factory=dict)        # id -> (seq, erasure n) erased by an erasure after the head
    marks: list = field(default_factory=list)       # entries other than statements', as ChainEntry tuples
    checkpoints: list = field(default_factory=list)  # (n, seq, statement id, hash, seq_max in the range)
    cpu_s: float = 0.0            # CPU seconds the check took in its process (benchmarks)


class _Found(Exception):
    pass


def plan(entries, workers):
    """The ranges (after, upto) of a chain of `entries`: one, or RANGES_PER_WORKER per worker."""
    parts = max(1, min(entries, workers * RANGES_PER_WORKER))
    bounds = [entries * i // parts for i in range(parts + 1)]
    return list(zip(bounds, bounds[1:]))


def check_range(read, read_body, store_id, after, upto, head_n, erasures, checkpoints):
    """The Range of entries after < n <= upto: `read` is chain_walk or a chain_reader (called as
    read(store_id, upto_n, after_n)), `read_body` the store's read_kept_body, `erasures` the n of
    every erasure entry up to the head (chain_marks), `checkpoints` the n of the checkpoints."""
    result, started = Range(after, upto, done=after), time.process_time()
    try:
        _check(result, read(store_id, upto, after), read_body, head_n, erasures, checkpoints)
    except _Found:
        pass
    else:
        if result.done < upto:                        # entries missing at the end of the range
            for rows in read(store_id, head_n, upto):
                result.found = (result.done + 1, ROW, None, None,
                                "entry missing (the next entry kept is %d)" % rows[0][0])
                break
    result.cpu_s = time.process_time() - started
    return result


def _check(result, pages, read_body, head_n, erasures, checkpoints):
    sha256, flagged, targets, marks = hashlib.sha256, result.flagged, result.targets, result.marks
    done, previous, seq_max, statements, last_seq, first_n = result.after, b"", 0, 0, 0, result.after + 1
    first_statement, last_seq_known = None, False

    def found(n, rank, seq, statement_id, what):
        result.found = (n, rank, seq, statement_id, what)
        raise _Found()

    try:
        for rows in pages:
            for row in rows:
                n, kind, seq, entry_id, target, content, hash_, detail, kept_id, voided, voiding, body, erased = row
                if n != done + 1:
                    found(done + 1, ROW, None, None, "entry missing (the next entry kept is %d)" % n)
                if kind == STATEMENT or kind == VOIDING:
                    if first_statement is None and not last_seq_known:
                        first_statement = (n, seq, entry_id)
                    if kept_id != entry_id or seq <= last_seq or erased or bool(voiding) != (kind == VOIDING):
                        what = _statement(row, last_seq, erasures, head_n, result)
                        if what:
                            found(n, ROW, seq, entry_id, what)
                        body = None                   # an erased statement's
                    elif voided:
                        flagged[entry_id] = seq
                    if kind == VOIDING:
                        targets.add(target)
                    statements, last_seq, last_seq_known = statements + 1, seq, True
                else:
                    what = _mark(kind, entry_id, target, content, detail, n, erasures)
                    if what:
                        found(n, ROW, None, None, what)
                    marks.append(row[:8])
                    body = None
                    if kind == BACKFILL:
                        last_seq, last_seq_known = 0, True
                statement_id = entry_id if kind == STATEMENT or kind == VOIDING else None
                if body is not None:
                    try:
                        if sha256(read_body(body)).digest() != content:
                            found(n, HASH, seq, statement_id, CONTENT_CHANGED)
                    except ValueError as error:       # a kept form that does not read back
                        found(n, HASH, seq, statement_id, "statement content changed (what the database keeps does "
                              "not read back: %s)" % error)
                if n == first_n:
                    result.first = (n, kind, seq, entry_id, target, content, hash_)
                else:
                    # chain.entry_hash, in one call (a third of its cost)
                    if sha256(previous + ("|%d|%s|%d|%s|%s|" % (n, kind, seq, entry_id, target)).encode("utf-8")
                              + content).digest() != hash_:
                        found(n, HASH, seq, statement_id, LINK_BROKEN)
                previous, done = hash_, n
                if seq > seq_max:
                    seq_max = seq
                if checkpoints and n in checkpoints:
                    result.checkpoints.append((n, seq, statement_id, hash_, seq_max))
    finally:
        result.done, result.previous, result.seq_max, result.statements = done, previous, seq_max, statements
        result.first_statement, result.last_seq = first_statement, (last_seq if last_seq_known else None)


def _statement(row, last_seq, erasures, head_n, result):
    """What differs about a statement entry the fast loop did not accept, or None for an erased
    statement (then recorded in result)."""
    n, kind, seq, entry_id, kept_id, voiding, body, erased = row[0], row[1], row[2], row[3], row[8], row[10], row[11], \
        row[12]
    if seq <= last_seq:
        return "entry out of order (the entry before it names seq %d)" % last_seq
    if kept_id is None:
        return "statement missing (its row was deleted)"
    if kept_id != entry_id:
        return "statement id is %s in the database" % kept_id
    if bool(voiding) != (kind == VOIDING):
        return "voiding flag changed"
    known = erased in erasures                # any other statement's content: the content hash
    if body or erased <= n or (not known and erased <= head_n):
        return "statement content removed, but no erasure entry records it (the row names entry %d)" % erased
    if known:
        result.erased.append((erased, kept_id, n))
    else:                                     # erased by an erasure after the head: judged by the caller
        result.late[kept_id] = (seq, erased)
    return None


def _mark(kind, entry_id, target, content, detail, n, erasures):
    """What differs about an entry that is not a statement's, or None."""
    if kind in DOCUMENT_KINDS:
        if detail and key_digest(detail) != entry_id:
            return "the document key kept with the entry is not the one it hashed"
    elif kind in (ADMIN, BACKFILL):
        if content_hash(target.encode("utf-8")) != content:
            return "the entry's content is not the hash of its facts"
    elif kind == ERASURE:
        if n not in erasures:                     # not found by chain_marks: its index entry was removed
            return "an erasure entry the store's index of entries does not list"
    else:
        return "unknown entry kind %r" % kind
    return None


def workers_for(entries, workers=None):
    """How many worker processes check a chain of `entries`: one per core (up to MOST_WORKERS)
    from WORKERS_FROM entries, unless `workers` says (0: inline). Each reads its own ranges, so
    nothing is left for the verifying process to do meanwhile."""
    if workers is None:
        cores = os.cpu_count() or 1
        workers = min(MOST_WORKERS, cores) if entries >= WORKERS_FROM and cores > 1 else 0
    return workers


def checked_ranges(storage, store_id, head_n, erasures, checkpoints, workers):
    """Iterate the Range of each part of the chain (0, head_n], in chain order: in `workers`
    processes each reading its own range (StorageBackend.chain_reader), or in this process when
    workers is 0 or the storage cannot be read from another process. The caller may stop early."""
    ranges = plan(head_n, workers) if head_n else []
    reader = storage.chain_reader() if workers else None
    arguments = (storage.read_kept_body, store_id)
    rest = (head_n, frozenset(erasures), frozenset(checkpoints))
    if reader is None:
        for after, upto in ranges:
            yield check_range(storage.chain_walk, *arguments, after, upto, *rest)
        return
    pool = ProcessPoolExecutor(min(workers, len(ranges)), multiprocessing.get_context(START))
    try:
        futures = [pool.submit(check_range, reader, *arguments, after, upto, *rest) for after, upto in ranges]
        for future in futures:
            yield future.result()                     # a worker's own error is raised here
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
