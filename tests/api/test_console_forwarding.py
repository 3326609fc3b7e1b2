"""Forwarding rules managed from the console (issue 14 with the federation's forwarding, issue 12):
add one to another store or to a remote LRS, pause, resume, remove; a remote secret is never shown
again. Through the Flask test client, on both backends."""
import pytest

from lrs.federation.secrets import new_key

from tests.system.conftest import free_port

from .test_console import Console


REMOTE = {"store": "default", "name": "to-agency", "target": "remote", "endpoint": "https://agency.example.gov/xapi/",
          "key": "our-key-there", "secret": "a-remote-secret-never-shown", "version": "1.0.3"}


@pytest.fixture
def app(make_app):
    return make_app(secret_key=new_key())        # LRS_SECRET_KEY: remote secrets are kept encrypted with it


@pytest.fixture
def console(app):
    browser = Console(app)
    assert browser.sign_in().status_code == 302
    browser.get("/forwarding")                   # the session's CSRF token
    return browser


@pytest.fixture
def forwarding(app):
    app.extensions["lrs"].admin.create_store("agency")
    return app.extensions["lrs"].forwarding


def test_add_a_rule_to_another_store_with_a_filter(console, forwarding):
    response = console.post("/forwarding", {"store": "default", "name": "quizzes", "target": "store",
                                            "to_store": "agency", "verb": "http://adlnet.gov/expapi/verbs/passed",
                                            "related_activities": "true"})
    rule = forwarding.get("default", "quizzes")
    assert response.status_code == 302 and response.headers["Location"].endswith("/forwarding")
    assert rule.filter == {"verb": "http://adlnet.gov/expapi/verbs/passed", "related_activities": "true"}
    page = console.get("/forwarding").get_data(as_text=True)
    assert "default → store agency: quizzes" in page and 'class="badge active"' in page


def test_add_a_rule_to_a_remote_lrs_whose_secret_is_never_shown(console, forwarding):
    assert console.post("/forwarding", REMOTE).status_code == 302
    rule = forwarding.get("default", "to-agency")
    assert (rule.endpoint, rule.key, rule.version) == (REMOTE["endpoint"], REMOTE["key"], "1.0.3")
    assert forwarding.secret_of(rule) == REMOTE["secret"]
    page = console.get("/forwarding").get_data(as_text=True)
    assert "our-key-there" in page and REMOTE["secret"] not in page


def test_the_form_offers_the_remote_check_checked_by_default_issue_12(console):
    page = console.get("/forwarding").get_data(as_text=True)
    assert 'name="check" value="true" aria-describedby="fw-check-hint" checked' in page


def test_a_remote_lrs_that_cannot_be_reached_is_refused_next_to_the_endpoint_when_checked_issue_12(
        console, forwarding):
    response = console.post("/forwarding", dict(REMOTE, endpoint="http://127.0.0.1:%d/xapi/" % free_port(),
                                                 check="true"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="endpoint-error"' in page and "cannot reach" in page
    assert REMOTE["secret"] not in page
    assert forwarding.states() == []


def test_a_bad_endpoint_is_reshown_next_to_its_field_without_the_secret(console, forwarding):
    response = console.post("/forwarding", dict(REMOTE, endpoint="ftp://agency.example.gov/"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="endpoint-error"' in page
    assert 'value="our-key-there"' in page and REMOTE["secret"] not in page
    assert forwarding.states() == []


@pytest.mark.parametrize("change, field", [({"name": ""}, "name"), ({"secret": ""}, "secret"),
                                           ({"key": ""}, "key"), ({"version": "0.95"}, "version"),
                                           ({"agent": "not json"}, "filter"),
                                           ({"target": "store", "to_store": "default"}, "to_store")])
def test_bad_values_are_reshown_next_to_their_field(console, forwarding, change, field):
    response = console.post("/forwarding", dict(REMOTE, **change))
    assert response.status_code == 400 and 'id="%s-error"' % field in response.get_data(as_text=True)
    assert forwarding.states() == []


def test_pause_and_resume_a_rule(console, forwarding):
    forwarding.add("default", "r", to_store="agency")
    console.get("/forwarding")
    console.post("/forwarding/default/r/pause")
    assert not forwarding.get("default", "r").active
    assert 'class="badge paused"' in console.get("/forwarding").get_data(as_text=True)
    console.post("/forwarding/default/r/resume")
    assert forwarding.get("default", "r").active


def test_remove_a_rule(console, forwarding):
    forwarding.add("default", "r", to_store="agency")
    console.get("/forwarding")
    assert console.post("/forwarding/default/r/remove").status_code == 302
    assert forwarding.states() == []


def test_an_action_on_an_unknown_rule_is_404(console, forwarding):
    console.get("/forwarding")
    response = console.post("/forwarding/default/nothing/pause")
    assert response.status_code == 404 and "nothing" in response.get_data(as_text=True)


def test_the_forms_need_the_csrf_token(console, forwarding):
    forwarding.add("default", "r", to_store="agency")
    assert console.post("/forwarding/default/r/remove", csrf=False).status_code == 400
    assert console.post("/forwarding", dict(REMOTE, name="x"), csrf=False).status_code == 400
    assert [state.rule.name for state in forwarding.states()] == ["r"]


def test_without_lrs_secret_key_a_remote_rule_is_refused_with_the_reason(make_app):
    console = Console(make_app())
    console.sign_in()
    console.get("/forwarding")
    response = console.post("/forwarding", REMOTE)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="endpoint-error"' in page and "LRS_SECRET_KEY" in page
