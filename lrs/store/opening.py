"""Opening the database without ever stopping the server (issue 17).

gunicorn shuts the whole server down when a worker fails while it boots ("Worker failed to boot",
exit status 3). A database that cannot be opened at the moment a worker starts (a lock held by
another program, a MongoDB election, a network blip) must not do that: open_or_retry() gives the
worker a storage anyway. Until the database opens, every call raises StorageUnavailable, which
the HTTP layer answers with 503 (on /ready too, so load balancers send the traffic elsewhere and
clients retry); a background thread retries with back-off, and the first failure and the
recovery are each logged once.
"""
import logging
import threading

from ..errors import StorageUnavailable

log = logging.getLogger("lrs.store")

RETRY_DELAYS_S = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)     # then every 5 s


def open_or_retry(opener, prepare=None, delays=None):
    """The storage opener() returns, after prepare(storage) (start-up work such as the admin
    credential); when either raises StorageUnavailable, an OpeningStorage that keeps trying."""
    try:
        return _open(opener, prepare)
    except StorageUnavailable as error:
        return OpeningStorage(opener, prepare, error, delays or RETRY_DELAYS_S)


def _open(opener, prepare):
    storage = opener()
    try:
        if prepare is not None:
            prepare(storage)
    except BaseException:
        storage.close()
        raise
    return storage


class OpeningStorage:
    """Stands for a storage that is not open yet; once it is, every call goes to it."""

    def __init__(self, opener, prepare, error, delays=RETRY_DELAYS_S):
        self._storage = None
        self._opener, self._prepare, self._delays = opener, prepare, delays
        self._error = str(error)
        self._stop = threading.Event()
        log.warning("cannot open the database (%s); answering 503 and retrying in the background",
                    self._error)
        self._thread = threading.Thread(target=self._retry, name="lrs-open-database", daemon=True)
        self._thread.start()

    @property
    def is_open(self):
        return self._storage is not None

    def _retry(self):
        attempt = 0
        while not self._stop.wait(self._delays[min(attempt, len(self._delays) - 1)]):
            attempt += 1
            try:
                storage = _open(self._opener, self._prepare)
            except (Exception, SystemExit) as error:          # the thread must go on
                if str(error) != self._error:
                    log.warning("still cannot open the database (%s); retrying", error)
                self._error = str(error)
                continue
            if self._stop.is_set():                           # closed meanwhile
                storage.close()
                return
            self._storage = storage
            log.warning("the database is open (after %d retries); serving", attempt)
            return

    def __getattr__(self, name):
        storage = self.__dict__.get("_storage")
        if name.startswith("__"):                              # copy, pickle, hasattr probes
            raise AttributeError(name)
        if storage is None:
            # the cause is in the log; clients only learn to come back
            raise StorageUnavailable("the database is not open yet; the LRS is retrying, try again shortly")
        return getattr(storage, name)

    def close(self):
        self._stop.set()
        self._thread.join()
        if self._storage is not None:
            self._storage.close()
