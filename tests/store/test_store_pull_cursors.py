"""Pull cursors (issue 12, pull sync): how far a store's pull from a source got, kept per store and
source, on every backend: the source's stored time of the newest statement copied and the ids
copied at that very time (stored is not unique)."""
from lrs.store import PullCursor

SOURCE = '["https://dept.example.gov/xapi/", {}]'


def test_a_store_has_no_cursor_before_its_first_pull(storage, store):
    assert storage.get_pull_cursor(store, SOURCE) is None


def test_a_cursor_is_kept_with_its_time_and_ids(storage, store):
    cursor = PullCursor(store_id=store, source=SOURCE, stored_ms=1_700_000_000_123, ids=["a", "b"], updated_ms=5)
    storage.save_pull_cursor(cursor)
    assert storage.get_pull_cursor(store, SOURCE) == cursor


def test_saving_again_replaces_the_cursor(storage, store):
    storage.save_pull_cursor(PullCursor(store_id=store, source=SOURCE, stored_ms=1, ids=["a"], updated_ms=1))
    later = PullCursor(store_id=store, source=SOURCE, stored_ms=2, ids=["c"], updated_ms=2)
    storage.save_pull_cursor(later)
    assert storage.get_pull_cursor(store, SOURCE) == later


def test_cursors_are_per_store_and_per_source(storage, store, other_store):
    mine = PullCursor(store_id=store, source=SOURCE, stored_ms=1, ids=["a"], updated_ms=1)
    storage.save_pull_cursor(mine)
    assert storage.get_pull_cursor(other_store, SOURCE) is None
    assert storage.get_pull_cursor(store, SOURCE + "x") is None
    assert storage.get_pull_cursor(store, SOURCE) == mine


def test_a_cursor_survives_reopening(opener, storage, store):
    cursor = PullCursor(store_id=store, source=SOURCE, stored_ms=7, ids=["a"], updated_ms=7)
    storage.save_pull_cursor(cursor)
    assert opener().get_pull_cursor(store, SOURCE) == cursor
