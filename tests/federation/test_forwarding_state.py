"""A rule's state at a glance (issue 12, item 3): dead letters listed with the target's answer,
replayed or dropped from the CLI; pending, in flight, delivered, dead, oldest pending age and last
error in `forwarding list`; the same as Prometheus metrics lrs_forward_* on /metrics."""
import json
import re

from tests.api.conftest import statement

from .conftest import FaultInjector, client_of
from .test_forwarder import forwarder_of, post, remote_rule, services_of, some_statements, held_by

REFUSAL = (400, {}, "statement refused: unknown verb")


def refused_then_fixed(department, agency, serve):
    """A rule whose target refuses everything until `target.always` is cleared."""
    target = FaultInjector(agency, always=REFUSAL)
    served = serve(target)
    return target, remote_rule(department, served)


def test_dead_letters_are_listed_with_the_targets_answer(department, agency, serve, cli):
    target, rule = refused_then_fixed(department, agency, serve)
    ids = post(department, *some_statements(2))
    forwarder_of(department).drain()
    listed = json.loads(cli("forwarding", "dead-letters", "list", rule.name, "--json"))
    assert [d["statement"] for d in listed] == ids
    assert all(d["error"].startswith("400") and REFUSAL[2] in d["error"] for d in listed)
    assert REFUSAL[2] in cli("forwarding", "dead-letters", "list", rule.name)


def test_dead_letters_retried_are_delivered(department, agency, serve, cli):
    target, rule = refused_then_fixed(department, agency, serve)
    ids = post(department, *some_statements(2))
    forwarder_of(department).drain()
    target.always = None                                     # the target's administrator fixed it
    assert "retrying 2 dead letters" in cli("forwarding", "dead-letters", "retry", rule.name)
    forwarder_of(department).drain()
    assert sorted(held_by(agency)) == sorted(ids)
    assert services_of(department).storage.list_dead_letters(rule.id) == []


def test_one_dead_letter_is_retried_by_its_seq(department, agency, serve, cli):
    target, rule = refused_then_fixed(department, agency, serve)
    ids = post(department, *some_statements(2))
    forwarder_of(department).drain()
    first = json.loads(cli("forwarding", "dead-letters", "list", rule.name, "--json"))[0]
    target.always = None
    assert "retrying 1 dead letters" in cli("forwarding", "dead-letters", "retry", rule.name, "--seq", str(first["seq"]))
    forwarder_of(department).drain()
    assert list(held_by(agency)) == [ids[0]]


def test_dead_letters_dropped_are_gone(department, agency, serve, cli):
    target, rule = refused_then_fixed(department, agency, serve)
    post(department, *some_statements(2))
    forwarder_of(department).drain()
    assert "dropped 2 dead letters" in cli("forwarding", "dead-letters", "drop", rule.name)
    assert cli("forwarding", "dead-letters", "list", rule.name) == ""
    assert services_of(department).storage.forwarding_counts(rule.id, 0).dead == 0


def test_forwarding_list_shows_a_rules_state(department, agency, serve, cli):
    target, rule = refused_then_fixed(department, agency, serve)
    post(department, statement())
    forwarder_of(department).drain()
    post(department, statement())
    state, = json.loads(cli("forwarding", "list", "--json"))
    assert (state["pending"], state["in_flight"], state["delivered"], state["dead"]) == (1, 0, 0, 1)
    assert state["oldest_pending_age_ms"] >= 0 and REFUSAL[2] in state["last_error"]
    line = cli("forwarding", "list")
    assert "pending 1" in line and "dead 1" in line and "last error: 400" in line


def metric(app, name, rule):
    text = client_of(app).get("/metrics").get_data(as_text=True)
    found = re.search(r'^%s\{rule="%s",store="default",target="[^"]+"\} (\S+)$' % (name, rule.name), text, re.M)
    return float(found.group(1)) if found else None


def test_metrics_show_each_rules_state(department, agency, serve):
    served = serve(agency)
    rule = remote_rule(department, served)
    post(department, *some_statements(3))
    assert metric(department, "lrs_forward_pending", rule) == 3
    assert metric(department, "lrs_forward_delivered_total", rule) == 0
    assert metric(department, "lrs_forward_oldest_pending_age_seconds", rule) >= 0
    forwarder_of(department).drain()
    assert metric(department, "lrs_forward_pending", rule) == 0
    assert metric(department, "lrs_forward_delivered_total", rule) == 3
    assert metric(department, "lrs_forward_in_flight", rule) == 0
    assert metric(department, "lrs_forward_dead", rule) == 0
    assert metric(department, "lrs_forward_active", rule) == 1
