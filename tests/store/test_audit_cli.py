"""`python -m lrs audit verify [--store S]` (issue 13): one line per store, exit code 0 when
everything verifies and 1 at a difference, which it names. On both backends."""
import pytest

from lrs.__main__ import main

from .conftest import make_record
from .test_audit_tampering import MongoCollections, SQLiteFile


@pytest.fixture
def configured(opener, monkeypatch):
    monkeypatch.setenv("LRS_DATABASE_URL", opener.url)


@pytest.fixture
def two_stores(store, other_store, configured, put):
    """'department' with three statements, 'agency' with one."""
    department, agency = store, other_store
    put(make_record(), make_record(), store=department)
    put(make_record(), store=department)
    put(make_record(), store=agency)
    return department, agency


def test_verify_prints_every_store_and_that_everything_verifies(two_stores, capsys):
    main(["audit", "verify"])
    out = capsys.readouterr().out
    assert "store agency: 1 entries verify" in out and "store department: 3 entries verify" in out
    assert out.rstrip().endswith("everything verifies")


def test_verify_of_one_store_reads_only_that_store(two_stores, capsys):
    main(["audit", "verify", "--store", "agency"])
    out = capsys.readouterr().out
    assert "store agency: 1 entries verify" in out and "department" not in out


def test_a_difference_exits_1_and_names_the_entry_the_seq_and_the_statement(opener, storage, two_stores, capsys):
    department = two_stores[0]
    database = SQLiteFile(storage, department) if opener.backend == "sqlite" else MongoCollections(storage, department)
    body = database.body(2)
    database.set_body(2, body.replace(b"learner", b"Learner"))
    statement_id = next(r.id for r in storage.statement_rows(department, 2) if r.seq == 2)
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "verify"])
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "store department: DIFFERS at entry 2, seq 2, statement %s: statement content changed" % statement_id in out
    assert "store agency: 1 entries verify" in out and "everything verifies" not in out


def test_an_unknown_store_is_refused_with_a_message(two_stores):
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "verify", "--store", "nowhere"])
    assert "no store named 'nowhere'" in str(exit_info.value)
