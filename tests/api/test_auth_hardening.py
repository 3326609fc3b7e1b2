"""Issue 11, defect 4: authentication is neither a timing oracle nor a denial-of-service lever.

- a failed attempt takes the same time whether the key exists or not (SEC-3 answers stay 401);
- failed attempts are limited per key and per client address: 429 with Retry-After, cheaply;
- a legitimate credential keeps working meanwhile;
- generated secrets are kept as SHA-256 (192 random bits), secrets chosen by a person as PBKDF2,
  and the PBKDF2 hashes of the previous release keep verifying.
"""
import hashlib
import statistics
import time

import pytest

import lrs.auth
from lrs.auth import Authenticator, create_credential, hash_secret, verify_secret
from lrs.config import ConfigError, Settings
from lrs.store import Credential
from lrs.throttle import FailureThrottle

from .conftest import ADMIN_KEY, ADMIN_SECRET, XAPIClient

ATTACKER, OTHER = "203.0.113.7", "198.51.100.20"
# made by the previous release's lrs.auth.hash_secret("legacy-secret-0123456789", 1000)
LEGACY_SECRET = "legacy-secret-0123456789"
LEGACY_HASH = "pbkdf2_sha256$1000$392PW5cX67M2fJDPSRmHxA==$IBH8s6mNXzDE4ZVEFAjKcJFlLXClCXn/DnqdajcOhV8="


def _get(app, key, secret, address="127.0.0.1", path="/xapi/statements?limit=1"):
    return XAPIClient(app, auth=(key, secret)).get(path, environ_base={"REMOTE_ADDR": address})


def _store_id(app):
    return app.extensions["lrs"].storage.get_store("default").id


def _median_ms(app, attempts):
    """Median time (ms) of each attempt, the attempts interleaved so that load affects all alike."""
    times = {name: [] for name, _ in attempts}
    for _ in range(41):
        for name, (key, secret) in attempts:
            started = time.perf_counter()
            assert _get(app, key, secret).status_code == 401
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


# --- timing -----------------------------------------------------------------------------

def test_a_wrong_secret_takes_as_long_as_an_unknown_key_issue_11(make_app):
    """Generated credential (default hashing) and the admin credential of the environment, hashed
    with the full 210,000 PBKDF2 iterations: wrong secrets for them fail as fast as unknown keys."""
    app = make_app(secret_hash_iterations=210_000, auth_failures_per_key=0, auth_failures_per_address=0)
    key, _ = create_credential(app.extensions["lrs"].storage, _store_id(app), ["all"])
    medians = _median_ms(app, [("unknown key", ("no-such-key", "wrong-secret")),
                               ("generated key", (key, "wrong-secret")),
                               ("admin key", (ADMIN_KEY, "wrong-secret"))])
    for name in ("generated key", "admin key"):
        assert abs(medians[name] - medians["unknown key"]) < 5.0, medians


# --- rate limits ------------------------------------------------------------------------

def test_failures_over_the_key_limit_get_429_with_retry_after_issue_11(make_app):
    app = make_app(auth_failures_per_key=3, auth_failures_per_address=0, auth_failure_window_seconds=60)
    statuses = [_get(app, ADMIN_KEY, "wrong-secret", ATTACKER).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    refused = _get(app, ADMIN_KEY, "wrong-secret", OTHER)        # per key: from any address
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.get_json()["error"]["status"] == 429
    assert _get(app, "another-key", "wrong-secret", ATTACKER).status_code == 401     # other keys not


def test_failures_over_the_address_limit_get_429_for_any_key_issue_11(make_app):
    app = make_app(auth_failures_per_key=0, auth_failures_per_address=3, auth_failure_window_seconds=60)
    statuses = [_get(app, "guess-%d" % n, "wrong-secret", ATTACKER).status_code for n in range(4)]
    assert statuses == [401, 401, 401, 429]
    refused = _get(app, "yet-another-key", "x", ATTACKER)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert _get(app, "guess-0", "wrong-secret", OTHER).status_code == 401        # other addresses not


def test_a_legitimate_credential_keeps_working_while_its_key_is_attacked_issue_11(make_app):
    app = make_app(auth_failures_per_key=3, auth_failures_per_address=6, auth_cache_seconds=0)
    key, secret = create_credential(app.extensions["lrs"].storage, _store_id(app), ["all"])
    for _ in range(5):
        _get(app, key, "wrong-secret", ATTACKER)
        _get(app, ADMIN_KEY, "wrong-secret", ATTACKER)
    assert _get(app, key, "wrong-secret", OTHER).status_code == 429
    assert _get(app, key, secret, OTHER).status_code == 200          # never verified before
    assert _get(app, ADMIN_KEY, ADMIN_SECRET, OTHER).status_code == 200
    assert _get(app, key, secret, ATTACKER).status_code == 200       # seen right: even from there


def test_a_key_over_its_limit_is_refused_without_the_slow_hash_issue_11(make_app, monkeypatch):
    app = make_app(auth_failures_per_key=2, auth_failures_per_address=0)
    app.extensions["lrs"].storage.add_credential(Credential(
        key="legacy", secret_hash=LEGACY_HASH, store_id=_store_id(app), scopes=["all"]))
    kdf_calls = []
    real_kdf = hashlib.pbkdf2_hmac
    monkeypatch.setattr(lrs.auth.hashlib, "pbkdf2_hmac", lambda *a: kdf_calls.append(1) or real_kdf(*a))
    assert [_get(app, "legacy", "wrong-secret").status_code for _ in range(3)] == [401, 401, 429]
    assert len(kdf_calls) == 2


def test_failure_counts_forget_after_the_window_issue_11():
    throttle = FailureThrottle(per_key=1, per_address=0, window_seconds=1)
    throttle.failed("k", ATTACKER)
    assert throttle.blocked("k", ATTACKER).key_retry == 1
    time.sleep(1.2)
    assert throttle.blocked("k", ATTACKER) is None


def test_a_forwarded_for_header_is_ignored_unless_proxies_are_trusted_issue_11(make_app):
    app = make_app(auth_failures_per_key=0, auth_failures_per_address=2)
    for n in range(2):
        XAPIClient(app, auth=("k%d" % n, "x")).get("/xapi/statements", headers={"X-Forwarded-For": "10.9.%d.1" % n})
    assert XAPIClient(app, auth=("k", "x")).get("/xapi/statements", headers={"X-Forwarded-For": "10.9.9.9"}
                                                ).status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_limited_issue_11(make_app):
    app = make_app(auth_failures_per_key=0, auth_failures_per_address=2, trusted_proxies=1)
    for _ in range(2):
        XAPIClient(app, auth=("k", "x")).get("/xapi/statements", headers={"X-Forwarded-For": ATTACKER})
    assert XAPIClient(app, auth=("k", "x")).get("/xapi/statements", headers={"X-Forwarded-For": ATTACKER}
                                                ).status_code == 429
    assert XAPIClient(app, auth=("k", "x")).get("/xapi/statements", headers={"X-Forwarded-For": OTHER}
                                                ).status_code == 401


# --- how secrets are kept ----------------------------------------------------------------

def test_generated_secrets_are_kept_as_sha256_and_chosen_ones_as_pbkdf2_issue_11(app):
    storage = app.extensions["lrs"].storage
    key, secret = create_credential(storage, _store_id(app), ["all"])
    assert storage.get_credential(key).secret_hash.startswith("sha256$")
    assert storage.get_credential(ADMIN_KEY).secret_hash.startswith("pbkdf2_sha256$")
    assert verify_secret(secret, storage.get_credential(key).secret_hash)
    assert not verify_secret(secret + "x", storage.get_credential(key).secret_hash)


def test_a_credential_hashed_by_the_previous_release_still_verifies_issue_11(app):
    app.extensions["lrs"].storage.add_credential(Credential(
        key="legacy", secret_hash=LEGACY_HASH, store_id=_store_id(app), scopes=["all"]))
    assert _get(app, "legacy", LEGACY_SECRET).status_code == 200
    assert _get(app, "legacy", LEGACY_SECRET + "x").status_code == 401


def test_pbkdf2_hashes_of_any_iteration_count_verify_issue_11():
    assert verify_secret(LEGACY_SECRET, hash_secret(LEGACY_SECRET, 210_000))
    assert not verify_secret("other", hash_secret(LEGACY_SECRET, 1000))


@pytest.mark.parametrize("weak", ["admin", "REPLACE_ME", "short-secret-1", "aaaaaaaabbbbbbbbcccc"])
def test_a_weak_admin_secret_is_refused_at_start_issue_11(weak):
    with pytest.raises(ConfigError, match="LRS_ADMIN_SECRET is too weak"):
        Settings.from_env({"LRS_ADMIN_KEY": "ops", "LRS_ADMIN_SECRET": weak})


def test_a_strong_admin_secret_is_accepted_issue_11():
    assert Settings.from_env({"LRS_ADMIN_KEY": "ops", "LRS_ADMIN_SECRET": "tr0ub4dor-&-3-horse-staple"})


def test_a_wrong_secret_for_a_verified_pbkdf2_credential_needs_no_kdf_issue_11(app, monkeypatch):
    authenticator = Authenticator(app.extensions["lrs"].storage, cache_seconds=0)
    authenticator.remember(ADMIN_KEY, ADMIN_SECRET)
    kdf_calls = []
    monkeypatch.setattr(lrs.auth.hashlib, "pbkdf2_hmac", lambda *a: kdf_calls.append(1))
    from lrs.errors import Unauthorized
    with pytest.raises(Unauthorized):
        authenticator.authenticate("Basic " + __import__("base64").b64encode(b"admin:wrong").decode())
    assert kdf_calls == []


# --- expiry and last use (issue 14) ------------------------------------------------------------

def _credential_expiring(app, expires_ms):
    from lrs.auth import create_credential
    storage = app.extensions["lrs"].storage
    return create_credential(storage, storage.get_store("default").id, ["statements/read"], expires_ms=expires_ms)


def test_an_expired_credential_is_refused_with_401(app, client):
    from lrs.timeutil import now_ms
    key, secret = _credential_expiring(app, now_ms() - 1)
    assert client.with_auth(key, secret).get("/xapi/statements").status_code == 401


def test_a_credential_is_refused_once_it_expires_even_when_trusted_from_before(app, client, monkeypatch):
    import lrs.auth
    from lrs.timeutil import now_ms
    key, secret = _credential_expiring(app, now_ms() + 60_000)
    assert client.with_auth(key, secret).get("/xapi/statements").status_code == 200
    monkeypatch.setattr(lrs.auth, "now_ms", lambda: now_ms() + 120_000)
    assert client.with_auth(key, secret).get("/xapi/statements").status_code == 401


def test_a_successful_request_records_the_credentials_last_use(app, client):
    key, secret = _credential_expiring(app, None)
    client.with_auth(key, secret).get("/xapi/statements")
    assert app.extensions["lrs"].storage.get_credential(key).last_used_ms > 0


def test_the_last_use_is_written_at_most_once_a_minute_per_process(app, client, monkeypatch):
    key, secret = _credential_expiring(app, None)
    storage = app.extensions["lrs"].storage
    writes = []
    original = storage.touch_credential
    monkeypatch.setattr(storage, "touch_credential", lambda *a: (writes.append(a), original(*a)))
    for _ in range(5):
        client.with_auth(key, secret).get("/xapi/statements")
        assert len(writes) == 1


def test_a_request_is_answered_when_the_last_use_cannot_be_written(app, client, monkeypatch):
    """The write is dropped when the database is busy (issue 14): the request does not fail."""
    from lrs.errors import StorageUnavailable
    key, secret = _credential_expiring(app, None)

    def busy(*arguments):
        raise StorageUnavailable("busy")
    monkeypatch.setattr(app.extensions["lrs"].storage, "touch_credential", busy)
    assert client.with_auth(key, secret).get("/xapi/statements").status_code == 200
