"""A remote forwarding rule is checked when it is created (issue 12, "Bad input and faults"): an
unreachable URL, wrong credentials or a target speaking another xAPI version is refused at once,
in one line, instead of filling dead letters later; `--no-check` (check=False) keeps a rule for a
target that is down on purpose. The CLI and the admin HTTP API both go through the service.

Every test runs on sqlite and mongomock (the `backend` fixture of tests/federation/conftest.py).
"""
import io

import pytest

from lrs.errors import BadRequest
from tests.api.test_admin_api import Admin
from tests.system.conftest import free_port

from .conftest import ADMIN, FaultInjector


def add(app, endpoint, key=ADMIN[0], secret=ADMIN[1], version="1.0.3", **options):
    return app.extensions["lrs"].forwarding.add("default", "to-agency", endpoint=endpoint, key=key, secret=secret,
                                                version=version, **options)


def refusal(app, endpoint, **options):
    """The one-line message a refused rule gets; no rule is kept."""
    with pytest.raises(BadRequest) as error:
        add(app, endpoint, **options)
    assert app.extensions["lrs"].storage.list_forwarding_rules() == []
    assert "\n" not in error.value.message
    return error.value.message


def nowhere():
    return "http://127.0.0.1:%d/xapi/" % free_port()


def test_a_reachable_target_with_valid_credentials_is_accepted(department, agency, serve):
    rule = add(department, serve(agency).url + "/xapi/")
    assert department.extensions["lrs"].storage.get_forwarding_rule(rule.id) is not None


def test_an_unreachable_target_is_refused_when_the_rule_is_created(department):
    message = refusal(department, nowhere())
    assert message.startswith("cannot reach the target LRS at http://127.0.0.1:") and "without the check" in message


def test_wrong_credentials_are_refused_when_the_rule_is_created(department, agency, serve):
    message = refusal(department, serve(agency).url + "/xapi/", secret="not-the-secret")
    assert "refuses the key and secret (401)" in message
    assert "not-the-secret" not in message


def test_a_target_speaking_another_version_is_refused_when_the_rule_is_created_VER_2(department, make_app, serve):
    agency = make_app("agency20")
    agency.extensions["lrs"].settings.xapi_versions = ["2.0.0"]
    message = refusal(department, serve(agency).url + "/xapi/", version="1.0.3")
    assert message.endswith("speaks xAPI 2.0.0, not 1.0.3: give the rule one of those versions")


def test_a_target_of_the_same_version_series_is_accepted(department, make_app, serve):
    """1.0.0..1.0.3 are one series: a target listing 1.0.0 and 1.0.1 takes 1.0.3 statements."""
    agency = make_app("agency101")
    served = serve(FaultInjector(agency, [(200, {"Content-Type": "application/json"}, '{"version": ["1.0.1", "1.0.0"]}')]))
    assert add(department, served.url + "/xapi/", version="1.0.3").version == "1.0.3"


def test_a_server_that_is_not_an_xapi_lrs_is_refused(department, agency, serve):
    served = serve(FaultInjector(agency, [(200, {"Content-Type": "text/html"}, "<html>portal</html>")]))
    assert "does not answer GET about as an xAPI LRS (200 <html>portal</html>)" in refusal(
        department, served.url + "/xapi/")


def test_a_failing_target_is_refused_with_its_answer(department, agency, serve):
    served = serve(FaultInjector(agency, [None, (503, {}, "down for maintenance")]))
    assert "answers an authenticated request with 503 down for maintenance" in refusal(
        department, served.url + "/xapi/")


def test_a_credential_that_may_write_but_not_read_is_accepted(department, agency, serve):
    """The check reads a statement no one has: a write-only credential is authenticated (403),
    which is all a forwarding rule needs."""
    view, secret = agency.extensions["lrs"].admin.create_credential("default", "department",
                                                                      scopes=["statements/write"])
    served = serve(agency)
    assert add(department, served.url + "/xapi/", key=view["key"], secret=secret)


def test_without_the_check_a_rule_for_a_target_down_on_purpose_is_kept(department):
    rule = add(department, nowhere(), check=False)
    assert department.extensions["lrs"].storage.get_forwarding_rule(rule.id).endpoint.startswith("http://127.0.0.1")


def test_the_cli_refuses_an_unreachable_target_in_one_line(department, cli, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(ADMIN[1] + "\n"))
    with pytest.raises(SystemExit) as exit_info:
        cli("forwarding", "add", "to-agency", "--endpoint", nowhere(), "--key", ADMIN[0], "--version", "1.0.3")
    message = str(exit_info.value)
    assert message.startswith("error: cannot reach the target LRS") and "\n" not in message
    assert ADMIN[1] not in message


def test_the_cli_keeps_a_rule_with_no_check(department, cli, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(ADMIN[1] + "\n"))
    assert "added forwarding rule to-agency" in cli("forwarding", "add", "to-agency", "--endpoint", nowhere(),
                                                     "--key", ADMIN[0], "--version", "1.0.3", "--no-check")


def test_the_admin_api_answers_400_with_the_reason_and_takes_check_false(department):
    api = Admin(department)
    body = {"store": "default", "name": "to-agency", "endpoint": nowhere(), "key": ADMIN[0], "secret": ADMIN[1],
            "version": "1.0.3"}
    refused = api.post("/forwarding", json=body)
    assert refused.status_code == 400 and "cannot reach the target LRS" in refused.get_data(as_text=True)
    assert api.post("/forwarding", json=dict(body, check="no")).status_code == 400
    assert api.post("/forwarding", json=dict(body, check=False)).status_code == 201
