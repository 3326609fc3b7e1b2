"""Forwarding rules as the service validates and keeps them (issue 12, item 1): filters with the
statement query's semantics, targets checked, remote secrets encrypted under LRS_SECRET_KEY and
never shown, start-up refusing rules whose secret it cannot decrypt."""
import io
import json
import uuid

import pytest
from cryptography.fernet import Fernet

from lrs.__main__ import main
from lrs.config import ConfigError, Settings
from lrs.errors import BadRequest, NotFound
from lrs.federation.forwarding import ForwardingService
from lrs.services import preflight
from lrs.store import InsertBatch, StatementRecord, open_storage
from lrs.xapi.agents import agent_key
from lrs.xapi.keys import index_keys

KEY = Fernet.generate_key().decode()
SECRET = "remote-secret-Xq7-never-shown"
VERB = "http://adlnet.gov/expapi/verbs/completed"
AGENT = {"mbox": "mailto:learner@example.gov"}


@pytest.fixture
def env(tmp_path):
    return {"LRS_DATABASE_URL": "sqlite:///" + str(tmp_path / "lrs.sqlite3"), "LRS_SECRET_KEY": KEY}


@pytest.fixture
def storage(env):
    storage = open_storage(env["LRS_DATABASE_URL"])
    for name in ("department", "agency"):
        storage.create_store(name)
    yield storage
    storage.close()


@pytest.fixture
def service(storage, env):
    return ForwardingService(storage, Settings.from_env(env))


def remote(service, name="to-agency", **changes):
    fields = dict(endpoint="https://agency.example.gov/xapi", key="dept-key", secret=SECRET, version="1.0.3",
                  check=False)                      # no such host: checking a target is tested in tests/federation
    fields.update(changes)
    return service.add("department", name, **fields)


def test_a_store_target_is_kept_by_id(service, storage):
    rule = service.add("department", "to-agency", to_store="agency")
    assert rule.target_store_id == storage.get_store("agency").id and rule.remote is False


def test_the_filter_is_compiled_by_the_query_parser(service):
    """QRY-14..QRY-19: the same (kind, value) pairs a GET /statements query would use."""
    rule = service.add("department", "completions", to_store="agency",
                       filter={"verb": VERB, "agent": json.dumps(AGENT), "related_agents": "true"})
    assert rule.filters == [("related_agent", agent_key(AGENT)), ("verb", VERB)]


def test_a_filter_matches_as_the_statement_query_does(service, storage):
    service.add("department", "completions", to_store="agency", filter={"verb": VERB, "agent": json.dumps(AGENT)})
    department = storage.get_store("department").id

    def record(verb, actor):
        statement = {"id": str(uuid.uuid4()), "actor": actor,
                     "verb": {"id": verb}, "object": {"id": "http://example.gov/unit"}}
        return StatementRecord(id=statement["id"], statement=statement, index_keys=index_keys(statement))
    kept = record(VERB, AGENT)
    storage.insert_statements(department, InsertBatch(statements=[
        kept, record(VERB, {"mbox": "mailto:other@example.gov"}), record(VERB + "/x", AGENT)]))
    assert [s.counts.pending for s in service.states("department")] == [1]


@pytest.mark.parametrize("filter_, words", [
    ({"since": "2024-01-01T00:00:00Z"}, "takes only"),
    ({"verb": "not an iri"}, "verb"),
    ({"agent": "{not json"}, "agent"),
    ({"registration": "nope"}, "registration"),
])
def test_a_filter_that_does_not_parse_is_refused(service, filter_, words):
    with pytest.raises(BadRequest) as error:
        service.add("department", "bad", to_store="agency", filter=filter_)
    assert words in error.value.message


@pytest.mark.parametrize("changes, words", [
    ({"endpoint": "ftp://agency.example.gov/"}, "http(s) URL"),
    ({"endpoint": "https://u:p@agency.example.gov/xapi"}, "credentials"),
    ({"key": ""}, "key and the secret"),
    ({"secret": ""}, "key and the secret"),
    ({"version": "0.95"}, "version"),
])
def test_a_bad_remote_target_is_refused(service, changes, words):
    with pytest.raises(BadRequest) as error:
        remote(service, **changes)
    assert words in error.value.message


def test_a_rule_needs_exactly_one_existing_target_other_than_its_store(service):
    with pytest.raises(BadRequest):
        service.add("department", "none")
    with pytest.raises(BadRequest):
        service.add("department", "self", to_store="department")
    with pytest.raises(NotFound):
        service.add("department", "ghost", to_store="no-such-store")


def test_the_secret_is_kept_encrypted_and_opens_for_the_forwarder(service, storage):
    rule = remote(service)
    kept = storage.get_forwarding_rule(rule.id)
    assert SECRET.encode() not in kept.secret_sealed
    assert service.secret_of(kept) == SECRET


def test_a_remote_rule_needs_lrs_secret_key(storage, env):
    service = ForwardingService(storage, Settings.from_env(dict(env, LRS_SECRET_KEY="")))
    with pytest.raises(ConfigError) as error:
        remote(service)
    assert "LRS_SECRET_KEY" in str(error.value)


def test_a_malformed_lrs_secret_key_is_refused_without_echoing_it(env):
    with pytest.raises(ConfigError) as error:
        Settings.from_env(dict(env, LRS_SECRET_KEY="short-and-secret"))
    assert "LRS_SECRET_KEY" in str(error.value) and "short-and-secret" not in str(error.value)


def test_start_up_refuses_a_rule_it_cannot_decrypt(service, env):
    remote(service)
    preflight(env)                                                    # the right key: fine
    with pytest.raises(ConfigError) as error:
        preflight(dict(env, LRS_SECRET_KEY=Fernet.generate_key().decode()))
    message = str(error.value)
    assert "'to-agency'" in message and "'department'" in message and "\n" not in message


def test_a_rotated_key_still_opens_rules_sealed_under_the_old_one(service, storage, env):
    rule = remote(service)
    rotated = ForwardingService(storage, Settings.from_env(dict(env, LRS_SECRET_KEY=Fernet.generate_key().decode()
                                                                + "," + KEY)))
    assert rotated.secret_of(storage.get_forwarding_rule(rule.id)) == SECRET


def test_pause_resume_and_remove_by_store_and_name(service):
    service.add("department", "to-agency", to_store="agency")
    service.pause("department", "to-agency")
    assert [s.as_dict()["state"] for s in service.states()] == ["paused"]
    service.resume("department", "to-agency")
    assert [s.as_dict()["state"] for s in service.states()] == ["active"]
    service.remove("department", "to-agency")
    assert service.states() == []
    with pytest.raises(NotFound):
        service.pause("department", "to-agency")


# --- the command line ------------------------------------------------------------------------

@pytest.fixture
def cli(env, storage, monkeypatch):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LRS_SECRET_HASH_ITERATIONS", "1000")


def test_cli_adds_a_remote_rule_reading_the_secret_from_stdin_and_never_prints_it(cli, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    main(["forwarding", "add", "--store", "department", "to-agency", "--endpoint", "https://agency.example.gov/xapi/",
          "--key", "dept-key", "--verb", VERB, "--no-check"])
    main(["forwarding", "list"])
    main(["forwarding", "list", "--json"])
    out = capsys.readouterr().out
    assert "to-agency" in out and "https://agency.example.gov/xapi/" in out and "pending 0" in out
    assert SECRET not in out


def test_cli_pauses_resumes_and_removes(cli, capsys):
    main(["forwarding", "add", "--store", "department", "to-agency", "--to-store", "agency"])
    main(["forwarding", "pause", "--store", "department", "to-agency"])
    main(["forwarding", "list", "--json"])
    assert json.loads(capsys.readouterr().out.split("\n", 2)[-1])[0]["state"] == "paused"
    main(["forwarding", "resume", "--store", "department", "to-agency"])
    main(["forwarding", "remove", "--store", "department", "to-agency"])
    main(["forwarding", "list", "--json"])
    assert json.loads(capsys.readouterr().out.split("\n", 2)[-1]) == []


def test_cli_refuses_a_bad_filter_with_one_line(cli):
    with pytest.raises(SystemExit) as exit_info:
        main(["forwarding", "add", "--store", "department", "x", "--to-store", "agency", "--verb", "not an iri"])
    assert str(exit_info.value).startswith("error: ") and "\n" not in str(exit_info.value)


def test_cli_new_key_prints_a_usable_key(cli, capsys):
    main(["forwarding", "new-key"])
    Fernet(capsys.readouterr().out.strip().encode())
