"""Stores (tenants), credentials, and store isolation: no method returns another store's records."""
import pytest

from lrs.store import Credential, StatementQuery


def credential(key="k1", store_id="s1", scopes=("statements/write", "statements/read/mine"), **fields):
    return Credential(key=key, secret_hash="pbkdf2$1$salt$hash", store_id=store_id, scopes=list(scopes),
                      **fields)


def test_create_store_returns_its_name_id_and_creation_time(storage):
    info = storage.create_store("department")
    assert info.name == "department" and info.id and info.created_ms > 0


def test_get_store_finds_a_store_by_name(storage):
    info = storage.create_store("department")
    assert storage.get_store("department") == info


def test_get_store_of_an_unknown_name_is_none(storage):
    assert storage.get_store("nowhere") is None


def test_a_store_name_is_unique(storage):
    storage.create_store("department")
    with pytest.raises(ValueError):
        storage.create_store("department")


def test_list_stores_lists_every_store_by_name(storage):
    b, a = storage.create_store("b"), storage.create_store("a")
    assert storage.list_stores() == [a, b]


def test_store_ids_differ(storage):
    assert storage.create_store("a").id != storage.create_store("b").id


def test_a_credential_round_trips(storage):
    original = credential(name="Quiz tool", admin=True, created_ms=123)
    storage.add_credential(original)
    assert storage.get_credential("k1") == original


def test_credential_scopes_keep_their_order(storage):
    storage.add_credential(credential(scopes=["state", "all/read", "define"]))
    assert storage.get_credential("k1").scopes == ["state", "all/read", "define"]


def test_a_credential_key_is_unique(storage):
    storage.add_credential(credential())
    with pytest.raises(ValueError):
        storage.add_credential(credential())


def test_an_unknown_credential_is_none(storage):
    assert storage.get_credential("missing") is None


def test_list_credentials_lists_all_by_key(storage):
    storage.add_credential(credential("k2", "s2"))
    storage.add_credential(credential("k1", "s1"))
    assert [c.key for c in storage.list_credentials()] == ["k1", "k2"]


def test_list_credentials_of_one_store(storage):
    storage.add_credential(credential("k1", "s1"))
    storage.add_credential(credential("k2", "s2"))
    assert [c.key for c in storage.list_credentials("s2")] == ["k2"]


def test_revoke_credential_marks_it_revoked_and_keeps_it(storage):
    storage.add_credential(credential())
    assert storage.revoke_credential("k1") is True
    assert storage.get_credential("k1").revoked is True


def test_revoking_twice_says_false_the_second_time(storage):
    storage.add_credential(credential())
    storage.revoke_credential("k1")
    assert storage.revoke_credential("k1") is False


def test_revoking_an_unknown_credential_says_false(storage):
    assert storage.revoke_credential("missing") is False


def test_the_same_statement_id_may_exist_in_two_stores(storage, store, other_store, put, record):
    one = record()
    put(one, store=other_store)
    copy = record(statement_id=one.id)
    assert put(copy)[0].id == one.id


def test_get_statements_never_returns_another_stores_statement(storage, store, other_store, put, record):
    theirs = put(record(), store=other_store)[0]
    assert storage.get_statements(store, [theirs.id]) == {}


def test_query_never_returns_another_stores_statements(storage, store, other_store, put, record):
    put(record(keys=[("verb", "v")]), store=other_store)
    assert storage.query_statements(store, StatementQuery()).statements == []
    assert storage.query_statements(store, StatementQuery(filters=[("verb", "v")])).statements == []


def test_seq_is_counted_per_store(storage, store, other_store, put, record):
    put(record(), record(), store=other_store)
    assert put(record())[0].seq == 1
    assert storage.last_seq(store) == 1 and storage.last_seq(other_store) == 2


def test_an_unknown_store_has_nothing(storage, put, record):
    put(record())
    assert storage.query_statements("no-such-store", StatementQuery()).statements == []
    assert storage.last_seq("no-such-store") == 0
