"""The per-entry hashes of `audit verify` (verify.py), checked page by page, in worker processes
for a large chain (issue 13: `audit verify` at >= 100,000 entries/s).

Two things are hashed for every entry, and they are most of what verifying costs: a statement's
body as kept, inflated (lrs/store/packing.py) and hashed, must be the entry's content; and the
entry's hash must be sha256 over the previous entry's hash and its own fields. Neither needs the
walk's state: an entry's link is checked against the previous entry's hash *as kept*, and when
every link holds from GENESIS on, the kept hashes are exactly the recomputed chain. So the walk
hands each entry (with the hash kept before it) to a HashCheck and carries on with what is
sequential (order, ids, flags, documents, erasures), while the pages are checked meanwhile: in
worker processes from WORKERS_FROM entries, inline below that (a worker costs more to start).

HashCheck.first_difference tells the first entry (lowest n) that differs, content before link
for one entry as the walk always did; the walk asks it before reporting any problem of its own
at the same or a later entry, so the first difference in chain order is reported whichever
process found it. A body whose kept form does not even read back (a corrupted deflate stream)
differs. An error of a worker itself (one that died, say) is raised, never taken for "verifies".
"""
import hashlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

WORKERS_FROM = 20_000         # entries in a chain from which worker processes pay off
START = "forkserver"          # how workers start: safe from a process with threads (a test server)
CONTENT_CHANGED = "statement content changed (its sha256 differs from the chain's)"
LINK_BROKEN = "entry hash differs: this entry or an earlier one was rewritten"


def differing(read, previous, page):
    """The entries of `page` that differ, [(n, why)]: page is [(n, kind, seq, id, target,
    content, hash, body as kept or None)] in chain order, `previous` the hash kept before its
    first entry, `read` the store's StorageBackend.read_kept_body."""
    sha256, found = hashlib.sha256, []
    for n, kind, seq, entry_id, target, content, hash_, kept in page:
        if kept is not None:
            try:
                if sha256(read(kept)).digest() != content:
                    found.append((n, CONTENT_CHANGED))
                    continue
            except ValueError as error:               # a kept form that does not read back
                found.append((n, "statement content changed (what the database keeps does not read back: %s)"
                              % error))
                continue
        digest = sha256(previous)
        digest.update(("|%d|%s|%d|%s|%s|" % (n, kind, seq, entry_id, target)).encode("utf-8"))
        digest.update(content)
        if digest.digest() != hash_:
            found.append((n, LINK_BROKEN))
        previous = hash_
    return found


class HashCheck:
    """Checks pages of entries, `workers` processes at a time (0: inline, when given)."""

    def __init__(self, read, workers):
        self.read, self.found, self.pending = read, [], []    # pending: futures of pages handed out
        self.pool = ProcessPoolExecutor(workers, multiprocessing.get_context(START)) if workers else None

    @classmethod
    def for_chain(cls, read, entries, workers=None):
        """The check for a chain of `entries`: two worker processes (measured better than one on
        two cores: the walk waits on the database part of the time) from WORKERS_FROM entries,
        unless `workers` says how many (0: inline)."""
        if workers is None:
            cores = os.cpu_count() or 1
            workers = min(2, cores) if entries >= WORKERS_FROM and cores > 1 else 0
        return cls(read, workers)

    def page(self, previous, page):
        """Check `page` (see differing), now or in a worker."""
        if not page:
            return
        if self.pool is None:
            self.found += differing(self.read, previous, page)
        else:
            self.pending.append(self.pool.submit(differing, self.read, previous, page))
            while self.pending and self.pending[0].done():
                self.found += self.pending.pop(0).result()

    def first_difference(self):
        """(n, why) of the first entry handed over so far that differs, or None: waits for the
        workers."""
        while self.pending:
            self.found += self.pending.pop(0).result()        # a worker's own error is raised here
        return min(self.found) if self.found else None

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
