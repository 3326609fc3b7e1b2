"""The forwarder (issue 12, item 3): delivers each rule's outbox in stored order, idempotently,
to another store of the deployment (no HTTP) or to a remote xAPI LRS over HTTP; retries transient
failures with back-off; dead-letters what a target refuses, with its answer; leases let a second
forwarder take over a crashed one's entries without delivering anything twice.

Every test runs on sqlite and mongomock (the `backend` fixture of tests/federation/conftest.py).
"""
import hashlib
import io
import json
import threading
import time
import uuid
from dataclasses import replace

import pytest

from lrs.federation.forwarder import Forwarder, ForwarderOptions
from lrs.xapi.compare import equivalent
from werkzeug.wrappers import Response
from tests.api.conftest import statement
from tests.api.test_attachments import TEXT, attachment, post_multipart, served_attachments
from tests.api.test_signatures import post_signed
from tests.unit.test_signatures import sign, signature_attachment

from .conftest import ADMIN, CUT_SHORT, FaultInjector, Stall, client_of

VERB = "http://adlnet.gov/expapi/verbs/completed"
FAST = ForwarderOptions(batch_size=3, max_batch_size=3, backoff_base_ms=1, backoff_max_ms=20, timeout_s=5)


def services_of(app):
    return app.extensions["lrs"]


def forwarder_of(app, options=FAST, **kwargs):
    services = services_of(app)
    return Forwarder(services.storage, services.settings, services.forwarding, options, **kwargs)


def post(app, *statements):
    response = client_of(app).post_statements(list(statements))
    assert response.status_code == 200, response.data
    return response.get_json()


def some_statements(n):
    return [statement(id=str(uuid.uuid4()), actor={"mbox": "mailto:learner%d@example.gov" % i}) for i in range(n)]


def remote_rule(app, served, version="1.0.3", name="to-agency", check=False):
    """A rule to the served target; not checked by default, so that a target's scripted faults all
    go to the forwarder (checking a target when a rule is created: test_rule_checks.py)."""
    return services_of(app).forwarding.add("default", name, endpoint=served.url + "/xapi/", key=ADMIN[0],
                                           secret=ADMIN[1], version=version, check=check)


def held_by(app, version="1.0.3"):
    """{id: statement} the app's default store holds, read over its API."""
    response = client_of(app, version).get("/xapi/statements?limit=1000")
    assert response.status_code == 200
    return {s["id"]: s for s in response.get_json()["statements"]}


def stored_in(app, store_name, ids):
    storage = services_of(app).storage
    store = storage.get_store(store_name)
    return {i: json.loads(s.body) for i, s in storage.get_statements(store.id, ids).items()}


def counts(app, rule):
    return services_of(app).storage.forwarding_counts(rule.id, 0)


def assert_same(sent, held):
    assert sorted(held) == sorted(sent)
    for statement_id, original in sent.items():
        assert equivalent(original, held[statement_id]), statement_id


# --- store to store ------------------------------------------------------------------------------

def test_store_to_store_delivers_every_statement_with_its_id_and_content(department):
    services = services_of(department)
    services.storage.create_store("agency")
    rule = services.forwarding.add("default", "to-agency", to_store="agency")
    ids = post(department, *some_statements(7))
    assert forwarder_of(department).drain() == 7
    originals = stored_in(department, "default", ids)
    assert_same(originals, stored_in(department, "agency", ids))
    assert (counts(department, rule).delivered, counts(department, rule).pending) == (7, 0)


def test_store_to_store_forwards_voiding_and_the_target_applies_it_VOID_2(department):
    services = services_of(department)
    agency_id = services.storage.create_store("agency").id
    services.forwarding.add("default", "to-agency", to_store="agency")
    target, = post(department, statement())
    voiding, = post(department, statement(verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
                                          object={"objectType": "StatementRef", "id": target}))
    forwarder_of(department).drain()
    held = services.storage.get_statements(agency_id, [target, voiding])
    assert held[target].voided and held[voiding].is_voiding


VOIDED = {"id": "http://adlnet.gov/expapi/verbs/voided"}


def voiding_of(statement_id, **overrides):
    return statement(verb=VOIDED, object={"objectType": "StatementRef", "id": statement_id}, **overrides)


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_a_voiding_the_department_got_before_its_target_voids_the_target_at_the_agency_VOID_4(
        department, make_app, serve, version):
    """The rule takes completions only; the voiding came first, unknown target and all (VOID-3),
    and matched nothing. When the completion arrives the voiding goes along, so the agency
    holds the completion voided, as the department does."""
    agency = make_app("agency" + version.replace(".", ""))
    rule = services_of(department).forwarding.add("default", "completions", filter={"verb": VERB},
                                                  endpoint=serve(agency).url + "/xapi/", key=ADMIN[0],
                                                  secret=ADMIN[1], version=version)
    target_id = str(uuid.uuid4())
    voiding, = post(department, voiding_of(target_id))
    post(department, statement(id=target_id))
    forwarder_of(department).drain()
    agency_client = client_of(agency, version)
    assert agency_client.get("/xapi/statements?statementId=" + target_id).status_code == 404       # VOID-10
    assert agency_client.get("/xapi/statements?voidedStatementId=" + target_id).status_code == 200
    assert agency_client.get("/xapi/statements?statementId=" + voiding).status_code == 200
    assert (counts(department, rule).delivered, counts(department, rule).dead) == (2, 0)


def test_a_comment_the_department_got_before_the_completion_it_refers_to_reaches_the_agency_QRY_24(
        department, make_app, serve):
    """An instructor's comment (a StatementRef) came before the completion it comments on; the
    rule takes completions and, as its query would, what refers to them: once the completion
    arrives both are delivered, the comment first, and the agency finds it through the completion."""
    agency = make_app("agency-refs")
    services_of(department).forwarding.add("default", "completions", filter={"verb": VERB},
                                           endpoint=serve(agency).url + "/xapi/", key=ADMIN[0], secret=ADMIN[1],
                                           version="2.0.0", check=False)
    target_id = str(uuid.uuid4())
    comment, = post(department, statement(verb={"id": "http://adlnet.gov/expapi/verbs/commented"},
                                          object={"objectType": "StatementRef", "id": target_id}))
    post(department, statement(id=target_id))
    forwarder_of(department).drain()
    assert sorted(held_by(agency, "2.0.0")) == sorted([comment, target_id])
    found = client_of(agency, "2.0.0").get("/xapi/statements?verb=" + VERB).get_json()["statements"]
    assert comment in [s["id"] for s in found]                                          # QRY-24 at the agency


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_a_voiding_of_a_statement_the_agency_never_got_is_accepted_by_it_VOID_3(department, make_app, serve,
                                                                                version):
    """The rule takes Grace's statements: her voiding of Ada's statement goes, Ada's does not; the
    agency stores the voiding of a statement it does not hold, and nothing becomes a dead letter."""
    grace = {"objectType": "Agent", "mbox": "mailto:grace@example.gov"}
    agency = make_app("agency" + version.replace(".", ""))
    rule = services_of(department).forwarding.add("default", "grace", filter={"agent": json.dumps(grace)},
                                                  endpoint=serve(agency).url + "/xapi/", key=ADMIN[0],
                                                  secret=ADMIN[1], version=version)
    target, = post(department, statement())
    voiding, = post(department, voiding_of(target, actor=grace))
    forwarder_of(department).drain()
    assert sorted(held_by(agency, version)) == [voiding]
    assert (counts(department, rule).delivered, counts(department, rule).dead) == (1, 0)


def test_store_to_store_runs_again_without_duplicating(department):
    services = services_of(department)
    services.storage.create_store("agency")
    rule = services.forwarding.add("default", "to-agency", to_store="agency")
    ids = post(department, *some_statements(2))
    forwarder_of(department).drain()
    services.storage.retry_dead_letters(rule.id)             # nothing dead: no effect
    assert forwarder_of(department).drain() == 0
    assert len(stored_in(department, "agency", ids)) == 2


def test_store_to_store_dead_letters_a_statement_the_target_holds_differently_SPOST_4(department):
    services = services_of(department)
    services.storage.create_store("agency")
    rule = services.forwarding.add("default", "to-agency", to_store="agency")
    clash = str(uuid.uuid4())
    agency = services.storage.get_store("agency")
    from lrs.auth import Principal
    services.statements.store(Principal("other", agency.id, frozenset(["all"]), "", False),
                              [statement(id=clash, verb={"id": "http://example.gov/other"})], "1.0.3")
    ids = post(department, statement(), statement(id=clash), statement())
    forwarder_of(department).drain()
    dead = services.storage.list_dead_letters(rule.id)
    assert [d.statement_id for d in dead] == [clash] and "409" in dead[0].error
    assert counts(department, rule).delivered == 2
    assert sorted(stored_in(department, "agency", [ids[0], ids[2]])) == sorted([ids[0], ids[2]])


# --- remote --------------------------------------------------------------------------------------

def test_remote_delivery_keeps_ids_and_content(department, agency, serve):
    served = serve(agency)
    rule = remote_rule(department, served)
    ids = post(department, *some_statements(8))
    assert forwarder_of(department).drain() == 8
    assert_same(stored_in(department, "default", ids), held_by(agency))
    assert counts(department, rule).delivered == 8


def test_remote_delivery_speaks_the_rules_version(department, agency, serve):
    served = serve(agency)
    remote_rule(department, served, version="2.0.0")
    ids = post(department, *some_statements(2))
    forwarder_of(department).drain()
    assert sorted(held_by(agency, "2.0.0")) == sorted(ids)


def test_remote_delivery_sends_attachments_as_multipart_MP_1(department, agency, serve):
    served = serve(agency)
    remote_rule(department, served)
    response = post_multipart(client_of(department), [statement(attachments=[attachment()])], TEXT)
    statement_id, = response.get_json()
    forwarder_of(department).drain()
    assert served_attachments(client_of(agency), statement_id) == [TEXT]


def test_signed_statements_arrive_with_their_signature_unchanged_SIG_11(department, agency, serve):
    served = serve(agency)
    remote_rule(department, served)
    services_of(department).storage.create_store("agency")
    services_of(department).forwarding.add("default", "to-agency-store", to_store="agency")
    original = statement()
    jws = sign(original)
    statement_id, = post_signed(client_of(department), original, jws).get_json()
    forwarder_of(department).drain()
    assert served_attachments(client_of(agency), statement_id) == [jws]
    copy = stored_in(department, "agency", [statement_id])[statement_id]
    assert copy["attachments"] == [signature_attachment(jws)]
    agency_store = services_of(department).storage.get_store("agency").id
    assert services_of(department).storage.get_attachments(agency_store, [hashlib.sha256(jws).hexdigest()])


def test_a_resend_of_delivered_statements_counts_as_delivered_CMP_2(department, agency, serve):
    served = serve(agency)
    rule = remote_rule(department, served)
    ids = post(department, *some_statements(3))
    post(agency, *[stored_in(department, "default", ids)[i] for i in ids[:2]])     # the target has two already
    forwarder_of(department).drain()
    assert counts(department, rule).delivered == 3 and counts(department, rule).dead == 0
    assert sorted(held_by(agency)) == sorted(ids)


@pytest.mark.parametrize("fault", [
    (503, {}, "busy"), (500, {}, "oops"), (429, {"Retry-After": "0"}, "slow down"), (502, {}, "gateway")])
def test_transient_failures_are_retried_and_delivered_once(department, agency, serve, fault):
    target = FaultInjector(agency, [fault, fault])
    served = serve(target)
    rule = remote_rule(department, served)
    ids = post(department, *some_statements(3))
    forwarder_of(department).drain(max_wait_s=10)
    assert target.seen == 3 and target.passed == [("POST", "/xapi/statements")]
    assert sorted(held_by(agency)) == sorted(ids)
    state = counts(department, rule)
    assert (state.delivered, state.pending, state.dead) == (3, 0, 0)
    assert fault[2] in state.last_error


def test_a_target_whose_answer_comes_too_late_gets_the_batch_again_and_holds_it_once_CMP_2(
        department, agency, serve):
    target = FaultInjector(agency, [Stall(1.5)])
    served = serve(target)
    rule = remote_rule(department, served)
    ids = post(department, *some_statements(3))
    options = ForwarderOptions(batch_size=3, backoff_base_ms=2000, backoff_max_ms=2000, timeout_s=0.5)
    forwarder_of(department, options).drain(max_wait_s=10)
    assert target.passed == [("POST", "/xapi/statements")] * 2    # stored by the late one, re-sent after
    assert sorted(held_by(agency)) == sorted(ids)
    state = counts(department, rule)
    assert (state.delivered, state.dead) == (3, 0) and "timed out" in state.last_error


def test_an_answer_cut_mid_body_is_retried(department, agency, serve):
    target = FaultInjector(agency, [CUT_SHORT])
    served = serve(target)
    rule = remote_rule(department, served)
    ids = post(department, *some_statements(2))
    forwarder_of(department).drain(max_wait_s=10)
    assert sorted(held_by(agency)) == sorted(ids)
    assert counts(department, rule).delivered == 2 and counts(department, rule).dead == 0


def test_a_200_that_is_not_the_ids_is_not_taken_for_delivery_SPOST_1(department, agency, serve):
    served = serve(FaultInjector(agency, always=(200, {"Content-Type": "text/html"}, "<html>sign in</html>")))
    rule = remote_rule(department, served)
    post(department, statement())
    forwarder_of(department, ForwarderOptions(backoff_base_ms=1, backoff_max_ms=2, max_attempts=2)).drain(max_wait_s=10)
    dead, = services_of(department).storage.list_dead_letters(rule.id)
    assert "without the statement ids" in dead.error and "sign in" in dead.error
    assert counts(department, rule).delivered == 0


def test_a_target_speaking_another_version_dead_letters_with_its_answer_VER_2(department, make_app, serve):
    agency = make_app("agency20")
    agency.extensions["lrs"].settings.xapi_versions = ["2.0.0"]
    served = serve(agency)
    rule = remote_rule(department, served, version="1.0.3")        # its versions changed since
    post(department, statement())
    forwarder_of(department).drain()
    dead, = services_of(department).storage.list_dead_letters(rule.id)
    assert dead.error.startswith("400")


def test_retry_after_is_honoured(department, agency, serve):
    served = serve(FaultInjector(agency, [(429, {"Retry-After": "120"}, "later")]))
    rule = remote_rule(department, served)
    post(department, statement())
    now = [1_800_000_000.0]
    forwarder = forwarder_of(department, clock=lambda: now[0])
    assert forwarder.run_pass() == 1
    now[0] += 119
    assert forwarder.run_pass() == 0                      # still waiting, as the target asked
    now[0] += 2
    assert forwarder.run_pass() == 1
    assert counts(department, rule).delivered == 1


def test_backoff_grows_exponentially_with_jitter(department):
    options = ForwarderOptions(backoff_base_ms=1000, backoff_max_ms=60_000)
    low, high = forwarder_of(department, options, rand=lambda: 0.0), forwarder_of(department, options,
                                                                                  rand=lambda: 0.999999)
    assert [low.backoff_ms(n) for n in (1, 2, 3, 4)] == [500, 1000, 2000, 4000]
    assert [high.backoff_ms(n) for n in (1, 2, 3)] == [999, 1999, 3999]
    assert low.backoff_ms(30) == 30_000 and high.backoff_ms(30) <= 60_000


def test_a_connection_refused_target_is_retried_then_dead_lettered_after_max_attempts(department):
    from tests.system.conftest import free_port
    services = services_of(department)
    rule = services.forwarding.add("default", "nowhere", endpoint="http://127.0.0.1:%d/xapi/" % free_port(),
                                   key="k", secret="s", version="1.0.3", check=False)
    post(department, statement())
    options = ForwarderOptions(backoff_base_ms=1, backoff_max_ms=2, max_attempts=3, timeout_s=2)
    forwarder_of(department, options).drain(max_wait_s=10)
    dead, = services.storage.list_dead_letters(rule.id)
    assert "gave up after 3 attempts" in dead.error and "ConnectionError" in dead.error


def test_a_400_target_dead_letters_with_its_answer(department, agency, serve):
    served = serve(FaultInjector(agency, always=(400, {}, "statement refused: bad verb")))
    rule = remote_rule(department, served)
    ids = post(department, *some_statements(2))
    forwarder_of(department).drain()
    dead = services_of(department).storage.list_dead_letters(rule.id)
    assert [d.statement_id for d in dead] == ids
    assert all(d.error.startswith("400") and "statement refused: bad verb" in d.error for d in dead)
    assert counts(department, rule).delivered == 0


def test_a_401_target_dead_letters_the_batch(department, agency, serve):
    served = serve(agency)
    services = services_of(department)
    rule = services.forwarding.add("default", "wrong-key", endpoint=served.url + "/xapi/", key=ADMIN[0],
                                   secret="not-the-secret", version="1.0.3", check=False)   # revoked since
    post(department, *some_statements(2))
    forwarder_of(department).drain()
    dead = services.storage.list_dead_letters(rule.id)
    assert len(dead) == 2 and all(d.error.startswith("401") for d in dead)
    assert held_by(agency) == {}


def test_only_the_statement_a_target_refuses_is_dead_lettered(department, agency, serve):
    served = serve(agency)
    rule = remote_rule(department, served)
    clash = str(uuid.uuid4())
    post(agency, statement(id=clash, verb={"id": "http://example.gov/other"}))
    ids = post(department, statement(), statement(id=clash), statement())
    forwarder_of(department).drain()
    dead, = services_of(department).storage.list_dead_letters(rule.id)
    assert dead.statement_id == clash and dead.error.startswith("409")
    assert counts(department, rule).delivered == 2
    assert {ids[0], ids[2]} <= set(held_by(agency))


# --- leases ----------------------------------------------------------------------------------------

def test_an_expired_lease_is_taken_over_and_nothing_is_delivered_twice(department, agency, serve):
    target = FaultInjector(agency)
    served = serve(target)
    rule = remote_rule(department, served)
    ids = post(department, *some_statements(3))
    storage = services_of(department).storage
    t0 = 1_800_000_000.0
    crashed = storage.claim_outbox(rule.id, "crashed-forwarder", 100, FAST.lease_ms, int(t0 * 1000))
    assert len(crashed) == 3                              # then it dies without delivering
    second = forwarder_of(department, clock=lambda: t0 + 1)
    assert second.run_pass() == 0                         # the lease holds
    second.clock = lambda: t0 + FAST.lease_ms / 1000 + 1
    assert second.drain() == 3
    assert storage.complete_outbox(rule.id, "crashed-forwarder", [e.seq for e in crashed]) == 0
    assert target.passed == [("POST", "/xapi/statements")]
    assert sorted(held_by(agency)) == sorted(ids)
    assert counts(department, rule).delivered == 3


def test_two_forwarders_draining_together_deliver_each_statement_once(department, agency, serve):
    target = FaultInjector(agency)
    served = serve(target)
    rule = remote_rule(department, served)
    ids = post(department, *some_statements(9))
    first, second = forwarder_of(department), forwarder_of(department)
    while first.run_pass() + second.run_pass():
        pass
    assert len(target.passed) == 3                         # 9 statements in batches of 3
    assert sorted(held_by(agency)) == sorted(ids) and counts(department, rule).delivered == 9


def test_a_paused_rule_is_not_delivered(department, agency, serve):
    served = serve(agency)
    rule = remote_rule(department, served)
    services_of(department).forwarding.pause("default", rule.name)
    post(department, statement())
    assert forwarder_of(department).drain() == 0
    assert held_by(agency) == {} and counts(department, rule).pending == 1


def test_the_forward_command_drains_once(department, agency, serve, cli):
    served = serve(agency)
    remote_rule(department, served)
    ids = post(department, *some_statements(2))
    assert "forwarded: 2 entries handled" in cli("forward", "--once", "--max-wait", "5")
    assert sorted(held_by(agency)) == sorted(ids)


# --- throughput: batches in flight together, batches that grow with the backlog ---------------------

class Watching:
    """WSGI middleware: records the number of statements of each POST and the most POSTs handled
    at once; each POST is held `hold_s` (a target that takes its time); with `limit`, a POST of
    more statements is answered 413, as a target with a smaller body limit would."""

    def __init__(self, app, hold_s=0.0, limit=None):
        self.app, self.hold_s, self.limit = app, hold_s, limit
        self.sizes, self.active, self.most = [], 0, 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] != "POST":
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        size = len(json.loads(body))
        with self.lock:
            self.sizes.append(size)
            self.active += 1
            self.most = max(self.most, self.active)
        try:
            time.sleep(self.hold_s)
            if self.limit is not None and size > self.limit:
                return Response("too large", status=413)(environ, start_response)
            return self.app(environ, start_response)
        finally:
            with self.lock:
                self.active -= 1


def test_a_remote_rule_has_several_batches_in_flight_at_once_and_delivers_each_once(department, agency, serve):
    target = Watching(agency, hold_s=0.3)
    rule = remote_rule(department, serve(target))
    ids = post(department, *some_statements(12))
    forwarder_of(department, replace(FAST, pipeline=4)).drain()
    assert target.most == 4 and target.sizes == [3, 3, 3, 3]
    assert sorted(held_by(agency)) == sorted(ids) and counts(department, rule).delivered == 12


def test_with_a_pipeline_of_one_batches_go_one_at_a_time(department, agency, serve):
    target = Watching(agency, hold_s=0.1)
    remote_rule(department, serve(target))
    ids = post(department, *some_statements(9))
    forwarder_of(department, replace(FAST, pipeline=1)).drain()
    assert target.most == 1 and sorted(held_by(agency)) == sorted(ids)


def test_the_target_receives_the_stored_order_beyond_the_batches_in_flight(department, agency, serve):
    """With 2 batches of 3 in flight, a statement can only arrive after statements stored up
    to 5 places after it (README, Order)."""
    target = FaultInjector(agency)
    remote_rule(department, serve(target))
    ids = [s["id"] for s in some_statements(30)]
    for statement_id in ids:
        post(department, statement(id=statement_id))
    forwarder_of(department, replace(FAST, pipeline=2)).drain()
    arrived = [s["id"] for s in reversed(client_of(agency).get("/xapi/statements?limit=100").get_json()["statements"])]
    assert sorted(arrived) == sorted(ids)
    assert all(abs(arrived.index(i) - position) < 6 for position, i in enumerate(ids))


def test_claims_grow_while_the_backlog_fills_them(department, agency, serve):
    target = Watching(agency)
    rule = remote_rule(department, serve(target))
    post(department, *some_statements(25))
    forwarder_of(department, replace(FAST, max_batch_size=8, pipeline=1)).drain()
    assert target.sizes == [3, 6, 8, 8]
    assert counts(department, rule).delivered == 25


def test_a_target_refusing_a_grown_batch_as_too_large_gets_batch_size_from_then_on(department, agency, serve):
    target = Watching(agency, limit=3)
    rule = remote_rule(department, serve(target))
    ids = post(department, *some_statements(12))
    forwarder_of(department, replace(FAST, max_batch_size=8, pipeline=1)).drain()
    assert target.sizes == [3, 6, 3, 3, 3]            # the refused 6 are claimed again, 3 at a time
    assert sorted(held_by(agency)) == sorted(ids)
    state = counts(department, rule)
    assert (state.delivered, state.dead) == (12, 0)
