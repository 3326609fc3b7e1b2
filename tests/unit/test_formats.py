"""format=ids and format=canonical, and the Accept-Language choice (QRY-31..QRY-37)."""
from lrs.xapi.formats import parse_accept_language, pick_language, to_canonical, to_ids

STATEMENT = {
    "id": "a7d3e7c1-5a53-4f1b-9f6d-2f0e8d9b1c11",
    "actor": {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.gov"},
    "verb": {"id": "http://x.gov/v", "display": {"en-US": "did", "fr-FR": "a fait"}},
    "object": {"objectType": "Activity", "id": "http://x.gov/a", "definition": {"name": {"en-US": "A", "de": "B"}}},
    "context": {"instructor": {"objectType": "Group", "name": "Team", "mbox": "mailto:team@example.gov",
                               "member": [{"mbox": "mailto:m@example.gov"}]},
                "contextActivities": {"parent": [{"id": "http://x.gov/p", "definition": {"name": {"en-US": "P"}}}]}},
}


def test_ids_reduces_an_agent_to_its_identifier_QRY_31():
    assert to_ids(STATEMENT)["actor"] == {"objectType": "Agent", "mbox": "mailto:ada@example.gov"}


def test_ids_reduces_an_identified_group_to_type_and_identifier_QRY_31():
    assert to_ids(STATEMENT)["context"]["instructor"] == {"objectType": "Group", "mbox": "mailto:team@example.gov"}


def test_ids_reduces_an_anonymous_group_to_member_identifiers_QRY_31():
    group = {"objectType": "Group", "name": "x", "member": [{"name": "m", "mbox": "mailto:m@example.gov"}]}
    assert to_ids({**STATEMENT, "actor": group})["actor"] == {"objectType": "Group",
                                                              "member": [{"mbox": "mailto:m@example.gov"}]}


def test_ids_reduces_activities_to_id_QRY_31():
    reduced = to_ids(STATEMENT)
    assert reduced["object"] == {"id": "http://x.gov/a"}
    assert reduced["context"]["contextActivities"]["parent"] == [{"id": "http://x.gov/p"}]


def test_ids_reduces_the_verb_to_id_QRY_32():
    assert to_ids(STATEMENT)["verb"] == {"id": "http://x.gov/v"}


def test_canonical_uses_the_stored_definition_QRY_33():
    canonical = {"name": {"en-US": "Canonical A"}, "type": "http://x.gov/t"}
    result = to_canonical(STATEMENT, lambda i: canonical if i == "http://x.gov/a" else None, [])
    assert result["object"]["definition"] == canonical


def test_canonical_keeps_one_language_per_map_QRY_34():
    result = to_canonical(STATEMENT, lambda i: None, ["fr-fr"])
    assert result["verb"]["display"] == {"fr-FR": "a fait"}
    assert result["object"]["definition"]["name"] == {"en-US": "A"}


def test_accept_language_quality_values_order_the_choice_QRY_35():
    assert parse_accept_language("de;q=0.5, fr-FR, en;q=0.8") == ["fr-fr", "en", "de"]


def test_a_range_matches_a_longer_tag_QRY_35():
    assert pick_language({"en-GB": "colour", "fr": "couleur"}, ["en"]) == {"en-GB": "colour"}


def test_without_a_match_en_us_then_the_first_key_is_kept_QRY_36():
    assert pick_language({"fr": "a", "en-US": "b"}, ["ja"]) == {"en-US": "b"}
    assert pick_language({"fr": "a", "de": "b"}, []) == {"fr": "a"}
