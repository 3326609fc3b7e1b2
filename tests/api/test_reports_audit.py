"""GET /reports/audit/key and /reports/audit/checkpoints (issue 13): what an auditor copies to keep
elsewhere, read with the `reports/read` scope; on both backends."""
import base64

import pytest
from cryptography.hazmat.primitives import serialization

from lrs.audit.checkpoints import check_signature, load_public_key
from lrs.auth import create_credential

from .conftest import XAPIClient, basic


def _statement(number):
    return {"actor": {"mbox": "mailto:learner%d@example.gov" % number},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "http://example.gov/course/%d" % number}}


@pytest.fixture
def signing_app(make_app, tmp_path):
    return make_app(signing_key_file=str(tmp_path / "signing.pem"), signing_key_generate=True)


def _auditor(app, scopes):
    services = app.extensions["lrs"]
    store = services.storage.get_store("default")
    key, secret = create_credential(services.storage, store.id, scopes, iterations=1000)
    return XAPIClient(app, "1.0.3", (key, secret))


@pytest.fixture
def auditor(signing_app):
    return _auditor(signing_app, ["reports/read"])


@pytest.fixture
def signed_twice(signing_app, auditor):
    """Two statements each followed by a checkpoint: the entries signed, [n, n + 1] for a chain of
    n - 1 entries before (start-up's acts, issue 13)."""
    writer, checkpointer = XAPIClient(signing_app), signing_app.extensions["lrs"].checkpointer
    storage = signing_app.extensions["lrs"].storage
    store = storage.get_store("default").id
    first = storage.chain_head(store).n + 1
    for number in range(2):
        assert writer.post_statements([_statement(number)]).status_code == 200
        checkpointer.tick(final=True)
    return [first, first + 1]


def test_the_key_is_the_ed25519_public_key_in_pem(signing_app, auditor):
    response = auditor.get("/reports/audit/key", version=False)
    assert response.status_code == 200 and response.mimetype == "application/x-pem-file"
    served = load_public_key(response.data)
    own = signing_app.extensions["lrs"].checkpointer.key.public_key()
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    assert served.public_bytes(*raw) == own.public_bytes(*raw)


def test_checkpoints_are_listed_oldest_first_and_verify_with_the_served_key(signing_app, auditor, signed_twice):
    body = auditor.get("/reports/audit/checkpoints", version=False).get_json()
    store = signing_app.extensions["lrs"].storage.get_store("default").id
    assert body["store"] == store and [c["n"] for c in body["checkpoints"]] == signed_twice
    key = load_public_key(auditor.get("/reports/audit/key", version=False).data)
    assert all(check_signature(key, checkpoint) for checkpoint in body["checkpoints"])
    assert len(base64.b64decode(body["checkpoints"][0]["signature"])) == 64


def test_after_lists_only_newer_checkpoints(auditor, signed_twice):
    body = auditor.get("/reports/audit/checkpoints?after=%d" % signed_twice[0], version=False).get_json()
    assert [c["n"] for c in body["checkpoints"]] == signed_twice[1:]


@pytest.mark.parametrize("query", ["after=-1", "after=one", "since=2026-01-01", "after=1&limit=3"])
def test_a_bad_or_unknown_parameter_is_400_with_a_message(auditor, query):
    response = auditor.get("/reports/audit/checkpoints?" + query, version=False)
    assert response.status_code == 400 and response.get_json()["error"]["message"]


def test_reports_need_credentials(signing_app):
    response = signing_app.test_client().get("/reports/audit/key")
    assert response.status_code == 401 and "Basic" in response.headers["WWW-Authenticate"]


def test_a_credential_without_reports_read_is_refused(signing_app):
    reader = _auditor(signing_app, ["statements/read", "statements/write"])
    response = reader.get("/reports/audit/checkpoints", version=False)
    assert response.status_code == 403 and "reports/read" in response.get_json()["error"]["message"]


def test_reports_read_cannot_write_or_read_statements(signing_app, auditor):
    assert auditor.post_statements([_statement(1)]).status_code == 403
    assert auditor.get("/xapi/statements").status_code == 403


def test_without_a_signing_key_both_answer_404_saying_so(app):
    auditor = _auditor(app, ["reports/read"])
    for path in ("/reports/audit/key", "/reports/audit/checkpoints"):
        response = auditor.get(path, version=False)
        assert response.status_code == 404 and "LRS_SIGNING_KEY_FILE" in response.get_json()["error"]["message"]


def test_the_listing_is_the_file_verify_against_reads(signing_app, auditor, signed_twice, tmp_path, monkeypatch,
                                                      capsys):
    from lrs.__main__ import main
    listing = tmp_path / "checkpoints.json"
    listing.write_bytes(auditor.get("/reports/audit/checkpoints", version=False).data)
    public = tmp_path / "lrs.pem"
    public.write_bytes(auditor.get("/reports/audit/key", version=False).data)
    monkeypatch.setenv("LRS_DATABASE_URL", signing_app.extensions["lrs"].settings.database_url)
    main(["audit", "verify", "--against", str(listing), "--public-key", str(public)])
    out = capsys.readouterr().out
    assert "store default: checked against 2 signed checkpoints" in out and "everything verifies" in out
