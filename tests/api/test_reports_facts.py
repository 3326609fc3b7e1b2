"""The reports (issue 13) scan the few values of each statement kept at ingest (lrs.store.ReportFacts)
instead of inflating and parsing every statement: they must give exactly the lines the statements
themselves give, on both backends, for a store that kept the facts, one migrated from the schema
before them (the facts derived from the bodies), and one holding both; voided statements never
count, and an erasure leaves nothing of the learner in the facts."""
import sqlite3

import pytest

from lrs.reports.completions import completions, history
from lrs.reports.transcript import transcript
from lrs.store import StatementQuery, StorageBackend
from lrs.store.sqlite import MIGRATIONS, SQLiteStorage
from lrs.xapi.agents import agent_key

from .reports_fixture import ADL, ANA, BOB, COURSE, PODCAST, QUIZ, VIDEO, sid
from .reports_fixture import record  # noqa: F401  (the fixture)
from .test_admin_api import Admin

FAY = {"mbox": "mailto:fay@agency.gov", "name": "Fay"}
GUS = {"mbox": "mailto:Gus@Agency.GOV", "name": "Gus"}                # the key folds the domain, the report not
HAL = {"account": {"name": "hal.k", "homePage": "https://hr.agency.gov"}, "name": "Hal"}
TEAM = {"objectType": "Group", "name": "Team", "member": [ANA, FAY]}
NAMED_TEAM = {"objectType": "Group", "name": "Named team", "mbox": "mailto:team@agency.gov"}
PARENT = {"contextActivities": {"parent": [{"id": COURSE}]}}
MORE = [
    # a Group with members counts for each member; one without members for itself
    {"id": sid(201), "actor": TEAM, "verb": {"id": ADL + "passed"}, "object": {"id": QUIZ},
     "result": {"score": {"scaled": 1}, "success": True}, "context": PARENT, "timestamp": "2026-03-22T10:00:00Z"},
    {"id": sid(202), "actor": NAMED_TEAM, "verb": {"id": ADL + "completed"}, "object": {"id": COURSE},
     "timestamp": "2026-03-22T11:00:00Z"},
    # no timestamp: the store sets it from `stored` (TIME-9)
    {"id": sid(203), "actor": GUS, "verb": {"id": ADL + "completed"}, "object": {"id": VIDEO},
     "result": {"completion": True, "duration": "PT1H2M"}, "context": PARENT},
    {"id": sid(204), "actor": HAL, "verb": {"id": ADL + "experienced"}, "object": {"id": PODCAST},
     "result": {"duration": "P1DT1.5S"},
     "context": {"registration": "5A3C2D3E-0000-4000-8000-00000000ABCD",
                 "contextActivities": {"grouping": [{"id": COURSE}]}}, "timestamp": "2026-03-23T08:00:00+02:00"},
    # about a statement that is about the course: found by the course's related activities, never counted
    {"id": sid(205), "actor": BOB, "verb": {"id": ADL + "answered"},
     "object": {"objectType": "StatementRef", "id": sid(6)}, "context": PARENT, "timestamp": "2026-03-24T10:00:00Z"},
]


class BodiesOnly:
    """The storage, its reports reading every statement's body (the path of a statement without facts)."""

    def __init__(self, storage):
        self.storage = storage

    def __getattr__(self, name):
        return getattr(self.storage, name)

    def query_report_rows(self, store_id, query):
        return StorageBackend.query_report_rows(self, store_id, query)


def _reports(storage, stores):
    """Every report the facts feed, as plain values: completions (lines and summary) of the course with its
    children and of the quiz alone, history by week per activity and per store, and each learner's transcript."""
    found = {}
    for activity, children in ((COURSE, True), (QUIZ, False), (VIDEO, False)):
        report = completions(storage, stores, activity, children)
        found["completions", activity] = ([entry.row() for entry in report.lines()], report.summary)
    for per in ("activity", "store"):
        found["history", per] = history(storage, stores, 1772323200000, 1775001600000, "week", per=per)
    found["history", "course"] = history(storage, stores, 1772323200000, 1775001600000, "day", COURSE, True)
    for agent in (ANA, BOB, FAY, GUS, HAL, NAMED_TEAM):
        found["transcript", agent["name"]] = [line.row() for line in transcript(storage, stores[0].id,
                                                                                [agent_key(agent)])]
    return found


@pytest.fixture
def full(record, client):
    assert client.post_statements(MORE).status_code == 200
    return record


def test_statements_written_through_the_api_keep_their_report_facts(full):
    rows, _more = full.storage.query_report_rows(full.dept_a.id, _all())
    assert rows and all(row.facts is not None and row.body == b"" for row in rows)
    facts = {row.id: row.facts for row in rows}
    assert facts[sid(201)].learners == (
        (agent_key(ANA), {"mbox": ANA["mbox"]}, "Ana"), (agent_key(FAY), {"mbox": FAY["mbox"]}, "Fay"))
    assert facts[sid(203)].timestamp_ms is None                        # the stored time
    assert facts[sid(204)].registration == "5a3c2d3e-0000-4000-8000-00000000abcd"
    assert facts[sid(204)].duration == 86401.5 and facts[sid(204)].context == (COURSE,)
    assert facts[sid(205)].activity is None


def _all():
    return StatementQuery(ascending=True, limit=0)


def test_the_kept_facts_give_the_same_reports_as_the_statements_themselves(full):
    stores = [full.dept_a, full.dept_b]
    from_facts = _reports(full.storage, stores)
    assert from_facts == _reports(BodiesOnly(full.storage), stores)
    assert {line["learner"].get("mbox") for line in from_facts["completions", QUIZ][0]} >= {FAY["mbox"]}
    gus = [line for line in from_facts["completions", VIDEO][0] if line["learner"].get("name") == "Gus"]
    assert gus[0]["learner"] == GUS and gus[0]["status"] == "completed"


def test_voided_statements_are_never_among_the_report_rows(full):
    rows, _more = full.storage.query_report_rows(full.dept_a.id, _all())
    ids = {row.id for row in rows}
    assert sid(9) not in ids and sid(8) in ids                     # 9 was voided by 10


def test_report_rows_page_like_the_statement_query(full):
    first, more = full.storage.query_report_rows(full.dept_a.id, StatementQuery(ascending=True, limit=4))
    rest, more_after = full.storage.query_report_rows(full.dept_a.id, StatementQuery(
        ascending=True, limit=100, after_seq=first[-1].seq))
    everything, _ = full.storage.query_report_rows(full.dept_a.id, _all())
    assert (more, more_after, len(first)) == (True, False, 4)
    assert [row.id for row in first + rest] == [row.id for row in everything]


def _forget_facts_sqlite(path):
    """The file as the schema before report facts left it: no report_facts column, the version before."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("ALTER TABLE statements DROP COLUMN report_facts")
    conn.execute("DELETE FROM schema_version WHERE version = ?", (len(MIGRATIONS),))
    conn.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_store_migrated_from_the_schema_before_report_facts_gives_the_same_reports(full):
    """The migration adds the column empty (no backfill: a report derives the facts of those
    statements from their bodies); statements written after it keep their facts."""
    stores = [full.dept_a, full.dept_b]
    before = _reports(full.storage, stores)
    full.storage.close()
    _forget_facts_sqlite(full.storage.path)
    migrated = SQLiteStorage(full.storage.path)
    try:
        assert migrated.schema_version() == len(MIGRATIONS)
        rows, _ = migrated.query_report_rows(full.dept_a.id, _all())
        assert rows and all(row.facts is None and row.body for row in rows)
        assert _reports(migrated, stores) == before
    finally:
        migrated.close()


def test_a_store_holding_statements_with_and_without_facts_gives_the_same_reports(full, backend):
    stores = [full.dept_a, full.dept_b]
    expected = _reports(BodiesOnly(full.storage), stores)
    old = {sid(n) for n in (1, 3, 4, 7, 11, 13, 201, 204)}
    if backend == "sqlite":
        conn = sqlite3.connect(full.storage.path, isolation_level=None)
        conn.executemany("UPDATE statements SET report_facts = NULL WHERE id = ?", [(i,) for i in old])
        conn.close()
    else:
        full.storage.db.statements.update_many({"id": {"$in": sorted(old)}}, {"$unset": {"facts": ""}})
    rows, _ = full.storage.query_report_rows(full.dept_a.id, _all())
    assert {row.id for row in rows if row.facts is None} == old
    assert _reports(full.storage, stores) == expected


def _kept_facts(storage, backend):
    """{statement id: the report facts as the database keeps them}."""
    if backend == "sqlite":
        conn = sqlite3.connect(storage.path)
        try:
            return dict(conn.execute("SELECT id, report_facts FROM statements"))
        finally:
            conn.close()
    return {doc["id"]: doc.get("facts") for doc in storage.db.statements.find({}, {"id": 1, "facts": 1})}


def test_an_erasure_blanks_the_learners_report_facts(full, app, backend):
    """issue 13 erasure: nothing of Gus (his name) stays in the facts of his statements, and the reports
    no longer show him."""
    assert Admin(app).post("/stores/default/erasures", json={"agent": GUS}).status_code == 201
    kept = _kept_facts(full.storage, backend)
    assert kept[sid(203)] == ""
    assert not any("Gus" in str(facts) for facts in kept.values())
    lines, _summary = _reports(full.storage, [full.dept_a])["completions", VIDEO]
    assert "Gus" not in {line["learner"].get("name") for line in lines}
    assert _reports(full.storage, [full.dept_a]) == _reports(BodiesOnly(full.storage), [full.dept_a])
