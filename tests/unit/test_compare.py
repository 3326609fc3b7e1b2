"""Statement equivalence for id conflicts and signatures (CMP-4..CMP-15)."""
import copy

import pytest

from lrs.xapi.compare import equivalent, truncate_duration

BASE = {
    "id": "a7d3e7c1-5a53-4f1b-9f6d-2f0e8d9b1c11",
    "actor": {"objectType": "Agent", "mbox": "mailto:Ada@Example.GOV"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
    "object": {"objectType": "Activity", "id": "http://example.gov/c", "definition": {"name": {"en-US": "C"}}},
    "timestamp": "2026-01-01T12:00:00.000Z",
}


def changed(**overrides):
    statement = dict(BASE)
    statement.update(overrides)
    return statement


def test_identical_statements_are_equivalent_CMP_4():
    assert equivalent(BASE, dict(BASE))


@pytest.mark.parametrize("name, value", [
    ("authority", {"mbox": "mailto:lrs@example.gov"}), ("stored", "2026-02-02T00:00:00.000Z"), ("version", "1.0.0")])
def test_lrs_assigned_properties_are_ignored_CMP_5(name, value):
    assert equivalent(BASE, changed(**{name: value}))


def test_a_missing_timestamp_on_one_side_is_ignored_CMP_5():
    incoming = dict(BASE)
    del incoming["timestamp"]
    assert equivalent(incoming, BASE)


def test_activity_definitions_and_verb_display_are_ignored_CMP_6():
    other = changed(verb={"id": BASE["verb"]["id"], "display": {"fr-FR": "terminé"}},
                    object={"id": "http://example.gov/c", "definition": {"name": {"en-US": "Other"}}})
    assert equivalent(BASE, other)


def test_the_same_instant_in_another_zone_is_equal_CMP_7():
    assert equivalent(BASE, changed(timestamp="2026-01-01T07:00:00-05:00"))


def test_another_instant_differs_CMP_7():
    assert not equivalent(BASE, changed(timestamp="2026-01-01T12:00:00.001Z"))


def test_group_member_order_is_ignored_CMP_8():
    one = {"objectType": "Group", "member": [{"mbox": "mailto:a@x.gov"}, {"mbox": "mailto:b@x.gov"}]}
    two = {"objectType": "Group", "member": [{"mbox": "mailto:b@x.gov"}, {"mbox": "mailto:a@x.gov"}]}
    assert equivalent(changed(actor=one), changed(actor=two))


def test_the_mbox_domain_case_is_ignored_but_not_the_local_part_CMP_10():
    assert equivalent(BASE, changed(actor={"mbox": "mailto:Ada@example.gov"}))
    assert not equivalent(BASE, changed(actor={"mbox": "mailto:ada@example.gov"}))


def test_a_different_verb_differs_CMP_13():
    assert not equivalent(BASE, changed(verb={"id": "http://adlnet.gov/expapi/verbs/failed"}))


def test_a_different_result_differs_CMP_13():
    assert not equivalent(changed(result={"success": True}), changed(result={"success": False}))


def test_durations_compare_after_truncation_to_hundredths_CMP_14():
    assert equivalent(changed(result={"duration": "PT1.2345S"}), changed(result={"duration": "PT1.239S"}))
    assert not equivalent(changed(result={"duration": "PT60S"}), changed(result={"duration": "PT1M"}))


def test_a_single_context_activity_equals_a_one_element_array_CMP_15():
    one = changed(context={"contextActivities": {"parent": [{"id": "http://example.gov/p"}]}})
    assert equivalent(one, changed(context={"contextActivities": {"parent": [{"id": "http://example.gov/p"}]}}))


def test_an_omitted_object_type_equals_its_default_CMP_15():
    assert equivalent(BASE, changed(actor={"mbox": "mailto:Ada@example.gov"},
                                    object={"id": "http://example.gov/c"}))


def test_attachments_are_ignored_only_when_asked_CMP_11_CMP_12():
    attachment = {"usageType": "http://x.gov/u", "display": {"en-US": "a"}, "contentType": "text/plain",
                  "length": 1, "sha2": "0" * 64}
    with_attachment = changed(attachments=[attachment])
    assert not equivalent(with_attachment, BASE)
    assert equivalent(with_attachment, BASE, ignore_attachments=True)


@pytest.mark.parametrize("duration, expected", [
    ("P1DT12H36M0.12567S", "P1DT12H36M0.12S"), ("PT0.129S", "PT0.12S"), ("PT1.5S", "PT1.5S"), ("P3Y", "P3Y")])
def test_durations_are_truncated_never_rounded_DUR_4(duration, expected):
    assert truncate_duration(duration) == expected


SUBSTATEMENT = {"objectType": "SubStatement", "actor": {"mbox": "mailto:Sub@Example.GOV"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
                "object": {"id": "http://example.gov/s"}, "timestamp": "2026-01-01T12:00:00.000Z",
                "result": {"duration": "PT1.2345S"},
                "context": {"registration": "A7D3E7C1-5A53-4F1B-9F6D-2F0E8D9B1C11",
                            "contextActivities": {"parent": [{"id": "http://example.gov/p"}]}}}


def test_a_statement_with_a_timestamped_substatement_equals_itself_issue_17_CMP_4():
    assert equivalent(changed(object=SUBSTATEMENT), changed(object=dict(SUBSTATEMENT)))


def test_substatement_timestamps_compare_as_instants_CMP_7():
    same_instant = dict(SUBSTATEMENT, timestamp="2026-01-01T07:00:00.000-05:00")
    other_instant = dict(SUBSTATEMENT, timestamp="2026-01-01T12:00:00.001Z")
    assert equivalent(changed(object=SUBSTATEMENT), changed(object=same_instant))
    assert not equivalent(changed(object=SUBSTATEMENT), changed(object=other_instant))


def test_a_substatement_timestamp_on_one_side_only_differs_CMP_13():
    """The LRS never fills in a SubStatement's timestamp, so CMP-5 does not apply to it."""
    without = {k: v for k, v in SUBSTATEMENT.items() if k != "timestamp"}
    assert not equivalent(changed(object=SUBSTATEMENT), changed(object=without))


def test_substatement_attachments_are_ignored_only_when_asked_CMP_11_CMP_12():
    attachment = {"usageType": "http://x.gov/u", "display": {"en-US": "a"}, "contentType": "text/plain",
                  "length": 1, "sha2": "0" * 64, "fileUrl": "http://x.gov/a"}
    with_attachment = changed(object=dict(SUBSTATEMENT, attachments=[attachment]))
    assert not equivalent(with_attachment, changed(object=SUBSTATEMENT))
    assert equivalent(with_attachment, changed(object=SUBSTATEMENT), ignore_attachments=True)


def test_comparing_changes_neither_statement_and_gives_the_same_answer_again_issue_17():
    """Every property that is reduced (timestamps, durations, mbox, registration, members, the
    SubStatement's own) is left as it was: a comparison can run any number of times."""
    group = {"objectType": "Group", "member": [{"mbox": "mailto:B@X.GOV"}, {"mbox": "mailto:a@x.gov"}]}
    one = changed(object=SUBSTATEMENT, result={"duration": "PT1.239S"}, actor=group,
                  context={"registration": "A7D3E7C1-5A53-4F1B-9F6D-2F0E8D9B1C11", "instructor": group,
                           "statement": {"objectType": "StatementRef",
                                         "id": "A7D3E7C1-5A53-4F1B-9F6D-2F0E8D9B1C12"}})
    two = copy.deepcopy(one)
    before = copy.deepcopy(one)
    assert equivalent(one, two) and equivalent(one, two)
    assert equivalent(one, two, ignore_attachments=True)
    assert one == before and two == before


def test_another_instant_is_equivalent_when_the_timestamp_is_ignored_CMP_12():
    assert equivalent(BASE, changed(timestamp="2027-06-30T08:00:00.000Z"), ignore_timestamp=True)


def test_ignoring_the_timestamp_still_compares_a_substatement_timestamp_CMP_12_CMP_13():
    sub = {"objectType": "SubStatement", "actor": {"mbox": "mailto:s@x.gov"},
           "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
           "object": {"id": "http://example.gov/s"}, "timestamp": "2026-01-01T12:00:00.000Z"}
    later = dict(sub, timestamp="2026-01-01T12:00:00.001Z")
    assert not equivalent(changed(object=sub), changed(object=later), ignore_timestamp=True)
