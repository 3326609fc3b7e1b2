"""StatementRef matching (QRY-24, QRY-26) and voiding (VOID-4..VOID-6, VOID-10, VOID-11)."""
from lrs.store import StatementQuery

COMPLETED = ("verb", "http://adlnet.gov/expapi/verbs/completed")
LIKED = ("verb", "http://example.gov/verbs/liked")
VOIDED = ("verb", "http://adlnet.gov/expapi/verbs/voided")
ALICE = ("agent", "mbox:mailto:alice@example.gov")
BOB = ("agent", "mbox:mailto:bob@example.gov")
UNIT = ("activity", "http://example.gov/unit/1")


def _query(storage, store, *filters, **options):
    return [s.id for s in storage.query_statements(store, StatementQuery(filters=list(filters), **options)).statements]


# --- StatementRef inheritance (QRY-24) ----------------------------------------------------

def test_a_referring_statement_matches_its_targets_keys_QRY_24(storage, store, put, record):
    target = put(record(keys=[COMPLETED, ALICE]))[0]
    ref = put(record(keys=[LIKED, BOB], ref=target.id))[0]
    assert _query(storage, store, ALICE) == [ref.id, target.id]


def test_a_reference_stored_before_its_target_matches_once_the_target_arrives_QRY_24(storage, store, put, record):
    target = record(keys=[COMPLETED, ALICE])
    ref = put(record(keys=[LIKED, BOB], ref=target.id))[0]
    assert _query(storage, store, ALICE) == []
    put(target)
    assert _query(storage, store, ALICE) == [target.id, ref.id]


def test_reference_and_target_in_one_batch_match_in_either_order_QRY_24(storage, store, put, record):
    target = record(keys=[COMPLETED, ALICE])
    ref = record(keys=[LIKED], ref=target.id)
    put(ref, target)
    assert set(_query(storage, store, ALICE)) == {ref.id, target.id}


def test_references_are_followed_recursively_QRY_24(storage, store, put, record):
    base = put(record(keys=[COMPLETED, ALICE]))[0]
    middle = put(record(keys=[LIKED], ref=base.id))[0]
    top = put(record(keys=[LIKED], ref=middle.id))[0]
    assert _query(storage, store, ALICE) == [top.id, middle.id, base.id]


def test_a_chain_built_from_the_top_down_still_matches_recursively_QRY_24(storage, store, put, record):
    base = record(keys=[COMPLETED, ALICE])
    middle = record(keys=[LIKED], ref=base.id)
    top = put(record(keys=[LIKED], ref=middle.id))[0]
    put(middle)
    put(base)
    assert _query(storage, store, ALICE) == [base.id, middle.id, top.id]


def test_a_chain_whose_middle_arrives_last_matches_recursively_QRY_24(storage, store, put, record):
    base = put(record(keys=[COMPLETED, ALICE]))[0]
    middle = record(keys=[LIKED], ref=base.id)
    top = put(record(keys=[LIKED], ref=middle.id))[0]
    put(middle)
    assert set(_query(storage, store, ALICE)) == {base.id, middle.id, top.id}


def test_filters_must_match_within_one_group_not_across_referrer_and_target_QRY_13(storage, store, put, record):
    target = put(record(keys=[COMPLETED, ALICE]))[0]
    put(record(keys=[LIKED, BOB], ref=target.id))
    assert _query(storage, store, LIKED, ALICE) == []


def test_all_filters_matching_in_the_targets_group_match_the_referrer_QRY_24(storage, store, put, record):
    target = put(record(keys=[COMPLETED, ALICE]))[0]
    ref = put(record(keys=[LIKED, BOB], ref=target.id))[0]
    assert _query(storage, store, COMPLETED, ALICE) == [ref.id, target.id]


def test_a_statement_matching_in_several_groups_is_returned_once(storage, store, put, record):
    target = put(record(keys=[COMPLETED]))[0]
    ref = put(record(keys=[COMPLETED], ref=target.id))[0]
    assert _query(storage, store, COMPLETED) == [ref.id, target.id]


def test_the_referrers_own_keys_still_match_QRY_24(storage, store, put, record):
    target = put(record(keys=[COMPLETED]))[0]
    ref = put(record(keys=[LIKED], ref=target.id))[0]
    assert _query(storage, store, LIKED) == [ref.id]


def test_since_applies_to_the_referring_statement_itself_QRY_24(storage, store, put, record):
    target = put(record(keys=[ALICE]))[0]
    ref = put(record(keys=[LIKED], ref=target.id))[0]
    assert _query(storage, store, ALICE, since_ms=target.stored_ms) == [ref.id]


def test_a_reference_cycle_terminates_and_shares_keys(storage, store, put, record):
    first, second = record(keys=[ALICE]), record(keys=[BOB])
    first.ref_target, second.ref_target = second.id, first.id
    put(first)
    put(second)
    assert set(_query(storage, store, ALICE)) == set(_query(storage, store, BOB)) == {first.id, second.id}


def test_references_do_not_cross_stores(storage, store, other_store, put, record):
    target = put(record(keys=[ALICE]), store=other_store)[0]
    put(record(keys=[LIKED], ref=target.id))
    assert _query(storage, store, ALICE) == []


# --- voiding (VOID-4, VOID-5) ----------------------------------------------------------------

def test_a_voiding_statement_voids_its_stored_target_VOID_4(storage, store, put, record):
    target = put(record(keys=[COMPLETED]))[0]
    put(record(keys=[VOIDED], void=target.id))
    assert storage.get_statements(store, [target.id])[target.id].voided is True


def test_a_voiding_statement_stored_first_voids_its_target_on_arrival_VOID_4(storage, store, put, record):
    target = record(keys=[COMPLETED])
    put(record(keys=[VOIDED], void=target.id))
    stored = put(target)[0]
    assert stored.voided is True
    assert storage.get_statements(store, [target.id])[target.id].voided is True


def test_voiding_and_target_in_one_batch_void_in_either_order_VOID_4(storage, store, put, record):
    first_target, second_target = record(), record()
    put(record(void=first_target.id), first_target, second_target, record(void=second_target.id))
    found = storage.get_statements(store, [first_target.id, second_target.id])
    assert found[first_target.id].voided and found[second_target.id].voided


def test_the_voiding_statement_is_marked_voiding_and_not_voided(storage, store, put, record):
    target = put(record())[0]
    voiding = put(record(void=target.id))[0]
    found = storage.get_statements(store, [voiding.id])[voiding.id]
    assert (found.is_voiding, found.voided) == (True, False)


def test_a_voiding_statement_is_never_voided_VOID_5(storage, store, put, record):
    target = put(record())[0]
    first_voiding = put(record(void=target.id))[0]
    put(record(void=first_voiding.id))
    assert storage.get_statements(store, [first_voiding.id])[first_voiding.id].voided is False


def test_a_voiding_statement_arriving_after_a_voiding_aimed_at_it_is_not_voided_VOID_5(storage, store, put, record):
    first_voiding = record(void="00000000-0000-4000-8000-000000000001")
    put(record(void=first_voiding.id))
    assert put(first_voiding)[0].voided is False


def test_voiding_an_already_voided_statement_keeps_it_voided_VOID_6(storage, store, put, record):
    target = put(record())[0]
    put(record(void=target.id))
    put(record(void=target.id))
    assert storage.get_statements(store, [target.id])[target.id].voided is True


def test_a_voided_statement_is_left_out_of_queries_QRY_26(storage, store, put, record):
    target = put(record(keys=[COMPLETED]))[0]
    put(record(keys=[VOIDED], void=target.id))
    assert _query(storage, store, COMPLETED) == []


def test_a_voided_statement_is_still_returned_by_get_statements_VOID_9(storage, store, put, record):
    target = put(record(keys=[COMPLETED]))[0]
    put(record(keys=[VOIDED], void=target.id))
    assert storage.get_statements(store, [target.id])[target.id].body == target.body


def test_a_voided_statement_is_left_out_of_unfiltered_queries(storage, store, put, record):
    target = put(record())[0]
    voiding = put(record(void=target.id))[0]
    assert _query(storage, store) == [voiding.id]


def test_voiding_does_not_cross_stores(storage, store, other_store, put, record):
    target = put(record(), store=other_store)[0]
    put(record(void=target.id))
    assert storage.get_statements(other_store, [target.id])[target.id].voided is False


def test_referrers_and_the_voiding_statement_match_the_voided_statements_verb_QRY_26(storage, store, put, record):
    """CTS XAPI-00162: exactly [StatementRef statement, voiding statement], newest first."""
    target = put(record(keys=[COMPLETED]))[0]
    ref = put(record(keys=[LIKED], ref=target.id))[0]
    voiding = put(record(keys=[VOIDED], ref=target.id, void=target.id))[0]
    assert _query(storage, store, COMPLETED) == [voiding.id, ref.id]


def test_a_voiding_statement_without_ref_target_does_not_inherit_keys(storage, store, put, record):
    target = put(record(keys=[COMPLETED]))[0]
    put(record(keys=[VOIDED], void=target.id))
    assert _query(storage, store, COMPLETED) == []
