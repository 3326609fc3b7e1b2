"""The forwarder behind a fault-injecting TCP proxy on loopback (issue 12, "Bad input and faults"):
connections dropped or reset, 500/502/503 and 429 with Retry-After, answers that never come
(past the timeout) and answers cut mid-body. Whatever the network does, the forwarder retries,
waits as long as Retry-After asks, never turns a transient fault into a dead letter, never has
one statement in two requests at the target at the same time, never delivers a statement twice
(the target ends with each statement once, same id and content) and never crashes.

Every test runs on sqlite and mongomock (the `backend` fixture of tests/federation/conftest.py).
"""
import json
import time
from dataclasses import replace
from email.utils import formatdate

import pytest

from lrs.federation.forwarder import Forwarder, ForwarderOptions
from tests.faultproxy import CUT, DROP, PASS, RESET, FaultProxy, Stall, Status

from .conftest import ADMIN
from .test_forwarder import assert_same, held_by, post, services_of, some_statements

OPTIONS = ForwarderOptions(batch_size=3, max_batch_size=3, pipeline=2, backoff_base_ms=1, backoff_max_ms=20,
                           timeout_s=0.5, max_attempts=50)


@pytest.fixture
def behind_proxy(department, agency, serve):
    """(proxy, rule): the department forwards to the agency through a FaultProxy."""
    proxies = []

    def make(faults=(), **options):
        proxy = FaultProxy(serve(agency).server.server_port, faults, **options)
        proxies.append(proxy)
        rule = services_of(department).forwarding.add("default", "to-agency", endpoint=proxy.url + "/xapi/",
                                                      key=ADMIN[0], secret=ADMIN[1], version="1.0.3", check=False)
        return proxy, rule

    yield make
    for proxy in proxies:
        proxy.close()


def drain(department, options=OPTIONS, max_wait_s=20):
    services = services_of(department)
    forwarder = Forwarder(services.storage, services.settings, services.forwarding, options)
    try:
        return forwarder.drain(max_wait_s=max_wait_s)
    finally:
        forwarder.close()


def state(department, rule):
    return services_of(department).storage.forwarding_counts(rule.id, 0)


def ids_in(seen):
    return {s["id"] for s in json.loads(seen.body)}


@pytest.mark.parametrize("fault", [DROP, RESET, Status(500), Status(502), Status(503), Stall(1.0), CUT],
                         ids=["dropped", "reset", "500", "502", "503", "stalled-past-the-timeout", "cut-mid-body"])
def test_a_transient_fault_is_retried_and_every_statement_arrives_once(department, agency, behind_proxy, fault):
    proxy, rule = behind_proxy([fault, fault])
    sent = {s["id"]: s for s in some_statements(6)}
    post(department, *sent.values())
    drain(department)
    assert_same(sent, held_by(agency))
    counts = state(department, rule)
    assert (counts.delivered, counts.dead, counts.pending) == (6, 0, 0)
    assert [seen.fault for seen in proxy.requests[:2]] == [fault, fault] and len(proxy.passed()) >= 2


def test_many_transient_faults_in_a_row_never_become_dead_letters(department, agency, behind_proxy):
    proxy, rule = behind_proxy([Status(503)] * 12)
    ids = post(department, *some_statements(3))
    drain(department, replace(OPTIONS, pipeline=1))
    assert sorted(held_by(agency)) == sorted(ids)
    assert (state(department, rule).delivered, state(department, rule).dead) == (3, 0)
    assert len(proxy.requests) == 13


@pytest.mark.parametrize("retry_after", ["2", "http-date"])
def test_retry_after_is_honoured_in_seconds_or_as_a_date(department, agency, behind_proxy, retry_after):
    value = formatdate(time.time() + 3, usegmt=True) if retry_after == "http-date" else retry_after
    proxy, rule = behind_proxy([Status(429, retry_after=value)])
    ids = post(department, *some_statements(3))
    drain(department)
    first, second = proxy.requests[:2]
    assert second.at - first.at >= 1.9                       # an HTTP date has whole seconds
    assert ids_in(second) == set(ids) and sorted(held_by(agency)) == sorted(ids)
    assert "429" in state(department, rule).last_error


def test_under_random_faults_nothing_is_lost_twice_in_flight_dead_or_crashing(department, agency, behind_proxy):
    """Half the requests meet a fault drawn with a fixed seed, 4 batches in flight at once."""
    proxy, rule = behind_proxy(rate=0.5, seed=12, choices=[DROP, RESET, Status(500), Status(503),
                                                           Status(429, retry_after="0"), Stall(0.7), CUT])
    sent = {s["id"]: s for s in some_statements(30)}
    post(department, *sent.values())
    drain(department, replace(OPTIONS, pipeline=4), max_wait_s=60)
    assert_same(sent, held_by(agency))
    counts = state(department, rule)
    assert (counts.delivered, counts.dead, counts.pending, counts.in_flight) == (30, 0, 0, 0)
    assert {seen.fault for seen in proxy.requests} - {PASS} != set()       # faults did happen
    at_target = [(seen.at, seen.answered_at, ids_in(seen)) for seen in proxy.passed()]
    for n, (start, end, ids) in enumerate(at_target):                      # never twice at the same time
        for other_start, other_end, other_ids in at_target[n + 1:]:
            if other_start < end and start < other_end:
                assert not ids & other_ids
