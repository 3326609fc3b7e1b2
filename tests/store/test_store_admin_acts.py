"""Administrative acts and their audit chain entries are one atomic write (issue 13, part 2: "each
administrative act (credential created/revoked, rule changed, erasure) is an entry").

Every storage method that makes an administrative change takes the act (chain.Act) and chains it
in the change's own transaction: when the chain write fails, the change is not made either (no
credential created, none revoked, no rule changed...), so an act can never be done yet missing
from the chain, which `audit verify` could not detect. When it succeeds, both are there and the
chain verifies, listing the act. On every backend (the chain write is made to fail in the
backend's own transaction class)."""
import uuid

import pytest

from lrs.audit import acts
from lrs.audit.verify import verify_store
from lrs.store import Credential, ForwardingRule, InsertBatch
from lrs.store.chain import ADMIN

from ..chain_faults import ChainWriteFailed, break_chain_writes
from .conftest import make_record


@pytest.fixture
def break_chain(storage, monkeypatch):
    """Make every chain write of the backend fail from the call on."""
    return lambda: break_chain_writes(storage, monkeypatch)


def _credential(storage, store, key="k1", scopes=("statements/write",)):
    storage.add_credential(Credential(key=key, secret_hash="h-" + key, store_id=store, scopes=list(scopes),
                                      name="LMS", created_ms=1))


def _rule(storage, store, target, name="up", active=True):
    rule = ForwardingRule(id=uuid.uuid4().hex, store_id=store, name=name, target_store_id=target,
                          filter={"verb": "http://adlnet.gov/expapi/verbs/completed"},
                          filters=[("verb", "http://adlnet.gov/expapi/verbs/completed")], active=active, created_ms=1)
    storage.add_forwarding_rule(rule)
    return rule


def _rules(storage, store, other=None):
    return [(r.name, r.active) for r in storage.list_forwarding_rules(store)]


# Each act's name -> (set-up, the act, what it changes as the store shows it, the store whose chain
# records it when not the store acted on): each takes (storage, store, other store), the act also
# the chain.Act to hand to the storage method.

def _setup_nothing(storage, store, other):
    return None


def _setup_credential(storage, store, other):
    _credential(storage, store)


def _setup_rule(storage, store, other):
    return _rule(storage, store, other)


def _setup_paused_rule(storage, store, other):
    return _rule(storage, store, other, active=False)


def _setup_rule_with_outbox(storage, store, other):
    rule = _rule(storage, store, other)
    storage.insert_statements(store, InsertBatch(statements=[make_record(
        keys=[("verb", "http://adlnet.gov/expapi/verbs/completed")])]))
    return rule


def _setup_setting(storage, store, other):
    storage.set_store_setting(store, "completion_rule", '{"old": true}')


def _setup_grant(storage, store, other):
    _credential(storage, other, key="auditor")
    storage.set_report_grants("auditor", [store])


def _set_active(active):
    return lambda storage, store, other, act: storage.set_forwarding_rule_active(
        storage.list_forwarding_rules(store)[0].id, active, act=act)


CASES = {
    acts.STORE_CREATED: (
        _setup_nothing,
        lambda storage, store, other, act: storage.create_store("finance", act=act),
        lambda storage, store, other: storage.get_store("finance"),
        lambda storage, store, other: storage.get_store("finance").id),
    acts.STORE_RENAMED: (
        _setup_nothing,
        lambda storage, store, other, act: storage.rename_store(store, "treasury", act=act),
        lambda storage, store, other: sorted(s.name for s in storage.list_stores()),
        None),
    acts.CREDENTIAL_CREATED: (
        _setup_nothing,
        lambda storage, store, other, act: storage.add_credential(
            Credential(key="k2", secret_hash="h", store_id=store, scopes=["statements/write"]), act=act),
        lambda storage, store, other: storage.get_credential("k2"),
        None),
    acts.CREDENTIAL_REVOKED: (
        _setup_credential,
        lambda storage, store, other, act: storage.revoke_credential("k1", act=act),
        lambda storage, store, other: storage.get_credential("k1").revoked,
        None),
    acts.CREDENTIAL_ROTATED: (
        _setup_credential,
        lambda storage, store, other, act: storage.update_credential("k1", {"secret_hash": "new"}, act=act),
        lambda storage, store, other: storage.get_credential("k1").secret_hash,
        None),
    acts.CREDENTIAL_CHANGED: (
        _setup_credential,
        lambda storage, store, other, act: storage.update_credential(
            "k1", {"scopes": ["statements/read"], "name": "LMS 2", "expires_ms": 4102444800000}, act=act),
        lambda storage, store, other: (lambda c: (c.scopes, c.name, c.expires_ms))(storage.get_credential("k1")),
        None),
    acts.FORWARDING_ADDED: (
        _setup_nothing,
        lambda storage, store, other, act: _add_rule(storage, store, other, act),
        _rules,
        None),
    acts.FORWARDING_PAUSED: (
        _setup_rule,
        _set_active(False), _rules, None),
    acts.FORWARDING_RESUMED: (
        _setup_paused_rule,
        _set_active(True), _rules, None),
    acts.FORWARDING_REMOVED: (
        _setup_rule_with_outbox,
        lambda storage, store, other, act: storage.remove_forwarding_rule(
            storage.list_forwarding_rules(store)[0].id, act=act),
        lambda storage, store, other: [(rule, storage.forwarding_counts(storage.list_forwarding_rules(store)[0].id,
                                                                        0).pending)
                                       for rule in _rules(storage, store)],
        None),
    acts.COMPLETION_RULE_SET: (
        _setup_setting,
        lambda storage, store, other, act: storage.set_store_setting(store, "completion_rule", '{"new": true}',
                                                                     act=act),
        lambda storage, store, other: storage.get_store_setting(store, "completion_rule"),
        None),
    acts.COMPLETION_RULE_RESET: (
        _setup_setting,
        lambda storage, store, other, act: storage.set_store_setting(store, "completion_rule", None, act=act),
        lambda storage, store, other: storage.get_store_setting(store, "completion_rule"),
        None),
    acts.REPORTS_GRANTED: (
        lambda storage, store, other: _credential(storage, other, key="auditor"),
        lambda storage, store, other, act: storage.set_report_grants("auditor", [store], granted=act),
        lambda storage, store, other: storage.report_grants("auditor"),
        None),
    acts.REPORTS_UNGRANTED: (
        _setup_grant,
        lambda storage, store, other, act: storage.set_report_grants("auditor", [], ungranted=act),
        lambda storage, store, other: storage.report_grants("auditor"),
        None),
}


def _add_rule(storage, store, other, act):
    rule = ForwardingRule(id=uuid.uuid4().hex, store_id=store, name="new", target_store_id=other, active=True,
                          created_ms=1)
    storage.add_forwarding_rule(rule, act=act)


def _chained_store(case, storage, store, other):
    """The store whose chain records the act: a new store's own, else the store acted on."""
    chained = CASES[case][3]
    return chained(storage, store, other) if chained else store


def _admin_entries(storage, store_id):
    return [entry for entry in storage.chain_entries(store_id, storage.chain_head(store_id).n) if entry.kind == ADMIN]


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_act_whose_chain_entry_cannot_be_written_is_not_done(case, storage, store, other_store, break_chain):
    """Issue 13, part 2: the act and its chain entry are kept both or neither."""
    setup, act, observe, _ = CASES[case]
    setup(storage, store, other_store)
    before, head = observe(storage, store, other_store), storage.chain_head(store)
    break_chain()
    with pytest.raises(ChainWriteFailed):
        act(storage, store, other_store, acts.act(case, "cli", key="k1"))
    assert observe(storage, store, other_store) == before
    assert storage.chain_head(store) == head


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_act_done_is_in_its_stores_chain_which_verifies_and_lists_it(case, storage, store, other_store):
    """Issue 13, part 2: a successful act is an entry of the chain, and `audit verify` passes and
    names it with its facts."""
    setup, act, observe, _ = CASES[case]
    setup(storage, store, other_store)
    before = observe(storage, store, other_store)
    act(storage, store, other_store, acts.act(case, "admin-key", key="k1"))
    assert observe(storage, store, other_store) != before
    chained = _chained_store(case, storage, store, other_store)
    ((entry_name, facts),) = [(e.id, e.target) for e in _admin_entries(storage, chained)]
    assert entry_name == case and '"by":"admin-key"' in facts
    result = verify_store(storage, chained)
    assert result.ok, result.problem
    assert [(name, facts["by"], facts["key"]) for _, name, facts in result.acts] == [(case, "admin-key", "k1")]


def test_an_act_that_changes_nothing_is_not_chained(storage, store, other_store):
    """Revoking a revoked credential, changing a missing one, pausing a removed rule, granting what
    is granted already: no change, no entry."""
    _credential(storage, store)
    storage.revoke_credential("k1")
    rule = _rule(storage, store, other_store)
    storage.remove_forwarding_rule(rule.id)
    storage.set_report_grants("k1", [other_store])
    head = storage.chain_head(store)
    assert storage.revoke_credential("k1", act=acts.act(acts.CREDENTIAL_REVOKED, "cli", key="k1")) is False
    assert storage.update_credential("nobody", {"name": "x"}, act=acts.act(acts.CREDENTIAL_CHANGED, "cli")) is False
    assert storage.set_forwarding_rule_active(rule.id, False, act=acts.act(acts.FORWARDING_PAUSED, "cli")) is False
    assert storage.remove_forwarding_rule(rule.id, act=acts.act(acts.FORWARDING_REMOVED, "cli")) is False
    assert storage.rename_store(uuid.uuid4().hex, "ghost", act=acts.act(acts.STORE_RENAMED, "cli")) is False
    storage.set_report_grants("k1", [other_store], granted=acts.act(acts.REPORTS_GRANTED, "cli", key="k1"),
                              ungranted=acts.act(acts.REPORTS_UNGRANTED, "cli", key="k1"))
    assert storage.chain_head(store) == head
    assert _admin_entries(storage, other_store) == []


def test_a_refused_act_is_not_chained(storage, store, other_store):
    """A name taken, a key taken: ValueError as before, and no entry."""
    _credential(storage, store)
    _rule(storage, store, other_store)
    head = storage.chain_head(store)
    with pytest.raises(ValueError):
        storage.create_store("department", act=acts.act(acts.STORE_CREATED, "cli", name="department"))
    with pytest.raises(ValueError):
        storage.rename_store(store, "agency", act=acts.act(acts.STORE_RENAMED, "cli"))
    with pytest.raises(ValueError):
        _credential_with_act(storage, store)
    with pytest.raises(ValueError):
        _rule_with_act(storage, store, other_store)
    assert storage.chain_head(store) == head


def _credential_with_act(storage, store):
    storage.add_credential(Credential(key="k1", secret_hash="h", store_id=store, scopes=[]),
                           act=acts.act(acts.CREDENTIAL_CREATED, "cli", key="k1"))


def _rule_with_act(storage, store, other):
    storage.add_forwarding_rule(ForwardingRule(id=uuid.uuid4().hex, store_id=store, name="up", target_store_id=other),
                                act=acts.act(acts.FORWARDING_ADDED, "cli", rule="up"))


def test_grants_given_and_taken_back_in_one_change_are_chained_in_each_store(storage, store, other_store):
    third = storage.create_store("third").id
    storage.set_report_grants("auditor", [store])
    storage.set_report_grants("auditor", [other_store, third],
                              granted=acts.act(acts.REPORTS_GRANTED, "cli", key="auditor"),
                              ungranted=acts.act(acts.REPORTS_UNGRANTED, "cli", key="auditor"))
    assert [[e.id for e in _admin_entries(storage, s)] for s in (store, other_store, third)] == [
        [acts.REPORTS_UNGRANTED], [acts.REPORTS_GRANTED], [acts.REPORTS_GRANTED]]
