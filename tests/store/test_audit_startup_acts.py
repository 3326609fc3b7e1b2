"""Start-up's administrative acts in the audit chain (issue 13, "each administrative act ... is an
entry"): the default store and the admin credential that start-up creates (lrs.auth.ensure_admin,
from LRS_ADMIN_KEY/LRS_ADMIN_SECRET or generated and printed once) are chained as the admin API
and the command line chain them, by "startup", in the transaction of the change and without the
secret; a start-up that creates nothing chains nothing, and `audit verify` passes. Both backends."""
import json

import pytest

from lrs.__main__ import main
from lrs.audit.acts import STARTUP
from lrs.audit.verify import verify_store
from lrs.auth import ensure_admin
from lrs.config import Settings
from lrs.store.chain import ADMIN

from ..chain_faults import ChainWriteFailed, break_chain_writes

SECRET = "s3cret-value-for-tests"


def _settings(opener, **changes):
    return Settings(database_url=opener.url, secret_hash_iterations=1000, **changes)


def _start(storage, settings):
    """Start-up as the application runs it: (the announced key and secret or None, the texts announced)."""
    said = []
    return ensure_admin(storage, settings, announce=said.append), said


def _acts(storage, store_name="default"):
    store = storage.get_store(store_name)
    return [(e.id, json.loads(e.target)) for e in storage.chain_entries(store.id, storage.chain_head(store.id).n)
            if e.kind == ADMIN]


def _chain_text(storage):
    store = storage.get_store("default")
    return json.dumps([(e.id, e.target, e.detail) for e in storage.chain_entries(store.id, storage.chain_head(store.id).n)])


def _expected(key):
    return [("store.created", {"by": STARTUP, "name": "default"}),
            ("credential.created", {"by": STARTUP, "key": key, "name": "admin", "scopes": ["all"], "admin": True,
                                    "expires": None})]


def _without_time(acts):
    return [(name, {field: value for field, value in facts.items() if field != "at"}) for name, facts in acts]


def test_start_up_chains_the_default_store_and_the_generated_admin_credential_issue_13(opener, storage):
    (key, secret), said = _start(storage, _settings(opener))
    acts = _acts(storage)
    assert _without_time(acts) == _expected(key)
    assert all(facts["at"].endswith("Z") for _, facts in acts)
    text = _chain_text(storage)
    assert secret not in text and storage.get_credential(key).secret_hash not in text    # never the secret
    assert len(said) == 1 and key in said[0]


def test_start_up_chains_the_configured_admin_credential_without_its_secret_issue_13(opener, storage):
    assert _start(storage, _settings(opener, admin_key="ops", admin_secret=SECRET)) == (None, [])
    assert _without_time(_acts(storage)) == _expected("ops")
    text = _chain_text(storage)
    assert SECRET not in text and storage.get_credential("ops").secret_hash not in text


def test_a_configured_admin_key_added_later_chains_only_its_credential_issue_13(opener, storage):
    _start(storage, _settings(opener))
    before = storage.chain_head(storage.get_store("default").id).n
    _start(storage, _settings(opener, admin_key="ops", admin_secret=SECRET))
    store = storage.get_store("default").id
    assert storage.chain_head(store).n == before + 1
    assert _without_time(_acts(storage)[-1:]) == _expected("ops")[1:]


@pytest.mark.parametrize("changes", [{}, {"admin_key": "ops", "admin_secret": SECRET}], ids=["generated", "configured"])
def test_starting_again_with_the_credential_there_chains_nothing_issue_13(opener, storage, changes):
    _start(storage, _settings(opener, **changes))
    store = storage.get_store("default").id
    head = storage.chain_head(store)
    again = opener()                                    # another process starting on the same database
    assert _start(again, _settings(opener, **changes)) == (None, [])
    assert again.chain_head(store) == head and storage.chain_head(store) == head
    assert len(again.list_credentials()) == 1


@pytest.mark.parametrize("changes", [{}, {"admin_key": "ops", "admin_secret": SECRET}], ids=["generated", "configured"])
def test_audit_verify_passes_after_start_up_and_lists_its_acts_issue_13(opener, storage, changes, monkeypatch,
                                                                         capsys):
    _start(storage, _settings(opener, **changes))
    key = storage.list_credentials()[0].key
    assert verify_store(storage, storage.get_store("default").id).ok
    monkeypatch.setenv("LRS_DATABASE_URL", opener.url)
    capsys.readouterr()
    main(["audit", "verify"])
    out = capsys.readouterr().out
    assert "store default: 2 entries verify" in out and out.rstrip().endswith("everything verifies")
    assert "by startup: store.created name default" in out
    assert "by startup: credential.created admin true, expires null, key %s, name admin" % key in out


def test_a_start_up_whose_chain_write_fails_creates_nothing_issue_13(opener, storage, monkeypatch):
    """The store and its chain entry are one write: start-up fails, and the next one starts afresh."""
    break_chain_writes(storage, monkeypatch)
    with pytest.raises(ChainWriteFailed):
        _start(storage, _settings(opener, admin_key="ops", admin_secret=SECRET))
    monkeypatch.undo()
    assert storage.get_store("default") is None and storage.get_credential("ops") is None
    _start(storage, _settings(opener, admin_key="ops", admin_secret=SECRET))
    assert _without_time(_acts(storage)) == _expected("ops")
