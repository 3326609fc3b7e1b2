"""Credentials: HTTP Basic key/secret pairs, secrets stored hashed, xAPI scopes.

How a secret is kept depends on who chose it:

- a secret the LRS generates (`new_secret`: 24 random bytes, 192 bits) is stored as its SHA-256
  (`sha256$...`). Nobody can search a 2**192 space, online or offline, so a slow hash would add
  nothing but cost: checking one takes microseconds;
- a secret a person chose (LRS_ADMIN_SECRET) may be guessable: it must pass `check_strength` and is
  stored as a salted PBKDF2-SHA256 hash (`pbkdf2_sha256$...`, slow on purpose against offline
  guessing). Hashes of this form made by earlier releases, generated secrets included, keep
  verifying.

Failed attempts take the same time whether the key exists or not: an unknown key is checked
against a dummy hash of the fast kind, and a wrong secret for a key whose right secret this
process has verified (the admin credential from the environment is verified at start-up) is
refused by comparing keyed fingerprints, without the slow KDF. Only a PBKDF2 credential that this
process has never seen verified still costs one KDF per failed attempt; the failure limits
(lrs/throttle.py) bound how often.

So that a verified credential does not touch the database on every request, a process keeps,
for LRS_AUTH_CACHE_SECONDS, an HMAC of the secret under a random key that exists only in its
memory: a request whose secret has the same HMAC is accepted at once. After that time the
credential is read again (revoked? secret changed?); this bounds how long a revoked credential can
still be used by a process that had verified it.
"""
import base64
import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Optional

from .audit import acts
from .errors import Forbidden, TooManyRequests, Unauthorized
from .timeutil import now_ms

log = logging.getLogger("lrs.auth")

SCOPES = ("statements/write", "statements/read", "statements/read/mine", "all/read", "all",
          "state", "define", "profile", "reports/read")        # reports/read: the /reports API (issue 13)
DEFAULT_SCOPES = ("statements/write", "statements/read/mine")   # SCOPE-9
# Not an xAPI scope: administration of the whole deployment (/admin/api/, the console; issue 14).
# `all` does not grant it; a credential made with the `admin` flag (start-up's) has it.
ADMIN_SCOPE = "admin"
SCOPES = SCOPES + (ADMIN_SCOPE,)
LAST_USED_EVERY_SECONDS = 60      # a credential's last use is written at most this often per process

_PBKDF2 = "pbkdf2_sha256"
_SHA256 = "sha256"
MIN_SECRET_LENGTH = 16
MIN_DISTINCT_CHARACTERS = 8


def hash_secret(secret, iterations=210_000):
    """The slow, salted hash for a secret a person chose."""
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), salt, iterations)
    return "%s$%d$%s$%s" % (_PBKDF2, iterations, base64.b64encode(salt).decode(),
                            base64.b64encode(digest).decode())


def hash_generated_secret(secret):
    """The fast hash for a secret of 192 random bits made by `new_secret`."""
    return "%s$%s" % (_SHA256, base64.b64encode(_sha256(secret)).decode())


def _sha256(secret):
    return hashlib.sha256(secret.encode("utf-8")).digest()


def is_slow_hash(encoded):
    return encoded.startswith(_PBKDF2 + "$")


def verify_secret(secret, encoded):
    """True when `secret` is the one `encoded` was made from (either form)."""
    try:
        name, _, rest = encoded.partition("$")
        if name == _SHA256:
            return hmac.compare_digest(_sha256(secret), base64.b64decode(rest, validate=True))
        if name != _PBKDF2:
            return False
        iterations, salt, digest = rest.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), base64.b64decode(salt),
                                     int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


_DUMMY_HASH = hash_generated_secret(secrets.token_urlsafe(24))   # unknown keys are checked against it


def check_strength(secret):
    """ValueError, with the rule, when a secret chosen by a person is too easy to guess."""
    if len(secret) < MIN_SECRET_LENGTH or len(set(secret)) < MIN_DISTINCT_CHARACTERS:
        raise ValueError("a secret needs at least %d characters, %d of them different (e.g. the "
                         "output of: python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
                         % (MIN_SECRET_LENGTH, MIN_DISTINCT_CHARACTERS))


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

    @property
    def administrator(self):
        """May administer every store: the `admin` scope or the admin flag (issue 14)."""
        return self.admin or ADMIN_SCOPE in self.scopes

    def require(self, *needed):
        if not self.can(*needed):
            raise Forbidden("this credential lacks the scope for this request (needs one of: %s)"
                            % ", ".join(needed + ("all",)))


@dataclass
class _Verified:
    """A secret this process saw verified: its fingerprint, against which stored hash, as whom."""

    fingerprint: bytes
    secret_hash: str
    principal: Principal
    fresh_until: float                # monotonic time until which the database is not read again
    expires_ms: Optional[int] = None  # the credential's expiry, checked on every request


class Authenticator:
    """Checks HTTP Basic credentials (SEC-1, SEC-3); counts failures in `throttle`, if any."""

    def __init__(self, storage, cache_seconds=30, throttle=None):
        self._storage = storage
        self._cache_seconds = cache_seconds
        self._throttle = throttle
        self._verified = {}
        self._cache_key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._last_touched = {}       # key -> monotonic time its last use was last written

    def _fingerprint(self, key, secret):
        return hmac.new(self._cache_key, (key + "\0" + secret).encode("utf-8"), hashlib.sha256).digest()

    def authenticate(self, authorization_header, address=None):
        """The Principal for an `Authorization: Basic ...` header; Unauthorized, or TooManyRequests
        once the key or the client `address` has failed too often (issue 11)."""
        key, secret = _parse_basic(authorization_header)
        fingerprint = self._fingerprint(key, secret)
        now = time.monotonic()
        known = self._verified.get(key)
        known_good = known is not None and hmac.compare_digest(known.fingerprint, fingerprint)
        if known_good and known.fresh_until > now and not _expired(known.expires_ms):
            return self._used(known.principal, now)
        blocked = self._throttle.blocked(key, address) if self._throttle and not known_good else None
        if blocked and blocked.address_retry:         # this address is refused before any check
            raise _too_many(blocked.address_retry)
        credential = self._storage.get_credential(key)
        if blocked and credential is not None and is_slow_hash(credential.secret_hash) \
                and not (known is not None and known.secret_hash == credential.secret_hash):
            raise _too_many(blocked.key_retry)       # would need the slow KDF: not made
        if not self._matches(credential, secret, fingerprint, known):
            if blocked:
                raise _too_many(blocked.key_retry)
            if self._throttle:
                self._throttle.failed(key, address)
            raise Unauthorized("unknown credentials or wrong secret")
        principal = Principal(key=credential.key, store_id=credential.store_id,
                              scopes=frozenset(credential.scopes), name=credential.name,
                              admin=credential.admin)
        with self._lock:
            self._verified[key] = _Verified(fingerprint, credential.secret_hash, principal,
                                            now + self._cache_seconds, credential.expires_ms)
        return self._used(principal, now)

    def _used(self, principal, now):
        """Record the credential's last use, at most once a minute per process (issue 14). The store
        writes it without waiting for a lock (lost when the database is busy): a request never waits
        for it, and it never fails one."""
        last = self._last_touched.get(principal.key)
        if last is None or now - last >= LAST_USED_EVERY_SECONDS:
            self._last_touched[principal.key] = now
            try:
                self._storage.touch_credential(principal.key, now_ms())
            except Exception:                # a figure for administrators: lost until the next minute
                log.warning("could not record the last use of a credential", exc_info=True)
        return principal

    @staticmethod
    def _matches(credential, secret, fingerprint, known):
        """Whether `secret` is right, in the same time for unknown keys as for known ones."""
        if credential is None:
            verify_secret(secret, _DUMMY_HASH)
            return False
        if known is not None and known.secret_hash == credential.secret_hash:
            right = hmac.compare_digest(known.fingerprint, fingerprint)     # no KDF again
        else:
            right = verify_secret(secret, credential.secret_hash)
        return right and not credential.revoked and not _expired(credential.expires_ms)

    def verify(self, key, secret, address=None):
        """authenticate() for a key and secret given apart (the console's sign-in form)."""
        return self.authenticate(_basic_header(key, secret), address)

    def remember(self, key, secret):
        """Verify key:secret now (start-up: the admin credential from the environment), so that
        wrong secrets for it are refused without the slow KDF. No error when it does not verify."""
        try:
            principal = self.authenticate(_basic_header(key, secret))
        except (Unauthorized, TooManyRequests):
            return
        with self._lock:
            known = self._verified.get(key)
            if known is not None and known.principal == principal:
                known.fresh_until = 0.0             # the next request reads the credential again

    def forget(self, key):
        with self._lock:
            self._verified.pop(key, None)


def _expired(expires_ms):
    return expires_ms is not None and now_ms() >= expires_ms


def _too_many(retry_after):
    return TooManyRequests("too many failed authentication attempts; retry later",
                           retry_after=retry_after)


def _basic_header(key, secret):
    return "Basic " + base64.b64encode(("%s:%s" % (key, secret)).encode("utf-8")).decode("ascii")


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
                      iterations=210_000, expires_ms=None, act=None):
    """Create and save a credential; return (key, secret). The secret is never stored: a generated
    one as its SHA-256, one given by the caller (chosen by a person) as PBKDF2 of `iterations`.
    `act` (a chain.Act) is chained in the store's audit chain with the credential."""
    from .store import Credential
    key = key or new_key()
    if secret:
        secret_hash = hash_secret(secret, iterations)
    else:
        secret = new_secret()
        secret_hash = hash_generated_secret(secret)
    storage.add_credential(Credential(
        key=key, secret_hash=secret_hash, store_id=store_id,
        scopes=list(scopes or DEFAULT_SCOPES), name=name, admin=admin, created_ms=now_ms(),
        expires_ms=expires_ms), act=act)
    return key, secret


ADMIN_KEY_TAKEN = ("LRS_ADMIN_KEY names an existing credential with another secret, store or scopes; "
                   "revoke it or choose another key")


def configured_admin_exists(storage, settings, store):
    """True when LRS_ADMIN_KEY already names the admin credential it describes, False when it is
    new; SystemExit (one line) when the key names some other credential, so that nothing re-keys
    it silently. Reads only: the gunicorn master calls it before any worker starts."""
    existing = storage.get_credential(settings.admin_key)
    if existing is None:
        return False
    if not existing.revoked and store is not None and existing.store_id == store.id \
            and "all" in existing.scopes and existing.admin \
            and verify_secret(settings.admin_secret, existing.secret_hash):
        return True
    raise SystemExit(ADMIN_KEY_TAKEN)


def _admin_created(key):
    """The act chaining the admin credential start-up creates: the facts the admin API chains for
    a credential it creates (the key, never the secret)."""
    return acts.credential_created(acts.STARTUP, key, "admin", ["all"], True, None)


def ensure_admin(storage, settings, store_name="default", announce=print):
    """Start-up: make sure the default store exists and has an admin credential.

    With LRS_ADMIN_KEY/LRS_ADMIN_SECRET set, that credential is created in the default store with
    scope `all` when the key is new. When the key already names a credential with another secret,
    store or scopes (or a revoked one), nothing is changed: start-up stops with one line
    (SystemExit) asking to revoke it or choose another key. Without them, a new database gets one
    generated credential, printed once.

    Both creations are administrative acts of the store's audit chain (issue 13), by "startup",
    each chained in the transaction that makes it; a start-up that creates nothing chains nothing.
    """
    store = storage.get_store(store_name)
    created_now = False
    if store is None:
        try:
            store = storage.create_store(store_name, act=acts.act(acts.STORE_CREATED, acts.STARTUP, name=store_name))
            created_now = True
        except ValueError:          # another worker created it at the same moment
            store = storage.get_store(store_name)
    if settings.admin_key:
        if configured_admin_exists(storage, settings, store):
            return None
        try:
            create_credential(storage, store.id, ["all"], name="admin", admin=True,
                              key=settings.admin_key, secret=settings.admin_secret,
                              iterations=settings.secret_hash_iterations,
                              act=_admin_created(settings.admin_key))
        except ValueError:          # created by another worker meanwhile
            pass
        return None
    if not created_now:             # only the process that created the database announces
        return None
    key = new_key()
    key, secret = create_credential(storage, store.id, ["all"], name="admin", admin=True, key=key,
                                    iterations=settings.secret_hash_iterations, act=_admin_created(key))
    announce("Created an admin credential for store %r (shown once):\n  key:    %s\n  secret: %s"
             % (store_name, key, secret))
    return key, secret


