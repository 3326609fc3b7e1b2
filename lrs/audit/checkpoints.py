"""Signed checkpoints of the audit chain (issue 13): Ed25519 signatures over a store's chain head.

A checkpoint says "store S's chain had entry n (statement seq) with hash H at time T", signed
with the LRS's Ed25519 key (LRS_SIGNING_KEY_FILE). An auditor who keeps copies of checkpoints
(GET /reports/audit/checkpoints) and the public key (GET /reports/audit/key) elsewhere can later
prove that the chain up to each checkpoint was not rewritten, even by someone who could rewrite
the whole database consistently: `python -m lrs audit verify --against FILE`.

The signed bytes are the checkpoint's JSON without the signature, keys sorted, no spaces:
    {"hash":"<hex>","n":N,"seq":SEQ,"store":"<store id>","time":"<ISO 8601 UTC>"}
"""
import base64
import json
import logging
import os
import threading
import time
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import ConfigError
from ..store.chain import Checkpoint
from ..timeutil import datetime_to_ms, format_ms, now_ms

log = logging.getLogger("lrs.audit")


# --- the key ------------------------------------------------------------------------------

def generate_key_file(path):
    """Write a new Ed25519 private key (PKCS#8 PEM, mode 0600) to path; FileExistsError if it exists."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def load_signing_key(path, generate=False):
    """The Ed25519 private key in path. A missing file is made only when `generate` is true
    (LRS_SIGNING_KEY_GENERATE); otherwise, and for a file that is not an Ed25519 key, ConfigError."""
    if not os.path.exists(path):
        if not generate:
            raise ConfigError("LRS_SIGNING_KEY_FILE %s does not exist: create it with `python -m lrs audit keygen "
                              "%s` or set LRS_SIGNING_KEY_GENERATE=true" % (path, path))
        try:
            return generate_key_file(path)
        except FileExistsError:
            pass                            # another worker made it first: read theirs
    try:
        with open(path, "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise ConfigError("LRS_SIGNING_KEY_FILE %s cannot be read as a PEM private key: %s" % (path, error)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError("LRS_SIGNING_KEY_FILE %s holds a %s key, not Ed25519" % (path, type(key).__name__))
    return key


def public_key_pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def load_public_key(pem):
    key = serialization.load_pem_public_key(pem.encode("ascii") if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    return key


# --- checkpoints ----------------------------------------------------------------------------

def _signed_fields(store_id, n, seq, hash_, made_ms):
    return {"hash": hash_.hex(), "n": n, "seq": seq, "store": store_id, "time": format_ms(made_ms)}


def _message(fields):
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign_head(key, store_id, head, made_ms):
    """A Checkpoint of `head` (chain.ChainHead) signed with key."""
    signature = key.sign(_message(_signed_fields(store_id, head.n, head.seq, head.hash, made_ms)))
    return Checkpoint(store_id=store_id, n=head.n, seq=head.seq, hash=head.hash, made_ms=made_ms,
                      signature=signature)


def checkpoint_json(checkpoint):
    """What GET /reports/audit/checkpoints lists and `audit verify --against` reads."""
    c = checkpoint
    fields = _signed_fields(c.store_id, c.n, c.seq, c.hash, c.made_ms)
    fields["signature"] = base64.b64encode(c.signature).decode("ascii")
    return fields


def checkpoint_from_json(fields):
    """The Checkpoint a checkpoint_json object describes; ValueError when it is malformed."""
    try:
        made = datetime.fromisoformat(str(fields["time"]).replace("Z", "+00:00"))
        return Checkpoint(store_id=str(fields["store"]), n=int(fields["n"]), seq=int(fields["seq"]),
                          hash=bytes.fromhex(fields["hash"]), made_ms=datetime_to_ms(made),
                          signature=base64.b64decode(fields["signature"], validate=True))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError("not a checkpoint: %s" % error) from None


def read_checkpoint_file(path):
    """The checkpoint JSON objects in a file: a list of them, one, or {"checkpoints": [...]}
    (what GET /reports/audit/checkpoints answers)."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if isinstance(data, dict):
        data = data["checkpoints"] if "checkpoints" in data else [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValueError("%s holds no checkpoint list" % path)
    return data


def check_signature(public_key, fields):
    """True when the checkpoint JSON (checkpoint_json) was signed by the key's owner."""
    try:
        signature = base64.b64decode(fields["signature"], validate=True)
        unsigned = {name: fields[name] for name in ("hash", "n", "seq", "store", "time")}
        public_key.verify(signature, _message(unsigned))
    except (InvalidSignature, KeyError, TypeError, ValueError):
        return False
    return True


def make_checkpoint(storage, key, store_id, clock=now_ms):
    """Sign and keep the store's current chain head; the Checkpoint, or None when the head is
    empty or a checkpoint of it exists already."""
    head = storage.chain_head(store_id)
    if head.n == 0:
        return None
    checkpoint = sign_head(key, store_id, head, clock())
    return checkpoint if storage.add_checkpoint(checkpoint) else None


class Checkpointer:
    """Makes a checkpoint of each store when its chain has grown by `every_entries` entries or
    `every_seconds` have passed with unsigned entries, from a background thread that looks every
    `poll_seconds`; `close()` (at shutdown) signs every store's head that is not signed yet.

    Several workers and replicas may run one each: a store has at most one checkpoint per entry
    (add_checkpoint keeps the first)."""

    def __init__(self, storage, key, every_entries, every_seconds, poll_seconds=1.0, clock=now_ms):
        self.storage, self.key, self.clock = storage, key, clock
        self.every_entries, self.every_ms = every_entries, every_seconds * 1000
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread = None
        self._last_seen = {}          # store id -> the newest Checkpoint seen (any worker's)

    def _last(self, store_id):
        """The store's newest checkpoint, reading only those newer than the last one seen."""
        last = self._last_seen.get(store_id)
        newer = self.storage.list_checkpoints(store_id, last.n if last else 0)
        if newer:
            last = self._last_seen[store_id] = newer[-1]
        return last

    def tick(self, final=False):
        """Checkpoint each store that is due (every store with unsigned entries when final)."""
        made = []
        for store in self.storage.list_stores():
            head = self.storage.chain_head(store.id)
            last = self._last(store.id)
            last_n, last_ms = (last.n, last.made_ms) if last else (0, store.created_ms)
            if head.n <= last_n:
                continue
            if final or head.n - last_n >= self.every_entries or self.clock() - last_ms >= self.every_ms:
                checkpoint = make_checkpoint(self.storage, self.key, store.id, self.clock)
                if checkpoint is not None:
                    made.append(checkpoint)
        return made

    def start(self):
        self._thread = threading.Thread(target=self._run, name="audit-checkpoints", daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(self.poll_seconds):
            try:
                self.tick()
            except Exception as error:            # the database is away: try again next time
                log.warning("audit checkpoint failed: %s", error)
                time.sleep(self.poll_seconds)

    def shutdown(self):
        """close() at process exit (atexit): a failure is logged, never raised."""
        try:
            self.close()
        except Exception as error:
            log.warning("audit checkpoint at shutdown failed: %s", error)

    def close(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.poll_seconds * 5 + 5)
        return self.tick(final=True)
