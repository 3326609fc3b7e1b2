"""Administrative acts in the audit chain (issue 13, "each administrative act ... is an entry"):
whatever the admin API, the console or the command line does to a store is an entry of that
store's chain naming who (the administrator's key, or "cli"), when and what, never a secret; and
`audit verify` lists them; an act whose entry cannot be written is not done. On both backends."""
import json
import re

import pytest

from lrs.__main__ import main
from lrs.audit.acts import STARTUP
from lrs.audit.verify import describe, verify_store
from lrs.store.chain import ADMIN

from ..chain_faults import ChainWriteFailed, break_chain_writes
from .conftest import ADMIN_KEY, ADMIN_SECRET
from .test_admin_api import Admin


@pytest.fixture
def api(app):
    return Admin(app)


def _acts(app, store_name="default", startup=False):
    """The store's administrative acts, oldest first; without those start-up chained (the default
    store's creation and its admin credential's) unless `startup`."""
    storage = app.extensions["lrs"].storage
    store = storage.get_store(store_name)
    return [(e.id, facts) for e, facts in ((e, json.loads(e.target))
                                           for e in storage.chain_entries(store.id, storage.chain_head(store.id).n)
                                           if e.kind == ADMIN)
            if startup or facts["by"] != STARTUP]


def _created(api, **fields):
    body = {"store": "default", "scopes": ["statements/write"]}
    body.update(fields)
    response = api.post("/credentials", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_credential_created_through_the_api_is_recorded_with_the_administrators_key(api, app):
    made = _created(api, name="LMS", scopes=["statements/write", "statements/read"])
    ((name, facts),) = _acts(app)
    assert name == "credential.created"
    assert facts["by"] == ADMIN_KEY and re.match(r"\d{4}-\d\d-\d\dT", facts["at"])
    assert (facts["key"], facts["name"], facts["scopes"]) == (made["key"], "LMS", ["statements/write", "statements/read"])


def test_the_applications_start_up_chained_the_default_store_and_the_admin_credential(app):
    """Issue 13: what start-up created (the default store, LRS_ADMIN_KEY's credential) is chained
    by "startup", as the admin API chains it, without the secret (tests/store/test_audit_startup_acts.py)."""
    assert [(name, facts["by"], facts.get("key")) for name, facts in _acts(app, startup=True)] == [
        ("store.created", STARTUP, None), ("credential.created", STARTUP, ADMIN_KEY)]
    assert ADMIN_SECRET not in json.dumps(_acts(app, startup=True))


def test_no_secret_and_no_secret_hash_ever_enters_the_chain(api, app):
    made = _created(api)
    rotated = api.post("/credentials/%s/rotate" % made["key"]).get_json()
    storage = app.extensions["lrs"].storage
    hashes = [storage.get_credential(made["key"]).secret_hash]
    text = json.dumps(_acts(app))
    for secret in (made["secret"], rotated["secret"]) + tuple(hashes):
        assert secret not in text


def test_revoking_rotating_and_changing_scopes_are_each_recorded(api, app):
    key = _created(api)["key"]
    api.patch("/credentials/%s" % key, json={"scopes": ["statements/read"], "expires": "2099-01-31"})
    api.post("/credentials/%s/rotate" % key)
    api.post("/credentials/%s/revoke" % key)
    acts = _acts(app)
    assert [name for name, _ in acts] == ["credential.created", "credential.changed", "credential.rotated",
                                          "credential.revoked"]
    assert acts[1][1]["scopes"] == ["statements/read"] and acts[1][1]["expires"].startswith("2099-02-01")
    assert all(facts["key"] == key and facts["by"] == ADMIN_KEY for _, facts in acts)


def test_a_store_created_and_renamed_is_recorded_in_its_own_chain(api, app):
    assert api.post("/stores", json={"name": "finance"}).status_code == 201
    assert api.patch("/stores/finance", json={"name": "treasury"}).status_code == 200
    assert [(name, facts.get("name"), facts.get("new_name")) for name, facts in _acts(app, "treasury")] == [
        ("store.created", "finance", None), ("store.renamed", "finance", "treasury")]
    assert _acts(app) == []                     # nothing in another store's chain


def test_forwarding_rule_changes_are_recorded(api, app):
    api.post("/stores", json={"name": "agency"})
    assert api.post("/forwarding", json={"store": "default", "name": "up", "to_store": "agency",
                                         "filter": {"verb": "http://adlnet.gov/expapi/verbs/completed"}}
                    ).status_code == 201
    for path in ("/forwarding/default/up/pause", "/forwarding/default/up/resume"):
        assert api.post(path).status_code == 200
    assert api.open("DELETE", "/forwarding/default/up").status_code == 200
    acts = _acts(app)
    assert [name for name, _ in acts] == ["forwarding.added", "forwarding.paused", "forwarding.resumed",
                                          "forwarding.removed"]
    assert acts[0][1]["to_store"] == "agency" and acts[0][1]["filter"] == {
        "verb": "http://adlnet.gov/expapi/verbs/completed"}
    assert {facts["rule"] for _, facts in acts} == {"up"}


def test_a_completion_rule_set_and_reset_is_recorded_with_the_rule(api, app):
    rule = {"completion_verbs": ["http://adlnet.gov/expapi/verbs/passed"]}
    assert api.open("PUT", "/stores/default/completion-rule", json=rule).status_code == 200
    assert api.open("DELETE", "/stores/default/completion-rule").status_code == 200
    acts = _acts(app)
    assert [(name, facts["by"]) for name, facts in acts] == [("completion-rule.set", ADMIN_KEY),
                                                            ("completion-rule.reset", ADMIN_KEY)]
    assert acts[0][1]["rule"]["completion_verbs"] == ["http://adlnet.gov/expapi/verbs/passed"]


def test_report_grants_given_and_taken_back_are_recorded_in_the_granted_stores_chain(api, app):
    api.post("/stores", json={"name": "finance"})
    key = _created(api, scopes=["reports/read"])["key"]
    assert api.open("PUT", "/credentials/%s/report-stores" % key, json={"stores": ["finance"]}).status_code == 200
    assert api.open("PUT", "/credentials/%s/report-stores" % key, json={"stores": ["finance"]}).status_code == 200
    assert api.open("PUT", "/credentials/%s/report-stores" % key, json={"stores": []}).status_code == 200
    granting = [(name, facts["key"], facts["by"]) for name, facts in _acts(app, "finance") if name.startswith("reports.")]
    assert granting == [("reports.granted", key, ADMIN_KEY), ("reports.ungranted", key, ADMIN_KEY)]   # the same grant twice: once


def test_a_refused_act_records_nothing(api, app):
    assert api.post("/credentials", json={"store": "default", "scopes": ["no/such"]}).status_code == 400
    assert api.post("/credentials/nobody/revoke").status_code == 404
    assert _acts(app) == []


def test_the_chain_with_acts_verifies_and_verify_lists_them(api, app):
    key = _created(api)["key"]
    api.post("/credentials/%s/revoke" % key)
    storage = app.extensions["lrs"].storage
    result = verify_store(storage, storage.get_store("default").id)
    assert result.ok, result.problem
    lines = describe(result)
    assert len(_acts(app)) == 2
    assert "%d administrative acts" % len(_acts(app, startup=True)) in lines[0]     # start-up's too
    assert any("by %s: credential.revoked key %s" % (ADMIN_KEY, key) in line for line in lines)


def test_acts_from_the_command_line_are_recorded_by_cli(app, monkeypatch, capsys):
    storage = app.extensions["lrs"].storage
    monkeypatch.setenv("LRS_DATABASE_URL", app.extensions["lrs"].settings.database_url)
    monkeypatch.setenv("LRS_SECRET_HASH_ITERATIONS", "1000")
    main(["stores", "create", "payroll"])
    main(["credentials", "create", "--store", "payroll", "--scopes", "statements/read"])
    acts = _acts(app, "payroll")
    assert [(name, facts["by"]) for name, facts in acts] == [("store.created", "cli"), ("credential.created", "cli")]
    capsys.readouterr()
    main(["audit", "verify", "--store", "payroll"])
    out = capsys.readouterr().out
    assert "2 administrative acts" in out and "by cli: store.created name payroll" in out
    assert storage.get_store("payroll") is not None


def test_acts_done_in_the_console_are_recorded_with_the_signed_in_administrators_key(app):
    from .test_console import Console
    browser = Console(app)
    assert browser.sign_in().status_code == 302
    browser.get("/stores")
    assert browser.post("/stores", {"name": "health"}).status_code == 302
    assert browser.post("/stores/health/rename", {"name": "wellbeing"}).status_code == 302
    assert [(name, facts["by"]) for name, facts in _acts(app, "wellbeing")] == [
        ("store.created", ADMIN_KEY), ("store.renamed", ADMIN_KEY)]


# --- an act and its chain entry are one write (issue 13, part 2) -------------------------------------

def _prepared(admin):
    """A second store, an auditor's credential granted it, an active and a paused forwarding rule
    and a completion rule: what the acts below act on. The auditor's key."""
    admin.create_store("agency")
    view, _ = admin.create_credential("default", name="auditor", scopes=["reports/read"])
    admin.set_report_grants(view["key"], ["agency"])
    admin.add_forwarding_rule("default", "up", to_store="agency")
    admin.add_forwarding_rule("default", "idle", to_store="agency")
    admin.pause_forwarding_rule("default", "idle")
    admin.set_completion_rule("default", {"completion_verbs": ["http://adlnet.gov/expapi/verbs/passed"]})
    return view["key"]


def _state(admin, key):
    """Everything an administrative act can change, as the service and the store show it."""
    storage = admin.storage
    return {"stores": [store["name"] for store in admin.list_stores(usage=False)],
            "credentials": [(c["key"], c["name"], c["scopes"], c["state"], c["expires"],
                             storage.get_credential(c["key"]).secret_hash) for c in admin.list_credentials()],
            "forwarding": [(rule["name"], rule["state"]) for rule in admin.forwarding_states()],
            "completion rule": admin.completion_rule("default")["rule"],
            "grants": admin.report_grants(key)["stores"]}


def _heads(storage):
    return {store.name: storage.chain_head(store.id) for store in storage.list_stores()}


SERVICE_ACTS = {
    "store.created": lambda admin, key: admin.create_store("finance"),
    "store.renamed": lambda admin, key: admin.rename_store("agency", "treasury"),
    "credential.created": lambda admin, key: admin.create_credential("default", name="LMS"),
    "credential.revoked": lambda admin, key: admin.revoke_credential(key),
    "credential.rotated": lambda admin, key: admin.rotate_secret(key),
    "credential.changed": lambda admin, key: admin.update_credential(key, scopes=["statements/read"],
                                                                     expires="2099-01-31"),
    "forwarding.added": lambda admin, key: admin.add_forwarding_rule("default", "down", to_store="agency"),
    "forwarding.paused": lambda admin, key: admin.pause_forwarding_rule("default", "up"),
    "forwarding.resumed": lambda admin, key: admin.resume_forwarding_rule("default", "idle"),
    "forwarding.removed": lambda admin, key: admin.remove_forwarding_rule("default", "up"),
    "completion-rule.set": lambda admin, key: admin.set_completion_rule("default", {"result_success": False}),
    "completion-rule.reset": lambda admin, key: admin.set_completion_rule("default", None),
    "reports.granted": lambda admin, key: admin.set_report_grants(key, ["agency", "default"]),
    "reports.ungranted": lambda admin, key: admin.set_report_grants(key, []),
}


@pytest.mark.parametrize("act", sorted(SERVICE_ACTS))
def test_an_act_whose_chain_entry_cannot_be_written_is_not_done(act, app, monkeypatch):
    """Issue 13, part 2: when the chain write fails, the administration service's act fails with it
    and nothing of it is kept (before, the act was done and then missing from the chain)."""
    admin = app.extensions["lrs"].admin
    key = _prepared(admin)
    before, heads = _state(admin, key), _heads(admin.storage)
    break_chain_writes(admin.storage, monkeypatch)
    with pytest.raises(ChainWriteFailed):
        SERVICE_ACTS[act](admin, key)
    monkeypatch.undo()
    assert _state(admin, key) == before
    assert _heads(admin.storage) == heads


@pytest.mark.parametrize("act", sorted(SERVICE_ACTS))
def test_an_act_done_by_the_service_is_in_the_chain_which_verifies(act, app):
    """Issue 13, part 2: the act is done, its entry is the newest act of the store it concerns, and
    every store's chain verifies."""
    admin = app.extensions["lrs"].admin
    key = _prepared(admin)
    before = _state(admin, key)
    SERVICE_ACTS[act](admin, key)
    assert _state(admin, key) != before
    storage = admin.storage
    newest = {name: _acts(app, name)[-1][0] for name in _heads(storage) if _acts(app, name)}
    assert act in newest.values()
    for store in storage.list_stores():
        result = verify_store(storage, store.id)
        assert result.ok, result.problem
