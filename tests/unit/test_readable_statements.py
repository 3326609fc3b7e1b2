"""Statements as readable text in the console's statement browser (issue 14)."""
import pytest

from lrs.console.readable import describe, duration_text


def test_the_issues_example_reads_as_written():
    statement = {"actor": {"name": "Ada", "mbox": "mailto:ada@example.gov"},
                 "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
                 "object": {"id": "http://example.gov/fire", "definition": {"name": {"en-US": "Fire safety"}}},
                 "result": {"score": {"scaled": 0.92}, "duration": "PT3M"}}
    assert describe(statement) == "Ada completed Fire safety — 92% — 3 min"


def test_without_names_the_mbox_verb_iri_and_activity_id_are_used():
    statement = {"actor": {"mbox": "mailto:bo@example.gov"}, "verb": {"id": "http://example.gov/verbs/opened"},
                 "object": {"id": "http://example.gov/course"}}
    assert describe(statement) == "bo@example.gov opened http://example.gov/course"


def test_a_raw_score_with_a_maximum_and_a_failure():
    statement = {"actor": {"name": "Ada"}, "verb": {"id": "x:attempted"}, "object": {"id": "x:quiz"},
                 "result": {"success": False, "score": {"raw": 4, "max": 10}}}
    assert describe(statement) == "Ada attempted x:quiz — not passed — 4/10"


def test_a_statement_ref_object_names_the_statement():
    statement = {"actor": {"name": "Admin"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                 "object": {"objectType": "StatementRef", "id": "1234"}}
    assert describe(statement) == "Admin voided statement 1234"


@pytest.mark.parametrize("duration, text", [("PT45S", "45 s"), ("PT1H2M", "1 h 2 min"), ("P1D", "24 h 0 min"),
                                            ("PT90S", "2 min"), ("nonsense", "")])
def test_durations_read_in_the_largest_useful_unit(duration, text):
    assert duration_text({"duration": duration}) == text
