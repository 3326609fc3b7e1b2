"""Preconditions on the document resources: If-Match, If-None-Match, and which PUTs without them
are refused under each version (CONC-6..CONC-19, STRICT-23, STRICT-24, DOC-8).
"""
import threading

from .conftest import XAPIClient
from .documents_fixtures import (  # noqa: F401
    STATE, Documents, docs, docs20, profiles, profiles20, state, state20,
)

WRONG = '"1234"'          # the tag the 2.0 suite sends (STRICT-24)


# --- If-Match / If-None-Match on PUT ---------------------------------------------------------------

def test_put_with_the_current_etag_in_if_match_replaces_the_document_CONC_6(docs):
    etag = docs.create("doc", {"v": 1})
    assert docs.put("doc", {"v": 2}, headers={"If-Match": etag}).status_code == 204
    assert docs.get("doc").json == {"v": 2}


def test_put_with_a_stale_if_match_is_412_and_nothing_changes_CONC_6_DOC_8(docs):
    stale = docs.create("doc", {"v": 1})
    docs.put("doc", {"v": 2}, headers={"If-Match": stale})
    response = docs.put("doc", {"v": 3}, headers={"If-Match": stale})
    assert response.status_code == 412
    assert docs.get("doc").json == {"v": 2}


def test_if_match_with_a_list_matches_when_one_tag_is_current_CONC_6(docs):
    etag = docs.create("doc", {"v": 1})
    assert docs.put("doc", {"v": 2}, headers={"If-Match": '"%s", %s' % ("0" * 40, etag)}).status_code == 204
    assert docs.get("doc").json == {"v": 2}


def test_if_match_star_replaces_an_existing_document_CONC_6(docs):
    docs.create("doc", {"v": 1})
    assert docs.put("doc", {"v": 2}, headers={"If-Match": "*"}).status_code == 204
    assert docs.get("doc").json == {"v": 2}


def test_a_weak_tag_never_satisfies_if_match_CONC_2(docs):
    etag = docs.create("doc", {"v": 1})
    assert docs.put("doc", {"v": 2}, headers={"If-Match": "W/" + etag}).status_code == 412
    assert docs.get("doc").json == {"v": 1}


def test_if_match_on_a_missing_document_is_412_and_nothing_is_created_CONC_16(docs):
    assert docs.put("doc", {"v": 1}, headers={"If-Match": "*"}).status_code == 412
    assert docs.get("doc").status_code == 404


def test_put_with_if_none_match_star_on_an_existing_document_is_412_CONC_7(docs):
    docs.create("doc", {"v": 1})
    assert docs.put("doc", {"v": 2}, headers={"If-None-Match": "*"}).status_code == 412
    assert docs.get("doc").json == {"v": 1}


def test_put_with_if_none_match_star_creates_a_missing_document_CONC_7(docs):
    assert docs.put("doc", {"v": 1}, headers={"If-None-Match": "*"}).status_code == 204
    assert docs.get("doc").json == {"v": 1}


def test_the_etag_of_a_write_is_accepted_by_the_next_if_match_CONC_19(docs):
    docs.create("doc", {"v": 1})
    docs.post("doc", {"w": 2})
    etag = docs.etag("doc")
    assert docs.put("doc", {"v": 3}, headers={"If-Match": etag}).status_code == 204
    assert docs.get("doc").json == {"v": 3}


def test_an_etag_from_a_1_0_3_get_is_accepted_by_a_2_0_put_CONC_5(docs):
    etag = docs.create("doc", {"v": 1})
    under20 = docs.with_client(docs.client.with_version("2.0.0"))
    assert under20.put("doc", {"v": 2}, headers={"If-Match": etag}).status_code == 204
    assert docs.get("doc").json == {"v": 2}


# --- POST and DELETE ---------------------------------------------------------------------------------

def test_post_with_a_wrong_if_match_is_412_and_nothing_changes_CONC_8_STRICT_24(docs20):
    docs20.put("doc", {"v": 1})
    assert docs20.post("doc", {"w": 2}, headers={"If-Match": WRONG}).status_code == 412
    assert docs20.get("doc").json == {"v": 1}


def test_post_with_the_current_etag_merges_CONC_8(docs20):
    docs20.put("doc", {"v": 1})
    etag = docs20.etag("doc")
    assert docs20.post("doc", {"w": 2}, headers={"If-Match": etag}).status_code == 204
    assert docs20.get("doc").json == {"v": 1, "w": 2}


def test_delete_with_a_wrong_if_match_is_412_and_the_document_stays_CONC_8_STRICT_24(docs20):
    docs20.put("doc", {"v": 1})
    assert docs20.delete("doc", headers={"If-Match": WRONG}).status_code == 412
    assert docs20.get("doc").json == {"v": 1}


def test_delete_with_the_current_etag_deletes_CONC_8(docs20):
    docs20.put("doc", {"v": 1})
    etag = docs20.etag("doc")
    assert docs20.delete("doc", headers={"If-Match": etag}).status_code == 204
    assert docs20.get("doc").status_code == 404


def test_delete_with_if_match_on_a_missing_document_is_412_CONC_16(docs20):
    assert docs20.delete("doc", headers={"If-Match": WRONG}).status_code == 412


def test_post_with_a_wrong_if_match_under_1_0_3_is_412_too_CONC_8(docs):
    docs.create("doc", {"v": 1})
    assert docs.post("doc", {"w": 2}, headers={"If-Match": WRONG}).status_code == 412
    assert docs.get("doc").json == {"v": 1}


def test_post_with_if_none_match_star_on_an_existing_document_is_412_CONC_9(docs):
    docs.create("doc", {"v": 1})
    assert docs.post("doc", {"w": 2}, headers={"If-None-Match": "*"}).status_code == 412
    assert docs.get("doc").json == {"v": 1}


def test_post_and_delete_without_preconditions_are_never_409_CONC_15(docs20):
    docs20.put("doc", {"v": 1})
    assert docs20.post("doc", {"w": 2}).status_code == 204
    assert docs20.delete("doc").status_code == 204


def test_a_malformed_if_match_is_400_and_nothing_changes_CONC_6(docs):
    docs.create("doc", {"v": 1})
    assert docs.put("doc", {"v": 2}, headers={"If-Match": '"unterminated'}).status_code == 400
    assert docs.get("doc").json == {"v": 1}


# --- PUT without precondition headers, by version ------------------------------------------------------

def test_1_0_3_profile_put_without_headers_on_an_existing_document_is_409_with_advice_CONC_10_STRICT_23(
        profiles):
    profiles.create("doc", {"v": 1})
    response = profiles.put("doc", {"v": 2})
    assert response.status_code == 409
    assert "If-Match" in response.json["error"]["message"]
    assert profiles.get("doc").json == {"v": 1}


def test_1_0_3_profile_put_without_headers_on_a_new_document_is_400_and_nothing_stored_CONC_11_STRICT_23(
        profiles):
    response = profiles.put("doc", {"v": 1})
    assert response.status_code == 400
    assert profiles.get("doc").status_code == 404


def test_1_0_3_state_put_without_headers_creates_a_document_CONC_13(state):
    assert state.put("doc", {"v": 1}).status_code == 204
    assert state.get("doc").json == {"v": 1}


def test_1_0_3_state_put_without_headers_replaces_an_existing_document_CONC_13(state):
    state.put("doc", {"v": 1})
    assert state.put("doc", {"v": 2}).status_code == 204
    assert state.get("doc").json == {"v": 2}


def test_1_0_3_state_put_is_not_409_even_when_the_2_0_conflict_setting_is_on_CONC_13(make_app):
    state = Documents(XAPIClient(make_app(state_put_conflict=True), "1.0.3"), STATE)
    state.put("doc", {"v": 1})
    assert state.put("doc", {"v": 2}).status_code == 204


def test_2_0_put_without_headers_creates_a_new_document_on_every_resource_CONC_12(docs20):
    assert docs20.put("doc", {"v": 1}).status_code == 204
    assert docs20.get("doc").json == {"v": 1}


def test_2_0_profile_put_without_headers_on_an_existing_document_is_409_CONC_10(profiles20):
    profiles20.put("doc", {"v": 1})
    response = profiles20.put("doc", {"v": 2})
    assert response.status_code == 409
    assert response.json["error"]["message"]
    assert profiles20.get("doc").json == {"v": 1}


def test_2_0_state_put_without_headers_replaces_by_default_following_the_standard_CONC_13_CONC_14(state20):
    state20.put("doc", {"v": 1})
    assert state20.put("doc", {"v": 2}).status_code == 204
    assert state20.get("doc").json == {"v": 2}


def test_2_0_state_put_without_headers_on_an_existing_document_is_409_when_configured_CONC_14_STRICT_23(
        make_app):
    state = Documents(XAPIClient(make_app(state_put_conflict=True), "2.0.0"), STATE)
    state.put("doc", {"v": 1})
    response = state.put("doc", {"v": 2})
    assert response.status_code == 409
    assert state.get("doc").json == {"v": 1}


def test_2_0_state_put_with_if_match_still_replaces_when_the_conflict_setting_is_on_CONC_14(make_app):
    state = Documents(XAPIClient(make_app(state_put_conflict=True), "2.0.0"), STATE)
    state.put("doc", {"v": 1})
    assert state.put("doc", {"v": 2}, headers={"If-Match": state.etag("doc")}).status_code == 204
    assert state.get("doc").json == {"v": 2}


def test_no_precondition_problem_is_ever_answered_428_CONC_17(profiles):
    profiles.create("doc", {"v": 1})
    statuses = {profiles.put("doc", {"v": 2}).status_code, profiles.put("new", {"v": 1}).status_code}
    assert 428 not in statuses


# --- atomicity -----------------------------------------------------------------------------------------

def test_two_writers_with_the_same_etag_cannot_both_succeed_CONC_18(docs):
    etag = docs.create("doc", {"v": 0})
    results = []
    barrier = threading.Barrier(6)

    def writer(number):
        client = XAPIClient(docs.client.app, docs.client.version)
        barrier.wait()
        results.append(docs.with_client(client).put("doc", {"v": number}, headers={"If-Match": etag}).status_code)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [204] + [412] * 5


def test_an_unquoted_etag_is_read_as_the_quoted_tag_it_names_CONC_6(docs):
    etag = docs.create("doc", {"v": 1})
    assert docs.put("doc", {"v": 2}, headers={"If-Match": etag.strip('"')}).status_code == 204
    assert docs.get("doc").json == {"v": 2}
