"""query_statements: order, limit/more, since/until, paging cursors, filters (QRY-13..QRY-23, QRY-45)."""
from lrs.store import StatementQuery

VERB = ("verb", "http://adlnet.gov/expapi/verbs/completed")
OTHER_VERB = ("verb", "http://adlnet.gov/expapi/verbs/attempted")
ALICE = ("agent", "mbox:mailto:alice@example.gov")
BOB = ("agent", "mbox:mailto:bob@example.gov")
UNIT = ("activity", "http://example.gov/unit/1")


def _batches(put, record, count, keys=()):
    """count statements, one batch each (distinct stored values); returned oldest first."""
    return [put(record(keys=keys))[0] for _ in range(count)]


def test_newest_first_by_default_QRY_22(storage, store, put, record, ids_of):
    stored = _batches(put, record, 4)
    page = storage.query_statements(store, StatementQuery())
    assert ids_of(page) == [s.id for s in reversed(stored)]


def test_oldest_first_when_ascending_QRY_22(storage, store, put, record, ids_of):
    stored = _batches(put, record, 4)
    page = storage.query_statements(store, StatementQuery(ascending=True))
    assert ids_of(page) == [s.id for s in stored]


def test_seq_breaks_ties_of_equal_stored_within_a_batch_QRY_22(storage, store, put, record, ids_of):
    stored = put(record(), record(), record())
    page = storage.query_statements(store, StatementQuery(ascending=True))
    assert ids_of(page) == [s.id for s in stored]


def test_limit_cuts_the_page_and_says_more_QRY_23(storage, store, put, record, ids_of):
    stored = _batches(put, record, 5)
    page = storage.query_statements(store, StatementQuery(limit=2))
    assert (ids_of(page), page.more) == ([stored[4].id, stored[3].id], True)


def test_more_is_false_when_the_limit_is_exactly_reached_QRY_42(storage, store, put, record):
    _batches(put, record, 3)
    page = storage.query_statements(store, StatementQuery(limit=3))
    assert (len(page.statements), page.more) == (3, False)


def test_limit_zero_returns_everything(storage, store, put, record):
    _batches(put, record, 3)
    page = storage.query_statements(store, StatementQuery(limit=0))
    assert (len(page.statements), page.more) == (3, False)


def test_an_empty_store_answers_an_empty_page_QRY_27(storage, store):
    page = storage.query_statements(store, StatementQuery(filters=[VERB]))
    assert (page.statements, page.more) == ([], False)


def test_returned_statements_carry_seq_stored_and_body(storage, store, put, record):
    stored = put(record())[0]
    assert storage.query_statements(store, StatementQuery()).statements == [stored]


def test_since_keeps_statements_stored_strictly_after_it_QRY_21(storage, store, put, record, ids_of):
    stored = _batches(put, record, 3)
    page = storage.query_statements(store, StatementQuery(since_ms=stored[1].stored_ms, ascending=True))
    assert ids_of(page) == [stored[2].id]


def test_until_keeps_statements_stored_at_or_before_it_QRY_21(storage, store, put, record, ids_of):
    stored = _batches(put, record, 3)
    page = storage.query_statements(store, StatementQuery(until_ms=stored[1].stored_ms, ascending=True))
    assert ids_of(page) == [stored[0].id, stored[1].id]


def test_since_and_until_together_select_a_window(storage, store, put, record, ids_of):
    stored = _batches(put, record, 4)
    page = storage.query_statements(store, StatementQuery(since_ms=stored[0].stored_ms,
                                                          until_ms=stored[2].stored_ms, ascending=True))
    assert ids_of(page) == [stored[1].id, stored[2].id]


def test_since_before_everything_returns_everything(storage, store, put, record):
    stored = _batches(put, record, 2)
    page = storage.query_statements(store, StatementQuery(since_ms=stored[0].stored_ms - 1))
    assert len(page.statements) == 2


def test_until_before_everything_returns_nothing(storage, store, put, record):
    stored = _batches(put, record, 2)
    assert storage.query_statements(store, StatementQuery(until_ms=stored[0].stored_ms - 1)).statements == []


def test_since_keeps_a_whole_batch_together(storage, store, put, record, ids_of):
    first = put(record())[0]
    batch = put(record(), record())
    page = storage.query_statements(store, StatementQuery(since_ms=first.stored_ms, ascending=True))
    assert ids_of(page) == [s.id for s in batch]


def test_descending_pages_with_after_seq_cover_everything_once_QRY_45(storage, store, put, record):
    stored = _batches(put, record, 7)
    seen, after = [], None
    max_seq = storage.last_seq(store)
    while True:
        page = storage.query_statements(store, StatementQuery(limit=3, after_seq=after, max_seq=max_seq))
        seen += [s.id for s in page.statements]
        if not page.more:
            break
        after = page.statements[-1].seq
    assert seen == [s.id for s in reversed(stored)]


def test_ascending_pages_with_after_seq_cover_everything_once_QRY_45(storage, store, put, record):
    stored = _batches(put, record, 7)
    seen, after = [], None
    while True:
        page = storage.query_statements(store, StatementQuery(limit=3, after_seq=after, ascending=True))
        seen += [s.id for s in page.statements]
        if not page.more:
            break
        after = page.statements[-1].seq
    assert seen == [s.id for s in stored]


def test_descending_paging_is_stable_while_new_statements_arrive_QRY_45(storage, store, put, record):
    stored = _batches(put, record, 6)
    max_seq = storage.last_seq(store)
    first = storage.query_statements(store, StatementQuery(limit=3, max_seq=max_seq))
    _batches(put, record, 4)                       # arrive between the pages
    second = storage.query_statements(store, StatementQuery(limit=3, max_seq=max_seq,
                                                            after_seq=first.statements[-1].seq))
    assert [s.id for s in first.statements + second.statements] == [s.id for s in reversed(stored)]
    assert second.more is False


def test_ascending_paging_picks_up_statements_that_arrive_later(storage, store, put, record, ids_of):
    stored = _batches(put, record, 2)
    first = storage.query_statements(store, StatementQuery(limit=2, ascending=True))
    later = put(record())[0]
    second = storage.query_statements(store, StatementQuery(ascending=True, after_seq=first.statements[-1].seq))
    assert ids_of(first) + ids_of(second) == [stored[0].id, stored[1].id, later.id]


def test_max_seq_hides_statements_committed_after_it(storage, store, put, record, ids_of):
    old = put(record())[0]
    put(record())
    page = storage.query_statements(store, StatementQuery(max_seq=old.seq))
    assert ids_of(page) == [old.id]


def test_a_filter_matches_the_statements_holding_that_key_QRY_16(storage, store, put, record, ids_of):
    hit = put(record(keys=[VERB]))[0]
    put(record(keys=[OTHER_VERB]))
    assert ids_of(storage.query_statements(store, StatementQuery(filters=[VERB]))) == [hit.id]


def test_all_filters_must_match_QRY_13(storage, store, put, record, ids_of):
    both = put(record(keys=[VERB, ALICE]))[0]
    put(record(keys=[VERB, BOB]))
    put(record(keys=[OTHER_VERB, ALICE]))
    page = storage.query_statements(store, StatementQuery(filters=[VERB, ALICE]))
    assert ids_of(page) == [both.id]


def test_three_filters_must_all_match_QRY_13(storage, store, put, record, ids_of):
    hit = put(record(keys=[VERB, ALICE, UNIT]))[0]
    put(record(keys=[VERB, ALICE]))
    page = storage.query_statements(store, StatementQuery(filters=[VERB, ALICE, UNIT]))
    assert ids_of(page) == [hit.id]


def test_the_kind_of_a_key_is_part_of_it(storage, store, put, record):
    put(record(keys=[("agent", "mbox:mailto:alice@example.gov")]))
    page = storage.query_statements(store, StatementQuery(
        filters=[("related_agent", "mbox:mailto:alice@example.gov")]))
    assert page.statements == []


def test_a_filter_value_never_stored_matches_nothing(storage, store, put, record):
    put(record(keys=[VERB]))
    assert storage.query_statements(store, StatementQuery(filters=[("verb", "http://nowhere")])).statements == []


def test_the_same_filter_twice_is_the_same_as_once(storage, store, put, record, ids_of):
    hit = put(record(keys=[VERB]))[0]
    assert ids_of(storage.query_statements(store, StatementQuery(filters=[VERB, VERB]))) == [hit.id]


def test_filters_combine_with_limit_and_more(storage, store, put, record, ids_of):
    hits = [put(record(keys=[VERB, ALICE]))[0] for _ in range(3)]
    put(record(keys=[VERB]))
    page = storage.query_statements(store, StatementQuery(filters=[VERB, ALICE], limit=2))
    assert (ids_of(page), page.more) == ([hits[2].id, hits[1].id], True)


def test_filters_combine_with_since(storage, store, put, record, ids_of):
    first = put(record(keys=[VERB]))[0]
    second = put(record(keys=[VERB]))[0]
    page = storage.query_statements(store, StatementQuery(filters=[VERB], since_ms=first.stored_ms))
    assert ids_of(page) == [second.id]


def test_a_selective_filter_finds_rare_matches_among_many_common_ones(storage, store, put, record, ids_of):
    put(*[record(keys=[VERB, BOB]) for _ in range(300)])
    rare = put(record(keys=[VERB, ALICE]))[0]
    put(*[record(keys=[VERB, BOB]) for _ in range(300)])
    page = storage.query_statements(store, StatementQuery(filters=[VERB, ALICE]))
    assert ids_of(page) == [rare.id]


def test_authority_key_keeps_only_that_authoritys_statements_SCOPE_2(storage, store, put, record, ids_of):
    mine = put(record(authority="me"))[0]
    put(record(authority="someone else"))
    assert ids_of(storage.query_statements(store, StatementQuery(authority_key="me"))) == [mine.id]


def test_authority_key_combines_with_filters_SCOPE_2(storage, store, put, record, ids_of):
    mine = put(record(keys=[VERB], authority="me"))[0]
    put(record(keys=[VERB], authority="other"))
    put(record(keys=[OTHER_VERB], authority="me"))
    page = storage.query_statements(store, StatementQuery(filters=[VERB], authority_key="me"))
    assert ids_of(page) == [mine.id]


def test_an_unknown_authority_key_matches_nothing(storage, store, put, record):
    put(record(authority="me"))
    assert storage.query_statements(store, StatementQuery(authority_key="nobody")).statements == []



def test_a_value_given_as_agent_and_related_agent_matches_either_filter_QRY_15(storage, store, put, record, ids_of):
    both = put(record(keys=[ALICE, ("related_agent", ALICE[1])]))[0]
    assert ids_of(storage.query_statements(store, StatementQuery(filters=[ALICE]))) == [both.id]
    assert ids_of(storage.query_statements(store, StatementQuery(
        filters=[("related_agent", ALICE[1])]))) == [both.id]


def test_a_related_only_value_matches_the_related_filter_QRY_18(storage, store, put, record, ids_of):
    related = put(record(keys=[("related_activity", UNIT[1])]))[0]
    put(record(keys=[UNIT]))
    page = storage.query_statements(store, StatementQuery(filters=[("related_activity", UNIT[1]), UNIT]))
    assert ids_of(page) == []
    assert ids_of(storage.query_statements(store, StatementQuery(
        filters=[("related_activity", UNIT[1])]))) == [related.id]
