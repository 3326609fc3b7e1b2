"""Pull sync (issue 12, item 4): copy a source LRS's statements into a store over HTTP, following
`more` links, each under its own id, with a resumable cursor in the database: a re-run duplicates
nothing, an interrupted run resumes, attachments come along, voided statements too.

The source is a second LRS app served on 127.0.0.1; every test runs on sqlite and mongomock."""
import json

import pytest

from lrs.federation.pull import PullError, Puller
from lrs.xapi.compare import equivalent
from tests.api.conftest import statement
from tests.api.test_attachments import TEXT, attachment, post_multipart, served_attachments

from .conftest import ADMIN, FaultInjector, client_of
from .test_forwarder import held_by, post, services_of, some_statements, stored_in

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def puller(agency, source_url, store="default", version="1.0.3", **options):
    services = services_of(agency)
    options.setdefault("page_limit", 3)
    options.setdefault("backoff_base_s", 0.001)
    return Puller(services.storage, services.settings, store, source_url + "/xapi/", ADMIN[0], ADMIN[1], version,
                  **options)


def test_pull_copies_every_statement_with_its_id_and_content_following_more(department, agency, serve):
    source = FaultInjector(department)
    served = serve(source)
    ids = post(department, *some_statements(8))
    result = puller(agency, served.url).run()
    assert (result.copied, result.refused, result.pages) == (8, 0, 3)
    assert len(source.passed) == 3                             # a first page and two `more` links
    copies = stored_in(agency, "default", ids)
    originals = stored_in(department, "default", ids)
    assert sorted(copies) == sorted(ids)
    assert all(equivalent(originals[i], copies[i]) for i in ids)


def test_pull_speaks_2_0(department, agency, serve):
    served = serve(department)
    ids = post(department, *some_statements(2))
    assert puller(agency, served.url, version="2.0.0").run().copied == 2
    assert sorted(held_by(agency)) == sorted(ids)


def test_a_rerun_duplicates_nothing_and_copies_only_what_is_new(department, agency, serve):
    served = serve(department)
    post(department, *some_statements(4))
    puller(agency, served.url).run()
    again = puller(agency, served.url).run()
    assert again.copied == 0
    later = post(department, *some_statements(2))
    assert puller(agency, served.url).run().copied == 2
    assert len(held_by(agency)) == 6 and set(later) <= set(held_by(agency))


def test_the_cursor_is_kept_in_the_database_with_the_ids_at_its_time(department, agency, serve):
    served = serve(department)
    ids = post(department, *some_statements(3))                   # one batch: one stored time
    pull = puller(agency, served.url)
    pull.run()
    cursor = services_of(agency).storage.get_pull_cursor(pull.store.id, pull.source)
    stored = {json.loads(client_of(department).get("/xapi/statements?statementId=" + i).data)["stored"] for i in ids}
    assert len(stored) == 1 and sorted(cursor.ids) == sorted(ids)


def test_an_interrupted_run_resumes_where_it_stopped(department, agency, serve):
    source = FaultInjector(department, fail_after=(2, (503, {}, "down for maintenance")))
    served = serve(source)
    batches = [post(department, *some_statements(3)) for _ in range(3)]    # three stored times
    with pytest.raises(PullError, match="503"):
        puller(agency, served.url, retries=1).run()                    # two pages, then the source is down
    assert sorted(held_by(agency)) == sorted(batches[0] + batches[1])
    source.always = None
    result = puller(agency, served.url).run()
    assert result.copied == 3
    assert "since=" in source.queries[2]                               # from the cursor, not from the start
    assert sorted(held_by(agency)) == sorted(sum(batches, []))


def test_transient_source_failures_are_retried(department, agency, serve):
    served = serve(FaultInjector(department, [(503, {}, "busy"), (429, {"Retry-After": "0"}, "slow")]))
    ids = post(department, *some_statements(2))
    assert puller(agency, served.url).run().copied == 2
    assert sorted(held_by(agency)) == sorted(ids)


def test_a_source_refusing_the_credentials_stops_the_run_with_its_answer(department, agency, serve):
    served = serve(department)
    services = services_of(agency)
    pull = Puller(services.storage, services.settings, "default", served.url + "/xapi/", ADMIN[0], "wrong", "1.0.3")
    with pytest.raises(PullError, match="401"):
        pull.run()


def test_attachments_are_fetched_and_kept(department, agency, serve):
    served = serve(department)
    response = post_multipart(client_of(department), [statement(attachments=[attachment()])], TEXT)
    statement_id, = response.get_json()
    puller(agency, served.url).run()
    assert served_attachments(client_of(agency), statement_id) == [TEXT]


def test_voided_statements_come_along_and_stay_voided_VOID_2(department, agency, serve):
    served = serve(department)
    target, = post(department, statement())
    voiding, = post(department, statement(verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": target}))
    puller(agency, served.url).run()
    storage = services_of(agency).storage
    store = storage.get_store("default")
    held = storage.get_statements(store.id, [target, voiding])
    assert held[target].voided and held[voiding].is_voiding


def test_a_filter_copies_only_matching_statements(department, agency, serve):
    served = serve(department)
    wanted, = post(department, statement())
    post(department, statement(verb={"id": "http://adlnet.gov/expapi/verbs/attempted"}))
    pull = puller(agency, served.url, filters={"verb": "http://adlnet.gov/expapi/verbs/completed"})
    assert pull.run().copied == 1
    assert list(held_by(agency)) == [wanted]


def test_an_unknown_filter_is_refused(agency):
    with pytest.raises(ValueError, match="verbs"):
        puller(agency, "http://127.0.0.1:1", filters={"verbs": "x"})


def test_the_pull_command(department, agency, serve, monkeypatch, capsys):
    served = serve(department)
    ids = post(department, *some_statements(2))
    settings = services_of(agency).settings
    monkeypatch.setattr("lrs.config.Settings.from_env", classmethod(lambda cls, environ=None: settings))
    from lrs.__main__ import main
    main(["pull", "--from", served.url + "/xapi/", "--key", ADMIN[0], "--secret", ADMIN[1], "--store", "default",
          "--version", "1.0.3", "--filter", "verb=http://adlnet.gov/expapi/verbs/completed"])
    assert "pulled 2 statements (0 refused)" in capsys.readouterr().out
    assert sorted(held_by(agency)) == sorted(ids)
    with pytest.raises(SystemExit, match="401"):
        main(["pull", "--from", served.url + "/xapi/", "--key", ADMIN[0], "--secret", "wrong", "--store", "default"])


def test_follow_keeps_copying_what_arrives_until_stopped(department, agency, serve):
    served = serve(department)
    first = post(department, *some_statements(2))
    runs = []

    def between_runs(seconds):
        if len(runs) == 1:
            post(department, *later)                          # arrives while the puller waits

    later = some_statements(3)
    pull = puller(agency, served.url, sleep=between_runs)
    pull.follow(poll_s=0, stop=lambda: len(runs) >= 2, on_result=runs.append)
    assert [r.copied for r in runs] == [2, 3]
    assert sorted(held_by(agency)) == sorted(first + [s["id"] for s in later])


def test_progress_shows_count_and_rate_on_a_terminal_only():
    import io

    from lrs.federation.pull import PullResult, terminal_progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True
    screen = Terminal()
    terminal_progress(screen)(PullResult(copied=1500, pages=3))
    assert "copied 1500 statements, 3 pages" in screen.getvalue() and "statements/s" in screen.getvalue()
    assert terminal_progress(io.StringIO()) is None


@pytest.mark.parametrize("argv, message", [
    (["--since", "yesterday"], "--since must be an ISO 8601 timestamp"),
    (["--filter", "verb"], "--filter takes NAME=VALUE"),
    (["--filter", "verbs=x"], "a pull filter takes only"),
    (["--store", "nowhere"], "no store named 'nowhere'"),
])
def test_the_pull_command_refuses_bad_arguments_with_one_line(agency, monkeypatch, argv, message):
    settings = services_of(agency).settings
    monkeypatch.setattr("lrs.config.Settings.from_env", classmethod(lambda cls, environ=None: settings))
    from lrs.__main__ import main
    base = ["pull", "--from", "http://127.0.0.1:9/xapi/", "--key", "k", "--secret", "s", "--store", "default"]
    with pytest.raises(SystemExit, match=message):
        main(base + argv)
