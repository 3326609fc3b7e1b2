"""Signed checkpoints of the audit chain (issue 13): Ed25519 over a store's chain head, made every
N entries or T seconds and at shutdown, and `verify --against` them, which catches a chain that
was rewritten consistently up to its head (what plain verification cannot see). Both backends."""
import json
import os

import pytest

from lrs.__main__ import main
from lrs.audit import checkpoints as signed
from lrs.audit.verify import verify_store
from lrs.config import ConfigError
from lrs.store.chain import GENESIS, content_hash, entry_hash

from .conftest import make_record
from .test_audit_tampering import MongoCollections, SQLiteFile


@pytest.fixture(scope="module")
def key():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    return Ed25519PrivateKey.generate()


@pytest.fixture
def three(storage, store, put):
    return put(make_record(), make_record(), make_record())


def _rewrite_consistently(storage, store, database, seq, body):
    """What someone with write access to the database can do: change a statement and recompute
    every entry from it to the head, and the head."""
    database.set_body(seq, body)
    entries = list(storage.chain_entries(store, storage.chain_head(store).n))
    previous = entries[seq - 2].hash if seq > 1 else GENESIS
    for entry in entries[seq - 1:]:
        content = content_hash(body) if entry.seq == seq else entry.content
        previous = entry_hash(previous, entry.n, entry.kind, entry.seq, entry.id, entry.target, content)
        database.set_entry(entry.n, content, previous)
    database.set_head_hash(previous)


@pytest.fixture
def database(opener, storage, store):
    return SQLiteFile(storage, store) if opener.backend == "sqlite" else MongoCollections(storage, store)


def test_a_checkpoint_signs_the_store_the_entry_the_seq_the_hash_and_the_time(storage, store, three, key):
    checkpoint = signed.make_checkpoint(storage, key, store, clock=lambda: 1_700_000_000_123)
    head = storage.chain_head(store)
    assert (checkpoint.store_id, checkpoint.n, checkpoint.seq, checkpoint.hash) == (store, 3, 3, head.hash)
    fields = signed.checkpoint_json(checkpoint)
    assert fields["time"] == "2023-11-14T22:13:20.123Z" and fields["hash"] == head.hash.hex()
    assert signed.check_signature(key.public_key(), fields)
    assert storage.list_checkpoints(store) == [checkpoint]


@pytest.mark.parametrize("field, value", [("hash", "00" * 32), ("n", 2), ("seq", 2), ("time", "2030-01-01T00:00:00.000Z"),
                                          ("store", "elsewhere")])
def test_a_checkpoint_with_any_signed_field_changed_does_not_verify(storage, store, three, key, field, value):
    fields = signed.checkpoint_json(signed.make_checkpoint(storage, key, store))
    fields[field] = value
    assert not signed.check_signature(key.public_key(), fields)


def test_a_checkpoint_from_another_key_does_not_verify(storage, store, three, key):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    fields = signed.checkpoint_json(signed.make_checkpoint(storage, Ed25519PrivateKey.generate(), store))
    assert not signed.check_signature(key.public_key(), fields)


def test_a_head_is_signed_once_and_an_empty_chain_not_at_all(storage, store, other_store, three, key):
    assert signed.make_checkpoint(storage, key, store) is not None
    assert signed.make_checkpoint(storage, key, store) is None
    assert signed.make_checkpoint(storage, key, other_store) is None
    assert len(storage.list_checkpoints(store)) == 1 and storage.list_checkpoints(other_store) == []


def test_the_checkpointer_signs_when_a_store_has_grown_by_n_entries(storage, store, put, key):
    checkpointer = signed.Checkpointer(storage, key, every_entries=3, every_seconds=3600)
    put(make_record(), make_record())
    assert checkpointer.tick() == []
    put(make_record())
    assert [c.n for c in checkpointer.tick()] == [3]
    put(make_record())
    assert checkpointer.tick() == []


def test_the_checkpointer_signs_unsigned_entries_older_than_t_seconds(storage, store, put, key):
    now = [10 ** 12]
    checkpointer = signed.Checkpointer(storage, key, every_entries=1000, every_seconds=60, clock=lambda: now[0])
    put(make_record())
    signed.make_checkpoint(storage, key, store, clock=lambda: now[0])
    put(make_record())
    now[0] += 59_999
    assert checkpointer.tick() == []
    now[0] += 1
    assert [c.n for c in checkpointer.tick()] == [2]


def test_closing_the_checkpointer_signs_every_head_not_signed_yet(storage, store, other_store, put, key):
    checkpointer = signed.Checkpointer(storage, key, every_entries=1000, every_seconds=3600, poll_seconds=0.05)
    checkpointer.start()
    put(make_record())
    put(make_record(), store=other_store)
    assert [(c.store_id, c.n) for c in checkpointer.close()] in (
        [(store, 1), (other_store, 1)], [(other_store, 1), (store, 1)])
    assert checkpointer.close() == []


def test_a_chain_rewritten_up_to_its_head_verifies_alone_but_not_against_a_checkpoint(
        storage, store, three, key, database):
    checkpoint = signed.make_checkpoint(storage, key, store)
    _rewrite_consistently(storage, store, database, 2, database.body(2).replace(b"learner@", b"someone@"))
    assert verify_store(storage, store).ok
    problem = verify_store(storage, store, [checkpoint]).problem
    assert (problem.n, problem.seq, problem.statement_id) == (3, 3, three[2].id)
    assert "differs from the checkpoint signed at" in problem.what


def test_a_chain_cut_before_a_checkpoint_is_detected(storage, store, three, key, database):
    checkpoint = signed.make_checkpoint(storage, key, store)
    database.delete_statement(3)
    database.delete_entry(3)
    database.set_head_hash(next(e.hash for e in storage.chain_entries(store, 2) if e.n == 2))
    if isinstance(database, SQLiteFile):
        database.conn.execute("UPDATE chain_heads SET n = 2, seq = 2 WHERE sid = ?", (database.sid,))
    else:
        database.db.counters.update_one({"_id": store}, {"$set": {"chain.n": 2, "chain.seq": 2}})
    assert verify_store(storage, store).ok
    problem = verify_store(storage, store, [checkpoint]).problem
    assert "the chain ends at entry 2, before the checkpoint" in problem.what


# --- the key and the command line ------------------------------------------------------------

def test_a_missing_key_file_stops_with_how_to_make_one_unless_generating_is_allowed(tmp_path):
    path = str(tmp_path / "keys" / "signing.pem")
    with pytest.raises(ConfigError, match="python -m lrs audit keygen"):
        signed.load_signing_key(path)
    assert not os.path.exists(path)
    key = signed.load_signing_key(path, generate=True)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert signed.public_key_pem(signed.load_signing_key(path)) == signed.public_key_pem(key)


def test_a_key_file_that_is_not_ed25519_is_refused(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    path = tmp_path / "ec.pem"
    path.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with pytest.raises(ConfigError, match="not Ed25519"):
        signed.load_signing_key(str(path))


def test_keygen_never_overwrites_a_key(tmp_path, capsys):
    path = str(tmp_path / "signing.pem")
    main(["audit", "keygen", path])
    assert "BEGIN PUBLIC KEY" in capsys.readouterr().out
    before = open(path, "rb").read()
    with pytest.raises(SystemExit, match="never overwritten"):
        main(["audit", "keygen", path])
    assert open(path, "rb").read() == before


@pytest.fixture
def signing(opener, tmp_path, monkeypatch):
    path = str(tmp_path / "signing.pem")
    monkeypatch.setenv("LRS_DATABASE_URL", opener.url)
    monkeypatch.setenv("LRS_SIGNING_KEY_FILE", path)
    main(["audit", "keygen", path])
    return signed.load_signing_key(path)


def _checkpoint_file(tmp_path, storage, store):
    path = tmp_path / "checkpoints.json"
    path.write_text(json.dumps({"checkpoints": [signed.checkpoint_json(c) for c in storage.list_checkpoints(store)]}))
    return str(path)


def test_verify_against_a_checkpoint_file_passes_on_an_intact_chain(storage, store, three, signing, tmp_path, capsys):
    main(["audit", "checkpoint"])
    main(["audit", "verify", "--against", _checkpoint_file(tmp_path, storage, store)])
    out = capsys.readouterr().out
    assert "store department: checked against 1 signed checkpoints" in out and "everything verifies" in out


def test_verify_against_names_a_consistent_rewrite_and_exits_1(storage, store, three, signing, tmp_path, database,
                                                              capsys):
    main(["audit", "checkpoint"])
    against = _checkpoint_file(tmp_path, storage, store)
    _rewrite_consistently(storage, store, database, 1, database.body(1).replace(b"learner@", b"someone@"))
    main(["audit", "verify"])                                  # alone, it cannot see it
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "verify", "--against", against])
    assert exit_info.value.code == 1
    assert "DIFFERS at entry 3, seq 3, statement %s: the recomputed chain differs from the checkpoint" % three[2].id \
        in capsys.readouterr().out


def test_verify_against_a_forged_checkpoint_exits_1(storage, store, three, signing, tmp_path, capsys):
    main(["audit", "checkpoint"])
    path = _checkpoint_file(tmp_path, storage, store)
    data = json.loads(open(path).read())
    data["checkpoints"][0]["hash"] = "00" * 32
    open(path, "w").write(json.dumps(data))
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "verify", "--against", path])
    assert exit_info.value.code == 1
    assert "the signature does not verify" in capsys.readouterr().out


def test_verify_against_with_the_served_public_key_file(storage, store, three, signing, tmp_path, monkeypatch, capsys):
    main(["audit", "checkpoint"])
    public = tmp_path / "lrs-public.pem"
    public.write_text(signed.public_key_pem(signing))
    monkeypatch.delenv("LRS_SIGNING_KEY_FILE")
    main(["audit", "verify", "--against", _checkpoint_file(tmp_path, storage, store), "--public-key", str(public)])
    assert "everything verifies" in capsys.readouterr().out


def test_start_up_refuses_a_missing_signing_key_and_makes_one_when_allowed(opener, tmp_path):
    from lrs.services import preflight
    path = str(tmp_path / "signing.pem")
    environ = {"LRS_DATABASE_URL": opener.url, "LRS_SIGNING_KEY_FILE": path}
    with pytest.raises(ConfigError, match="LRS_SIGNING_KEY_FILE .* does not exist"):
        preflight(environ)
    preflight(dict(environ, LRS_SIGNING_KEY_GENERATE="true"))
    assert os.path.exists(path)


def test_the_application_runs_a_checkpointer_when_a_signing_key_is_set(storage, store, put, signing):
    from lrs.app import create_app
    from lrs.config import Settings
    services = create_app(Settings.from_env(), storage=storage, announce=lambda text: None).extensions["lrs"]
    put(make_record())
    made = {c.store_id: c.n for c in services.checkpointer.close()}
    # every store's head: this one's statement, and the default store's start-up acts (issue 13)
    assert made == {s.id: storage.chain_head(s.id).n for s in storage.list_stores()} and made[store] == 1
    assert signed.check_signature(signing.public_key(), signed.checkpoint_json(storage.list_checkpoints(store)[0]))
