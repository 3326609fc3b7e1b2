"""Credentials: HTTP Basic key/secret pairs, secrets stored hashed, xAPI scopes.

A secret is stored only as a salted PBKDF2-SHA256 hash (slow on purpose). So that a verified
credential does not pay that cost on every request, a process keeps, for a short time, an HMAC
of the secret under a random key that exists only in its memory: a request whose secret has the
same HMAC is accepted without re-hashing. The cache expires after LRS_AUTH_CACHE_SECONDS, which
bounds how long a revoked credential can still be used by a process that had verified it.
"""
import base64
import hashlib
import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass

from .errors import Forbidden, Unauthorized

SCOPES = ("statements/write", "statements/read", "statements/read/mine", "all/read", "all",
          "state", "define", "profile")
DEFAULT_SCOPES = ("statements/write", "statements/read/mine")   # SCOPE-9

_HASH_NAME = "pbkdf2_sha256"


def hash_secret(secret, iterations=210_000):
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), salt, iterations)
    return "%s$%d$%s$%s" % (_HASH_NAME, iterations, base64.b64encode(salt).decode(),
                            base64.b64encode(digest).decode())


def verify_secret(secret, encoded):
    try:
        name, iterations, salt, digest = encoded.split("$")
        if name != _HASH_NAME:
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), base64.b64decode(salt),
                                     int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def new_key():
    return secrets.token_hex(10)


def new_secret():
    return secrets.token_urlsafe(24)


def parse_scopes(text):
    """A list of scope names from 'a b' or 'a,b'; ValueError names an unknown one."""
    scopes = [s for s in text.replace(",", " ").split() if s]
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValueError("unknown scope(s) %s; known: %s" % (", ".join(unknown), ", ".join(SCOPES)))
    return scopes or list(DEFAULT_SCOPES)


@dataclass(frozen=True)
class Principal:
    """Who is making a request: the credential's key, store and scopes."""

    key: str
    store_id: str
    scopes: frozenset
    name: str
    admin: bool

    def can(self, *needed):
        """True when any of the scopes `needed` (or `all`) was granted (SCOPE-14)."""
        return "all" in self.scopes or any(scope in self.scopes for scope in needed)

    def require(self, *needed):
        if not self.can(*needed):
            raise Forbidden("this credential lacks the scope for this request (needs one of: %s)"
                            % ", ".join(needed + ("all",)))


class Authenticator:
    def __init__(self, storage, cache_seconds=30):
        self._storage = storage
        self._cache_seconds = cache_seconds
        self._cache = {}
        self._cache_key = secrets.token_bytes(32)
        self._lock = threading.Lock()

    def _fingerprint(self, key, secret):
        return hmac.new(self._cache_key, (key + "\0" + secret).encode("utf-8"), hashlib.sha256).digest()

    def authenticate(self, authorization_header):
        """The Principal for an `Authorization: Basic ...` header, or Unauthorized (SEC-1, SEC-3)."""
        key, secret = _parse_basic(authorization_header)
        fingerprint = self._fingerprint(key, secret)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached and cached[0] == fingerprint and cached[1] > now:
            return cached[2]
        credential = self._storage.get_credential(key)
        if credential is None or credential.revoked or not verify_secret(secret, credential.secret_hash):
            raise Unauthorized("unknown credentials or wrong secret")
        principal = Principal(key=credential.key, store_id=credential.store_id,
                              scopes=frozenset(credential.scopes), name=credential.name,
                              admin=credential.admin)
        if self._cache_seconds:
            with self._lock:
                self._cache[key] = (fingerprint, now + self._cache_seconds, principal)
        return principal

    def forget(self, key):
        with self._lock:
            self._cache.pop(key, None)


def _parse_basic(header):
    if not header:
        raise Unauthorized("credentials are required (HTTP Basic)")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        raise Unauthorized("the Authorization header must be HTTP Basic credentials")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise Unauthorized("the Authorization header is not valid base64 key:secret") from None
    key, sep, secret = decoded.partition(":")
    if not sep or not key:
        raise Unauthorized("the Authorization header must carry key:secret")
    return key, secret


def create_credential(storage, store_id, scopes=None, name="", admin=False, key=None, secret=None,
                      iterations=210_000):
    """Create and save a credential; return (key, secret). The secret is never stored."""
    from .store import Credential
    from .timeutil import now_ms
    key = key or new_key()
    secret = secret or new_secret()
    storage.add_credential(Credential(
        key=key, secret_hash=hash_secret(secret, iterations), store_id=store_id,
        scopes=list(scopes or DEFAULT_SCOPES), name=name, admin=admin, created_ms=now_ms()))
    return key, secret


def ensure_admin(storage, settings, store_name="default", announce=print):
    """Start-up: make sure the default store exists and has an admin credential.

    With LRS_ADMIN_KEY/LRS_ADMIN_SECRET set, that credential exists with scope `all` (created,
    or its secret and scopes brought in line). Without them, a new database gets one generated
    credential, printed once.
    """
    store = storage.get_store(store_name)
    created_now = False
    if store is None:
        try:
            store = storage.create_store(store_name)
            created_now = True
        except ValueError:          # another worker created it at the same moment
            store = storage.get_store(store_name)
    if settings.admin_key:
        existing = storage.get_credential(settings.admin_key)
        if existing and not existing.revoked and existing.store_id == store.id \
                and "all" in existing.scopes and existing.admin \
                and verify_secret(settings.admin_secret, existing.secret_hash):
            return None
        if existing:
            raise SystemExit("LRS_ADMIN_KEY names an existing credential with another secret, "
                             "store or scopes; revoke it or choose another key")
        try:
            create_credential(storage, store.id, ["all"], name="admin", admin=True,
                              key=settings.admin_key, secret=settings.admin_secret,
                              iterations=settings.secret_hash_iterations)
        except ValueError:          # created by another worker meanwhile
            pass
        return None
    if not created_now:             # only the process that created the database announces
        return None
    key, secret = create_credential(storage, store.id, ["all"], name="admin", admin=True,
                                    iterations=settings.secret_hash_iterations)
    announce("Created an admin credential for store %r (shown once):\n  key:    %s\n  secret: %s"
             % (store_name, key, secret))
    return key, secret


