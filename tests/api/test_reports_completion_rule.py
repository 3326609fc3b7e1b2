"""What counts as completion is configurable per store (issue 13): kept in the database, set through the
administration service, the admin API and the command line, and obeyed by every report; both backends."""
import json
from urllib.parse import quote

import pytest

from lrs.__main__ import main
from lrs.reports.rule import DEFAULT_RULE

from .reports_fixture import ADL, ANA, COURSE, DEE, PODCAST, QUIZ, VIDEO
from .reports_fixture import record  # noqa: F401  (the fixture)
from .test_admin_api import Admin

MARCH = "since=2026-03-01T00:00:00Z&until=2026-03-31T23:59:59Z"
# an agency where only passing counts: completed and result.completion are not enough
PASSING_ONLY = {"completion_verbs": [ADL + "passed"], "result_completion": False}


def _status(auditor, activity=COURSE):
    body = auditor.get("/reports/completions?activity=" + quote(activity) + "&include_children=true").get_json()
    return {(line["learner"]["mbox"], line["activity"]): (line["status"], line["completed"]) for line in body["lines"]}


def test_a_store_without_a_rule_uses_the_default(app, record):
    view = app.extensions["lrs"].admin.completion_rule("default")
    assert view["default"] is True and view["rule"] == DEFAULT_RULE.as_dict()
    assert ADL + "mastered" in view["rule"]["completion_verbs"]


def test_a_rule_that_counts_only_passing_changes_who_completed(app, record):
    app.extensions["lrs"].admin.set_completion_rule("default", PASSING_ONLY)
    status = _status(record.auditor())
    assert status[(ANA["mbox"], VIDEO)] == ("in progress", None)             # `completed` no longer counts
    assert status[(ANA["mbox"], QUIZ)] == ("passed", "2026-03-03T10:08:00.000Z")
    assert status[(DEE["mbox"], PODCAST)] == ("in progress", None)          # result.completion no longer counts


def test_the_rule_is_kept_per_store(app, record):
    app.extensions["lrs"].admin.set_completion_rule("dept-b", PASSING_ONLY)
    assert _status(record.auditor())[(DEE["mbox"], PODCAST)] == ("completed", "2026-03-21T18:00:00.000Z")


def test_the_transcript_obeys_the_rule(app, record):
    app.extensions["lrs"].admin.set_completion_rule("default", PASSING_ONLY)
    lines = record.auditor().get("/reports/transcript?agent=" + quote(json.dumps(ANA))).get_json()["activities"]
    assert [(line["activity"], line["completed"]) for line in lines] == [
        (VIDEO, None), (QUIZ, "2026-03-03T10:08:00.000Z"), (COURSE, None)]


def test_the_history_obeys_the_rule(app, record):
    app.extensions["lrs"].admin.set_completion_rule("default", PASSING_ONLY)
    row = record.auditor().get("/reports/history?" + MARCH).get_json()["periods"][0]
    assert (row["completions"], row["learners"]) == (2, 2)                 # Ana and Bob passed the quiz


def test_failure_by_result_success_can_be_ignored(app, record):
    """With result_success false only the verbs say: Cy's `failed` still fails, an `answered` with
    result.success true no longer passes."""
    app.extensions["lrs"].admin.set_completion_rule("default", {"result_success": False})
    row = record.auditor().get("/reports/history?" + MARCH).get_json()["periods"][0]
    assert (row["passed"], row["failed"]) == (2, 2)


def test_resetting_goes_back_to_the_default(app, record):
    admin = app.extensions["lrs"].admin
    admin.set_completion_rule("default", PASSING_ONLY)
    assert admin.set_completion_rule("default", None)["default"] is True
    assert _status(record.auditor())[(DEE["mbox"], PODCAST)][0] == "completed"


@pytest.mark.parametrize("fields, words", [
    ({"completion_verbs": "passed"}, "completion_verbs: a list of verb IRIs"),
    ({"completion_verbs": ["passed"]}, "is not an IRI"),
    ({"result_success": "yes"}, "result_success: true or false"),
    ({"completed_verbs": []}, "completed_verbs: unknown field"),
])
def test_a_bad_rule_is_refused_naming_the_field(app, fields, words):
    response = Admin(app).open("PUT", "/stores/default/completion-rule", json=fields)
    assert response.status_code == 400 and words in response.get_json()["error"]["message"]


def test_the_admin_api_sets_shows_and_resets_the_rule(app, record):
    api = Admin(app)
    assert api.open("PUT", "/stores/default/completion-rule", json=PASSING_ONLY).status_code == 200
    shown = api.get("/stores/default/completion-rule").get_json()
    assert shown["rule"]["completion_verbs"] == [ADL + "passed"] and shown["default"] is False
    assert api.open("DELETE", "/stores/default/completion-rule").get_json()["default"] is True


def test_the_admin_api_rule_of_an_unknown_store_is_404(app):
    assert Admin(app).get("/stores/nowhere/completion-rule").status_code == 404


def test_the_admin_api_grants_and_takes_back_report_stores(app, record):
    api, auditor = Admin(app), record.auditor()
    response = api.open("PUT", "/credentials/%s/report-stores" % auditor.key, json={"stores": ["dept-b"]})
    assert response.get_json() == {"key": auditor.key, "store": "default", "stores": ["dept-b"]}
    assert auditor.get("/reports/history?" + MARCH + "&stores=dept-b").status_code == 200
    api.open("PUT", "/credentials/%s/report-stores" % auditor.key, json={"stores": []})
    assert auditor.get("/reports/history?" + MARCH + "&stores=dept-b").status_code == 403


def test_the_admin_api_refuses_a_grant_of_an_unknown_store(app, record):
    response = Admin(app).open("PUT", "/credentials/%s/report-stores" % record.auditor().key,
                               json={"stores": ["nowhere"]})
    assert response.status_code == 404 and "nowhere" in response.get_json()["error"]["message"]


# --- the command line (SQLite file) ---------------------------------------------------------------------

@pytest.fixture
def database(tmp_path, monkeypatch):
    monkeypatch.setenv("LRS_DATABASE_URL", "sqlite:///" + str(tmp_path / "cli.sqlite3"))
    monkeypatch.setenv("LRS_SECRET_HASH_ITERATIONS", "1000")
    main(["stores", "create", "health"])
    main(["stores", "create", "finance"])


def test_the_cli_sets_and_shows_a_stores_rule(database, capsys):
    main(["reports", "completion-rule", "--store", "health", "--set", '{"result_completion": false}'])
    capsys.readouterr()
    main(["reports", "completion-rule", "--store", "health"])
    out = capsys.readouterr().out
    assert '"result_completion": false' in out and '"default": false' in out


def test_the_cli_refuses_a_bad_rule_with_a_message(database):
    with pytest.raises(SystemExit) as exit_info:
        main(["reports", "completion-rule", "--store", "health", "--set", '{"result_completion": 1}'])
    assert "result_completion: true or false" in str(exit_info.value)


def test_the_cli_grants_and_revokes_report_stores(database, capsys):
    main(["credentials", "create", "--store", "health", "--scopes", "reports/read"])
    key = capsys.readouterr().out.split("key:")[1].split()[0]
    main(["reports", "grant", key, "finance"])
    assert "reads the reports of: health, finance" in capsys.readouterr().out
    main(["reports", "revoke", key, "finance"])
    assert "reads the reports of: health\n" in capsys.readouterr().out
