"""Forwarding rules and the durable outbox in the store (issue 12), on every backend.

Rules are kept per store; every statement batch writes an outbox entry per (new statement,
matching rule) in its own transaction; entries are leased in seq order, one claimer per rule at a
time, and end delivered (counted) or as dead letters that can be retried or dropped."""
import threading

import pytest

from lrs.store import ForwardingRule, InsertBatch
from lrs.store.rules import DuplicateStatements

from .conftest import make_record, new_id
from .test_store_order import WAIT_S, Gate, Writer

VERB = ("verb", "http://adlnet.gov/expapi/verbs/completed")
OTHER_VERB = ("verb", "http://adlnet.gov/expapi/verbs/attempted")
VOIDED = ("verb", "http://adlnet.gov/expapi/verbs/voided")
AGENT = "mbox:mailto:learner@example.gov"
ACTIVITY = "http://example.gov/unit"
NOW = 1_700_000_000_000
LEASE = 30_000


def rule_of(store, name="to-agency", filters=(), target="agency-store-id", **fields):
    return ForwardingRule(id=new_id(), store_id=store, name=name, target_store_id=target,
                          filters=[tuple(p) for p in filters], filter={"given": "as is"}, created_ms=NOW, **fields)


@pytest.fixture
def rule(storage, store):
    """An unfiltered rule of the store."""
    r = rule_of(store)
    storage.add_forwarding_rule(r)
    return r


def outbox_seqs(storage, rule_id):
    entries = storage.claim_outbox(rule_id, "inspector", 10_000, 1, NOW)
    storage.release_outbox(rule_id, "inspector", [e.seq for e in entries], 0, "")
    return [(e.seq, e.statement_id) for e in entries]


# --- rules ---------------------------------------------------------------------------------

def test_a_rule_is_kept_with_every_field(storage, store):
    kept = rule_of(store, filters=[VERB], target=None, endpoint="https://agency.example.gov/xapi/", key="k",
                   secret_sealed=b"\x00sealed", version="2.0.0")
    storage.add_forwarding_rule(kept)
    assert storage.get_forwarding_rule(kept.id) == kept
    assert storage.list_forwarding_rules(store) == [kept]


def test_rule_names_are_unique_per_store(storage, store, other_store):
    storage.add_forwarding_rule(rule_of(store))
    storage.add_forwarding_rule(rule_of(other_store))
    with pytest.raises(ValueError):
        storage.add_forwarding_rule(rule_of(store))
    assert [r.store_id for r in storage.list_forwarding_rules()] == sorted([store, other_store])


def test_a_rule_is_paused_and_resumed(storage, rule):
    assert storage.set_forwarding_rule_active(rule.id, False)
    assert storage.get_forwarding_rule(rule.id).active is False
    assert storage.set_forwarding_rule_active(rule.id, True)
    assert storage.get_forwarding_rule(rule.id).active is True
    assert not storage.set_forwarding_rule_active(new_id(), False)


def test_removing_a_rule_removes_its_outbox(storage, store, rule, put):
    put(make_record())
    assert storage.remove_forwarding_rule(rule.id)
    assert storage.get_forwarding_rule(rule.id) is None
    assert storage.claim_outbox(rule.id, "f1", 10, LEASE, NOW) == []
    assert not storage.remove_forwarding_rule(rule.id)


# --- the outbox is written with the batch ------------------------------------------------------

def test_each_new_statement_gets_an_entry_in_stored_order(storage, rule, put):
    first = put(make_record(), make_record())
    second = put(make_record())
    assert outbox_seqs(storage, rule.id) == [(s.seq, s.id) for s in first + second]


def test_only_matching_statements_get_entries(storage, store, put):
    """The filter has the query's semantics: every filter matches (QRY-13)."""
    r = rule_of(store, filters=[VERB, ("agent", AGENT)])
    storage.add_forwarding_rule(r)
    both = make_record(keys=[VERB, ("agent", AGENT)])
    put(both, make_record(keys=[VERB]), make_record(keys=[OTHER_VERB, ("agent", AGENT)]))
    assert [i for _, i in outbox_seqs(storage, r.id)] == [both.id]


def test_related_filters_match_related_keys(storage, store, put):
    """related_agents / related_activities widen the match as they widen a query (QRY-15, QRY-18)."""
    r = rule_of(store, filters=[("related_activity", ACTIVITY)])
    storage.add_forwarding_rule(r)
    related = make_record(keys=[("related_activity", ACTIVITY)])
    put(related, make_record(keys=[("activity", "http://example.gov/other")]))
    assert [i for _, i in outbox_seqs(storage, r.id)] == [related.id]


def test_a_statement_ref_matches_through_its_target(storage, store, put):
    """QRY-24: a statement referring to a matching statement matches too."""
    r = rule_of(store, filters=[VERB])
    storage.add_forwarding_rule(r)
    target = make_record(keys=[VERB])
    put(target)
    referrer = make_record(keys=[OTHER_VERB], ref=target.id)
    put(referrer)
    assert [i for _, i in outbox_seqs(storage, r.id)] == [target.id, referrer.id]


def test_a_statement_ref_that_came_before_its_matching_target_is_forwarded_when_it_arrives_QRY_24(
        storage, store, put):
    """The referrer matched nothing when it came (its target was unknown); once the target arrives
    and matches, the same query would return the referrer too, so the rule takes it, at its own
    earlier seq."""
    r = rule_of(store, filters=[VERB])
    storage.add_forwarding_rule(r)
    target = make_record(keys=[VERB])
    referrer = make_record(keys=[OTHER_VERB], ref=target.id)
    first, = put(referrer)
    assert outbox_seqs(storage, r.id) == []
    second, = put(target)
    assert outbox_seqs(storage, r.id) == [(first.seq, referrer.id), (second.seq, target.id)]


def test_referrers_of_referrers_that_came_first_are_forwarded_too_QRY_24(storage, store, put):
    r = rule_of(store, filters=[VERB])
    storage.add_forwarding_rule(r)
    target = make_record(keys=[VERB])
    middle = make_record(keys=[OTHER_VERB], ref=target.id)
    outer = make_record(keys=[OTHER_VERB], ref=middle.id)
    put(outer)
    put(middle)
    assert outbox_seqs(storage, r.id) == []
    put(target)
    assert [i for _, i in outbox_seqs(storage, r.id)] == [outer.id, middle.id, target.id]


def test_an_earlier_referrer_is_not_queued_twice_nor_for_a_rule_it_does_not_match(storage, store, put):
    everything, other = rule_of(store, "all"), rule_of(store, "other", filters=[("agent", AGENT), OTHER_VERB])
    for r in (everything, other):
        storage.add_forwarding_rule(r)
    target = make_record(keys=[VERB])
    referrer = make_record(keys=[OTHER_VERB], ref=target.id)
    put(referrer)
    put(target)
    assert [i for _, i in outbox_seqs(storage, everything.id)] == [referrer.id, target.id]
    assert outbox_seqs(storage, other.id) == []


def test_the_voiding_of_a_forwarded_statement_is_forwarded(storage, store, put):
    r = rule_of(store, filters=[VERB])
    storage.add_forwarding_rule(r)
    target = make_record(keys=[VERB])
    put(target)
    voiding = make_record(keys=[VOIDED], void=target.id)
    put(voiding)
    assert [i for _, i in outbox_seqs(storage, r.id)] == [target.id, voiding.id]


def test_a_voiding_that_came_before_its_matching_target_is_forwarded_with_it_VOID_4(storage, store, put):
    """The voiding matched nothing when it came (its target was unknown: VOID-3); when the target
    arrives and matches, the voiding is queued too, so the target ends voided where it goes."""
    r = rule_of(store, filters=[VERB])
    storage.add_forwarding_rule(r)
    target = make_record(keys=[VERB])
    voiding = make_record(keys=[VOIDED], void=target.id)
    first, = put(voiding)
    assert outbox_seqs(storage, r.id) == []
    second, = put(target)
    assert outbox_seqs(storage, r.id) == [(first.seq, voiding.id), (second.seq, target.id)]


def test_a_voiding_that_came_first_and_matched_on_its_own_is_not_queued_twice(storage, store, put):
    r = rule_of(store)                                   # matches every statement
    storage.add_forwarding_rule(r)
    target = make_record(keys=[VERB])
    voiding = make_record(keys=[VOIDED], void=target.id)
    first, = put(voiding)
    second, = put(target)
    assert outbox_seqs(storage, r.id) == [(first.seq, voiding.id), (second.seq, target.id)]


def test_a_voiding_that_came_first_is_not_queued_for_a_rule_its_target_does_not_match(storage, store, put):
    r = rule_of(store, filters=[OTHER_VERB])
    storage.add_forwarding_rule(r)
    target = make_record(keys=[VERB])
    put(make_record(keys=[VOIDED], void=target.id))
    put(target)
    assert outbox_seqs(storage, r.id) == []


def test_a_voiding_matching_on_its_own_is_forwarded_without_its_target(storage, store, put):
    """The rule's filter has the query's semantics: a voiding statement that matches in its own
    right is forwarded, whether or not its target matches (the target accepts it: VOID-3)."""
    r = rule_of(store, filters=[("agent", AGENT)])
    storage.add_forwarding_rule(r)
    target = make_record(keys=[VERB])
    put(target)
    voiding = make_record(keys=[VOIDED, ("agent", AGENT)], void=target.id)
    put(voiding)
    assert [i for _, i in outbox_seqs(storage, r.id)] == [voiding.id]


def test_each_rule_gets_its_own_entries_and_other_stores_none(storage, store, other_store, put):
    mine, narrow, theirs = rule_of(store, "all"), rule_of(store, "narrow", filters=[VERB]), rule_of(other_store)
    for r in (mine, narrow, theirs):
        storage.add_forwarding_rule(r)
    plain, matching = make_record(), make_record(keys=[VERB])
    put(plain, matching)
    assert [i for _, i in outbox_seqs(storage, mine.id)] == [plain.id, matching.id]
    assert [i for _, i in outbox_seqs(storage, narrow.id)] == [matching.id]
    assert outbox_seqs(storage, theirs.id) == []


def test_a_paused_rule_keeps_collecting(storage, rule, put):
    storage.set_forwarding_rule_active(rule.id, False)
    stored = put(make_record())
    assert outbox_seqs(storage, rule.id) == [(stored[0].seq, stored[0].id)]


def test_a_statement_sent_again_adds_no_entry(storage, store, rule, put):
    """CMP-2: a duplicate batch writes nothing, outbox entries included."""
    again = make_record()
    put(again)
    with pytest.raises(DuplicateStatements):
        put(make_record(statement_id=again.id), make_record())
    assert [i for _, i in outbox_seqs(storage, rule.id)] == [again.id]


def test_a_rolled_back_batch_leaves_no_entry(storage, store, rule):
    """The entry is in the batch's transaction: a batch that fails before its commit leaves none."""
    def fail(store_id, ids):
        raise RuntimeError("the batch fails just before its commit")
    storage.before_commit = fail
    with pytest.raises(RuntimeError):
        storage.insert_statements(store, InsertBatch(statements=[make_record()]))
    storage.before_commit = None
    assert outbox_seqs(storage, rule.id) == []


def test_a_pending_batch_entries_are_invisible_until_it_commits(storage, store, rule):
    writer = Writer(storage, store, [make_record()])
    gate = Gate(storage, writer.ids)
    writer.start()
    try:
        assert gate.reached.wait(WAIT_S)
        assert storage.forwarding_counts(rule.id, NOW).pending == 0
    finally:
        gate.released.set()
        writer.join(WAIT_S)
    assert writer.error is None
    assert storage.forwarding_counts(rule.id, NOW).pending == 1


# --- leases and delivery ---------------------------------------------------------------------

@pytest.fixture
def five(storage, rule, put):
    return [s.seq for s in put(*[make_record() for _ in range(5)])]


def test_a_claim_leases_the_oldest_entries_in_order(storage, rule, five):
    entries = storage.claim_outbox(rule.id, "f1", 3, LEASE, NOW)
    assert [e.seq for e in entries] == five[:3]
    assert [e.attempts for e in entries] == [1, 1, 1]
    counts = storage.forwarding_counts(rule.id, NOW)
    assert (counts.pending, counts.in_flight) == (2, 3)


def test_no_one_else_claims_a_rule_while_a_lease_holds(storage, rule, five):
    storage.claim_outbox(rule.id, "f1", 2, LEASE, NOW)
    assert storage.claim_outbox(rule.id, "f2", 10, LEASE, NOW + LEASE - 1) == []


def test_concurrent_claimers_never_share_an_entry(storage, rule, five):
    claimed, start = {}, threading.Barrier(4)

    def claim(owner):
        start.wait(WAIT_S)
        claimed[owner] = storage.claim_outbox(rule.id, owner, 10, LEASE, NOW)
    threads = [threading.Thread(target=claim, args=("f%d" % n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_S)
    winners = [owner for owner, entries in claimed.items() if entries]
    assert len(claimed) == 4 and len(winners) == 1
    assert [e.seq for e in claimed[winners[0]]] == five


def test_an_expired_lease_is_taken_over(storage, rule, five):
    storage.claim_outbox(rule.id, "crashed", 2, LEASE, NOW)
    taken = storage.claim_outbox(rule.id, "f2", 2, LEASE, NOW + LEASE)
    assert [(e.seq, e.attempts) for e in taken] == [(five[0], 2), (five[1], 2)]
    assert storage.complete_outbox(rule.id, "crashed", [five[0]]) == 0      # no longer its entry
    assert storage.complete_outbox(rule.id, "f2", [five[0]]) == 1


def test_delivered_entries_are_counted_and_gone(storage, rule, five):
    entries = storage.claim_outbox(rule.id, "f1", 2, LEASE, NOW)
    assert storage.complete_outbox(rule.id, "f1", [e.seq for e in entries]) == 2
    counts = storage.forwarding_counts(rule.id, NOW)
    assert (counts.pending, counts.in_flight, counts.delivered, counts.dead) == (3, 0, 2, 0)
    assert [e.seq for e in storage.claim_outbox(rule.id, "f2", 10, LEASE, NOW)] == five[2:]


def test_a_released_entry_waits_for_its_retry_time_and_keeps_the_order(storage, rule, five, put):
    storage.claim_outbox(rule.id, "f1", 2, LEASE, NOW)
    assert storage.release_outbox(rule.id, "f1", five[:2], NOW + 5000, "503 from the target") == 2
    counts = storage.forwarding_counts(rule.id, NOW)
    assert (counts.pending, counts.in_flight, counts.last_error) == (5, 0, "503 from the target")
    assert storage.claim_outbox(rule.id, "f2", 10, LEASE, NOW + 4999) == []
    assert [e.seq for e in storage.claim_outbox(rule.id, "f2", 10, LEASE, NOW + 5000)] == five


# --- pipelining: claiming the next batch while the previous ones are in flight -------------------

def test_a_claim_after_a_seq_leases_the_next_entries_in_order(storage, rule, five):
    first = storage.claim_outbox(rule.id, "f1", 2, LEASE, NOW)
    second = storage.claim_outbox(rule.id, "f1", 2, LEASE, NOW, after_seq=first[-1].seq)
    third = storage.claim_outbox(rule.id, "f1", 2, LEASE, NOW, after_seq=second[-1].seq)
    assert [[e.seq for e in b] for b in (first, second, third)] == [five[:2], five[2:4], five[4:]]
    assert storage.forwarding_counts(rule.id, NOW).in_flight == 5


def test_a_claim_after_a_seq_never_leases_what_another_owner_holds(storage, rule, five):
    first = storage.claim_outbox(rule.id, "f1", 2, LEASE, NOW)
    assert storage.claim_outbox(rule.id, "f2", 2, LEASE, NOW, after_seq=first[-1].seq) == []


def test_a_claim_after_a_seq_stops_at_an_entry_given_back_for_a_retry(storage, rule, five):
    """The window of a pipelining forwarder never runs past an entry that waits: order is kept
    beyond the batches in flight together."""
    first = storage.claim_outbox(rule.id, "f1", 2, LEASE, NOW)
    storage.release_outbox(rule.id, "f1", [first[0].seq], NOW + 5000, "503")
    assert storage.claim_outbox(rule.id, "f1", 2, LEASE, NOW, after_seq=first[-1].seq) == []


def test_a_claim_after_a_seq_stops_when_its_own_earlier_lease_has_ended(storage, rule, five):
    first = storage.claim_outbox(rule.id, "f1", 2, LEASE, NOW)
    assert storage.claim_outbox(rule.id, "f1", 2, LEASE, NOW + LEASE, after_seq=first[-1].seq) == []


def test_a_claim_after_a_seq_skips_delivered_and_dead_entries(storage, rule, five):
    first = storage.claim_outbox(rule.id, "f1", 2, LEASE, NOW)
    storage.complete_outbox(rule.id, "f1", [first[0].seq])
    storage.dead_letter_outbox(rule.id, "f1", {first[1].seq: "400"})
    assert [e.seq for e in storage.claim_outbox(rule.id, "f1", 10, LEASE, NOW, after_seq=first[-1].seq)] == five[2:]


def test_a_claim_after_a_seq_waits_for_the_retry_time_of_the_next_entry(storage, rule, five):
    first = storage.claim_outbox(rule.id, "f1", 2, LEASE, NOW)
    second = storage.claim_outbox(rule.id, "f1", 2, LEASE, NOW, after_seq=first[-1].seq)
    storage.release_outbox(rule.id, "f1", [e.seq for e in second], NOW + 5000, "503")
    storage.complete_outbox(rule.id, "f1", [e.seq for e in first])
    assert storage.claim_outbox(rule.id, "f1", 2, LEASE, NOW + 4999, after_seq=first[-1].seq) == []
    assert [e.seq for e in storage.claim_outbox(rule.id, "f1", 2, LEASE, NOW + 5000,
                                                after_seq=first[-1].seq)] == five[2:4]


def test_dead_letters_keep_the_answer_and_can_be_retried_or_dropped(storage, rule, five):
    storage.claim_outbox(rule.id, "f1", 3, LEASE, NOW)
    errors = {five[0]: "400 Bad Request: verb is not an IRI", five[1]: "403 Forbidden"}
    assert storage.dead_letter_outbox(rule.id, "f1", errors) == 2
    assert [(e.seq, e.error) for e in storage.list_dead_letters(rule.id)] == sorted(errors.items())
    counts = storage.forwarding_counts(rule.id, NOW)
    assert (counts.dead, counts.last_error) == (2, "403 Forbidden")
    storage.complete_outbox(rule.id, "f1", [five[2]])
    assert [e.seq for e in storage.claim_outbox(rule.id, "f1", 10, LEASE, NOW)] == five[3:]
    assert storage.retry_dead_letters(rule.id, [five[0]]) == 1
    assert storage.drop_dead_letters(rule.id) == 1
    assert storage.list_dead_letters(rule.id) == []
    assert storage.forwarding_counts(rule.id, NOW).dead == 0


def test_the_oldest_undelivered_entry_gives_the_age(storage, rule, put):
    assert storage.forwarding_counts(rule.id, NOW).oldest_pending_ms is None
    first = put(make_record())
    put(make_record())
    assert storage.forwarding_counts(rule.id, NOW).oldest_pending_ms == first[0].stored_ms
