"""The values of a statement the reports read (issue 13, lrs/xapi/report_facts.py): what each report
would otherwise take from the statement itself."""
from lrs.xapi.report_facts import report_facts

ADL = "http://adlnet.gov/expapi/verbs/"
COURSE, QUIZ = "http://example.gov/courses/safety", "http://example.gov/quizzes/fire"


def _statement(**changes):
    statement = {"actor": {"objectType": "Agent", "name": "Ana", "mbox": "mailto:ana@Agency.GOV"},
                 "verb": {"id": ADL + "passed"}, "object": {"objectType": "Activity", "id": QUIZ},
                 "timestamp": "2026-03-03T11:08:00.250+01:00"}
    statement.update(changes)
    return statement


def test_the_learner_is_the_agent_with_its_key_identifier_as_sent_and_name():
    facts = report_facts(_statement())
    assert facts.learners == (("mbox:mailto:ana@agency.gov", {"mbox": "mailto:ana@Agency.GOV"}, "Ana"),)
    assert (facts.verb, facts.activity) == (ADL + "passed", QUIZ)


def test_a_group_with_members_counts_for_each_identified_member_one_without_for_itself():
    members = [{"mbox": "mailto:fay@agency.gov"}, {"objectType": "Agent", "name": "Anonymous"}]
    facts = report_facts(_statement(actor={"objectType": "Group", "name": "Team", "member": members}))
    assert facts.learners == (("mbox:mailto:fay@agency.gov", {"mbox": "mailto:fay@agency.gov"}, None),)
    group = {"objectType": "Group", "name": "Team", "account": {"homePage": "https://hr.gov", "name": "t1"}}
    assert report_facts(_statement(actor=group)).learners == (
        ("account:https://hr.gov|t1", {"account": {"homePage": "https://hr.gov", "name": "t1"}}, "Team"),)


def test_the_timestamp_in_any_offset_is_milliseconds_utc_and_none_when_the_store_sets_it():
    assert report_facts(_statement()).timestamp_ms == 1772532480250            # 2026-03-03T10:08:00.250Z
    assert report_facts(_statement(), timestamp_from_stored=True).timestamp_ms is None


def test_the_result_as_the_completion_rule_and_lines_read_it():
    facts = report_facts(_statement(result={"completion": True, "success": False, "score": {"scaled": 1},
                                            "duration": "PT1M30.5S"}))
    assert (facts.completion, facts.success, facts.scaled, facts.duration) == (True, False, 1, 90.5)
    empty = report_facts(_statement())
    assert (empty.completion, empty.success, empty.scaled, empty.duration) == (False, None, None, 0)


def test_registration_lower_case_and_only_parent_and_grouping_ids_as_context():
    context = {"registration": "5A3C2D3E-0000-4000-8000-00000000ABCD",
               "contextActivities": {"parent": [{"id": COURSE}], "grouping": [{"id": "http://example.gov/goal"}],
                                     "category": [{"id": "http://example.gov/profile"}]}}
    facts = report_facts(_statement(context=context))
    assert facts.registration == "5a3c2d3e-0000-4000-8000-00000000abcd"
    assert facts.context == (COURSE, "http://example.gov/goal")
    assert report_facts(_statement()).registration == ""


def test_an_object_that_is_not_an_activity_has_no_activity():
    ref = _statement(object={"objectType": "StatementRef", "id": "00000000-0000-4000-8000-000000000001"})
    assert report_facts(ref).activity is None
    assert report_facts(_statement(object={"id": QUIZ})).activity == QUIZ      # objectType defaults to Activity
