"""gunicorn's threaded worker, taking a new connection only while no other worker holds fewer
(issue 16: use the whole machine).

gunicorn's workers accept from one listening socket, and a keep-alive connection stays with the
worker that accepted it. Whichever worker reaches accept() first wins, so a few persistent clients
(a forwarder's pipeline, a content tool's pool, a benchmark's clients) often fall 3+1 or 6+2 on two
workers; a worker runs Python on one core at a time, so the busier one is saturated while the other
core idles: measured 626 single statements/s at 6+2 against 775 at 4+4, and batches ~25% slower at
3+1 than at 2+2 (bench/README.md, "Serving concurrently").

Here each worker publishes how many connections it holds in a small shared file (one slot per
worker; the master makes the file and clears a slot when its worker exits), and defers an accept
while another live worker holds fewer, so that one takes the connection. A worker never defers
longer than MAX_DEFER_S for one pending connection, so a stuck or busy peer cannot starve
clients. Standard library and gunicorn only: the master imports this module (deploy/gunicorn.conf.py).
"""
import fcntl
import mmap
import os
import struct
import time

from gunicorn.workers.gthread import ThreadWorker

BOARD_ENV = "LRS_CONNECTION_BOARD"
SLOTS = 128                   # workers of one master (a slot is reused once its worker is gone)
MAX_DEFER_S = 0.05            # a pending connection waits at most this long for a less busy worker
_DEFER_STEP_S = 0.0005        # a deferring worker yields its core this long before looking again
_SLOT = struct.Struct("=iI")  # pid (0: free), connections held
_SLOTS = struct.Struct("=" + "iI" * SLOTS)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ConnectionBoard:
    """How many connections each worker holds, in a file every worker maps. A slot has one
    writer (its worker); claiming and freeing slots take the file's lock."""

    def __init__(self, path):
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        self._map = mmap.mmap(self._fd, SLOTS * _SLOT.size)

    @staticmethod
    def create(path):
        """A new, empty board file at path (the master, before any worker)."""
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, bytes(SLOTS * _SLOT.size))
        finally:
            os.close(fd)

    def claim(self, pid):
        """The index of a free slot (or one whose worker is gone), now pid's with 0 connections."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            for index in range(SLOTS):
                owner, _ = _SLOT.unpack_from(self._map, index * _SLOT.size)
                if owner == 0 or owner == pid or not _alive(owner):
                    _SLOT.pack_into(self._map, index * _SLOT.size, pid, 0)
                    return index
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        return None                                   # more workers than slots: never defers

    def release(self, pid):
        """Free pid's slot (the master, when that worker has exited)."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            for index in range(SLOTS):
                if _SLOT.unpack_from(self._map, index * _SLOT.size)[0] == pid:
                    _SLOT.pack_into(self._map, index * _SLOT.size, 0, 0)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def publish(self, index, connections):
        _SLOT.pack_into(self._map, index * _SLOT.size, os.getpid(), max(0, connections))

    def fewest_elsewhere(self, index):
        """The fewest connections any other live worker holds, or None when there is none."""
        slots = _SLOTS.unpack_from(self._map)
        others = sorted((slots[2 * other + 1], slots[2 * other]) for other in range(SLOTS)
                        if slots[2 * other] and other != index)
        for held, pid in others:                      # a worker gone without its slot freed is skipped
            if _alive(pid):
                return held
        return None

    def close(self):
        self._map.close()
        os.close(self._fd)


class AcceptPolicy:
    """Whether a worker holding `held` connections takes the next one now (kept apart from the
    worker so that it can be tested without sockets)."""

    def __init__(self, board, index, clock=time.monotonic, max_defer_s=MAX_DEFER_S):
        self.board, self.index, self.clock, self.max_defer_s = board, index, clock, max_defer_s
        self._deferring_since = None

    def may_accept(self, held):
        fewest = self.board.fewest_elsewhere(self.index)
        if fewest is None or held <= fewest:
            self._deferring_since = None
            return True
        now = self.clock()
        if self._deferring_since is None:
            self._deferring_since = now
        if now - self._deferring_since >= self.max_defer_s:
            self._deferring_since = None                  # nobody else took it: take it
            return True
        return False


class BalancedThreadWorker(ThreadWorker):
    """gthread, with accept() deferred while another worker holds fewer connections."""

    _policy = None

    def run(self):
        """Claim a slot on the board only now, with the application loaded and the accept loop
        about to start: a worker still booting must not make the others wait for it."""
        path = os.environ.get(BOARD_ENV)
        if path:
            try:
                board = ConnectionBoard(path)
                index = board.claim(os.getpid())
                if index is not None:
                    self._policy = AcceptPolicy(board, index)
            except OSError as error:                      # plain gthread rather than no worker
                self.log.warning("connection balancing is off: %s", error)
        super().run()

    def _publish(self):
        if self._policy is not None:
            self._policy.board.publish(self._policy.index, self.nr_conns)

    def accept(self, server, listener):
        if self._policy is not None and not self._policy.may_accept(self.nr_conns):
            time.sleep(_DEFER_STEP_S)                     # the less busy worker takes it meanwhile
            return
        super().accept(server, listener)
        self._publish()

    def finish_request(self, fs):
        super().finish_request(fs)
        self._publish()

    def murder_keepalived(self):
        super().murder_keepalived()
        self._publish()
