"""A small, realistic micro-learning record for the reports (issue 13), shared by their tests.

Department A (the `default` store) and department B (`dept-b`). A course with modules: a video and a
quiz name the course as contextActivities.parent, a podcast names it as grouping; another quiz only
as category (so it is not one of the course's children). Statements are sent in xAPI 1.0.3 and 2.0.
Bob's completion of the course is voided. Every expected figure in the tests is computed by hand
from this table (2026-03-01 is a Sunday; weeks start on Monday):

  n   who              verb        object    timestamp (2026-03)  result / context
  1   Ana              launched    VIDEO     01 09:00             parent COURSE
  2   Ana              completed   VIDEO     01 09:05             completion, PT4M30S
  3   Ana              attempted   QUIZ      02 10:00             parent COURSE
  4   Ana              failed      QUIZ      02 10:10             scaled 0.4, success false
  5   Ana              passed      QUIZ      03 10:08             scaled 0.85, success, completion
  6   Ana              completed   COURSE    03 10:30
  7   Bob              attempted   QUIZ      03 11:00             parent COURSE
  8   Bob              passed      QUIZ      03 11:12             scaled 1.0, success
  9   Bob              completed   COURSE    10 12:00             (voided by 10)
  10  admin            voided      9
  11  Cy     (2.0)     attempted   QUIZ      15 09:00             parent COURSE
  12  Cy     (2.0)     failed      QUIZ      15 09:20             scaled 0.55, success false
  13  Cy     (2.0)     experienced PODCAST   16 08:00+01:00       grouping COURSE, PT20M
  14  Dee    (2.0)     launched    COURSE    20 09:00
  15  Dee    (2.0)     answered    OTHER     20 09:30             category COURSE, success
  16  Ana's account    experienced LADDER    04 15:00             (Ana by another IFI)
  17  Dee    (2.0)     experienced PODCAST   21 18:00             grouping COURSE, completion
  B1  Eve  (dept B)    passed      QUIZ      05 14:00             scaled 0.9, success
  B2  Eve  (dept B)    completed   COURSE    06 09:00
"""
import pytest

from lrs.auth import create_credential

from .conftest import XAPIClient

ADL = "http://adlnet.gov/expapi/verbs/"
EX = "http://example.gov/"
COURSE, VIDEO, QUIZ, PODCAST = EX + "courses/safety", EX + "videos/fire", EX + "quizzes/fire", EX + "podcasts/ep1"
OTHER, LADDER = EX + "quizzes/other", EX + "videos/ladder"
ANA = {"mbox": "mailto:ana@agency.gov", "name": "Ana"}
ANA_ACCOUNT = {"account": {"homePage": "https://hr.agency.gov", "name": "ana.k"}}
BOB = {"mbox": "mailto:bob@agency.gov", "name": "Bob"}
CY = {"mbox": "mailto:cy@agency.gov", "name": "Cy"}
DEE = {"mbox": "mailto:dee@agency.gov", "name": "Dee"}
EVE = {"mbox": "mailto:eve@dept-b.gov", "name": "Eve"}
ADMIN = {"mbox": "mailto:admin@agency.gov"}
NAMES = {COURSE: "Workplace safety", VIDEO: "Fire safety video", QUIZ: "Fire safety quiz",
         PODCAST: "Safety podcast 1", OTHER: "Other quiz", LADDER: "Ladder safety video"}


def sid(n):
    return "00000000-0000-4000-8000-%012d" % n


def st(n, actor, verb, activity, day, time, result=None, context=None):
    statement = {"id": sid(n), "actor": actor, "verb": {"id": ADL + verb},
                 "object": {"id": activity, "definition": {"name": {"en-US": NAMES[activity]}}},
                 "timestamp": "2026-03-%02dT%s" % (day, time if time[-1] == "Z" or "+" in time else time + "Z")}
    if result:
        statement["result"] = result
    if context:
        statement["context"] = {"contextActivities": {kind: [{"id": COURSE}] for kind in context}}
    return statement


DEPT_A_103 = [
    st(1, ANA, "launched", VIDEO, 1, "09:00:00", context=["parent"]),
    st(2, ANA, "completed", VIDEO, 1, "09:05:00", {"completion": True, "duration": "PT4M30S"}, ["parent"]),
    st(3, ANA, "attempted", QUIZ, 2, "10:00:00", context=["parent"]),
    st(4, ANA, "failed", QUIZ, 2, "10:10:00", {"score": {"scaled": 0.4}, "success": False}, ["parent"]),
    st(5, ANA, "passed", QUIZ, 3, "10:08:00", {"score": {"scaled": 0.85}, "success": True, "completion": True},
       ["parent"]),
    st(6, ANA, "completed", COURSE, 3, "10:30:00"),
    st(7, BOB, "attempted", QUIZ, 3, "11:00:00", context=["parent"]),
    st(8, BOB, "passed", QUIZ, 3, "11:12:00", {"score": {"scaled": 1.0}, "success": True}, ["parent"]),
    st(9, BOB, "completed", COURSE, 10, "12:00:00"),
    st(16, ANA_ACCOUNT, "experienced", LADDER, 4, "15:00:00"),
]
VOIDING = {"id": sid(10), "actor": ADMIN, "verb": {"id": ADL + "voided"},
           "object": {"objectType": "StatementRef", "id": sid(9)}, "timestamp": "2026-03-10T13:00:00Z"}
DEPT_A_20 = [
    st(11, CY, "attempted", QUIZ, 15, "09:00:00", context=["parent"]),
    st(12, CY, "failed", QUIZ, 15, "09:20:00", {"score": {"scaled": 0.55}, "success": False}, ["parent"]),
    st(13, CY, "experienced", PODCAST, 16, "08:00:00+01:00", {"duration": "PT20M"}, ["grouping"]),
    st(14, DEE, "launched", COURSE, 20, "09:00:00"),
    st(15, DEE, "answered", OTHER, 20, "09:30:00", {"success": True}, ["category"]),
    st(17, DEE, "experienced", PODCAST, 21, "18:00:00", {"completion": True}, ["grouping"]),
]
DEPT_B = [
    st(101, EVE, "passed", QUIZ, 5, "14:00:00", {"score": {"scaled": 0.9}, "success": True}, ["parent"]),
    st(102, EVE, "completed", COURSE, 6, "09:00:00"),
]


class Record:
    """The fixture loaded into an app: the stores and a helper to make report credentials."""

    def __init__(self, app):
        self.app = app
        self.storage = app.extensions["lrs"].storage
        self.dept_a = self.storage.get_store("default")
        self.dept_b = self.storage.create_store("dept-b")

    def load(self, client, client20):
        assert client.post_statements(DEPT_A_103).status_code == 200
        assert client.post_statements([VOIDING]).status_code == 200
        assert client20.post_statements(DEPT_A_20).status_code == 200
        writer = self.credential(self.dept_b, ["statements/write"])
        assert writer.with_version("1.0.3").post_statements(DEPT_B).status_code == 200
        return self

    def credential(self, store, scopes=("reports/read",)):
        key, secret = create_credential(self.storage, store.id, list(scopes), iterations=1000)
        client = XAPIClient(self.app, None, (key, secret))
        client.key = key
        return client

    def auditor(self, store=None):
        return self.credential(store or self.dept_a)


@pytest.fixture
def record(app, client, client20):
    """The fixture loaded into the test's app (import this fixture into a test module to use it)."""
    return Record(app).load(client, client20)
