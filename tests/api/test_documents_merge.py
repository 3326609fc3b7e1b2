"""JSON merge on POST to the document resources (MERGE-1..MERGE-8, STRICT-26, DOC-8, ENC-2)."""
from .documents_fixtures import docs, docs20  # noqa: F401


def test_post_merges_top_level_keys_and_keeps_the_others_MERGE_1(docs):
    docs.create("doc", {"keep": 1, "replace": "old"})
    docs.post("doc", {"replace": "new", "add": True})
    assert docs.get("doc").json == {"keep": 1, "replace": "new", "add": True}


def test_nested_objects_are_replaced_whole_not_merged_MERGE_1(docs):
    docs.create("doc", {"nested": {"a": 1, "b": 2}})
    docs.post("doc", {"nested": {"c": 3}})
    assert docs.get("doc").json == {"nested": {"c": 3}}


def test_a_successful_merge_answers_204_with_no_body_MERGE_2(docs):
    docs.create("doc", {"a": 1})
    response = docs.post("doc", {"b": 2})
    assert response.status_code == 204
    assert response.get_data() == b""


def test_the_merged_document_is_application_json_with_a_new_etag_MERGE_7(docs):
    before = docs.create("doc", b'{"a": 1}', "application/json; charset=utf-8")
    docs.post("doc", {"b": 2})
    response = docs.get("doc")
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["ETag"] != before


def test_json_with_a_charset_parameter_counts_as_json_MERGE_8(docs):
    docs.create("doc", {"a": 1}, "Application/JSON; charset=utf-8")
    assert docs.post("doc", {"b": 2}, "application/json;charset=UTF-8").status_code == 204
    assert docs.get("doc").json == {"a": 1, "b": 2}


def test_post_of_text_onto_a_json_document_is_400_and_nothing_changes_MERGE_3(docs):
    docs.create("doc", {"a": 1})
    assert docs.post("doc", b"abc", "text/plain").status_code == 400
    assert docs.get("doc").json == {"a": 1}


def test_post_of_a_form_encoded_string_onto_json_is_400_MERGE_3_STRICT_26(docs):
    docs.create("doc", {"a": 1})
    assert docs.post("doc", b"abc", "application/x-www-form-urlencoded").status_code == 400
    assert docs.get("doc").json == {"a": 1}


def test_post_of_json_onto_an_octet_stream_document_is_400_and_nothing_changes_MERGE_4_STRICT_26(docs):
    docs.create("doc", b"\x00\x01binary", "application/octet-stream")
    assert docs.post("doc", {"a": 1}).status_code == 400
    assert docs.body("doc") == b"\x00\x01binary"


def test_post_of_json_that_does_not_parse_is_400_and_nothing_changes_MERGE_5(docs):
    docs.create("doc", {"a": 1})
    assert docs.post("doc", b"{not json", "application/json").status_code == 400
    assert docs.get("doc").json == {"a": 1}


def test_post_of_a_json_array_is_400_MERGE_5(docs):
    docs.create("doc", {"a": 1})
    assert docs.post("doc", [1, 2]).status_code == 400
    assert docs.get("doc").json == {"a": 1}


def test_post_of_a_json_string_to_a_new_document_is_400_and_nothing_stored_MERGE_5(docs):
    assert docs.post("doc", b'"just a string"', "application/json").status_code == 400
    assert docs.get("doc").status_code == 404


def test_merging_into_a_stored_json_array_is_400_MERGE_5(docs):
    docs.create("doc", b"[1, 2]", "application/json")
    assert docs.post("doc", {"a": 1}).status_code == 400
    assert docs.body("doc") == b"[1, 2]"


def test_merging_into_stored_json_that_does_not_parse_is_400_MERGE_5(docs):
    docs.create("doc", b"/ asdf / undefined", "application/json")
    assert docs.post("doc", {"a": 1}).status_code == 400
    assert docs.body("doc") == b"/ asdf / undefined"


def test_post_of_json_that_is_not_utf8_is_400_ENC_2(docs):
    docs.create("doc", {"a": 1})
    assert docs.post("doc", b'{"a": "\xff\xfe"}', "application/json").status_code == 400
    assert docs.get("doc").json == {"a": 1}


def test_post_to_a_missing_document_stores_it_as_sent_MERGE_6(docs):
    assert docs.post("doc", b"plain words", "text/plain").status_code == 204
    response = docs.get("doc")
    assert response.get_data() == b"plain words"
    assert response.headers["Content-Type"] == "text/plain"


def test_post_of_json_to_a_missing_document_keeps_the_bytes_as_sent_MERGE_6(docs20):
    data = b'{ "b" : 2,  "a" : 1 }'
    assert docs20.post("doc", data).status_code == 204
    assert docs20.body("doc") == data


def test_post_of_text_onto_text_is_400_since_only_json_merges_MERGE_3(docs):
    docs.create("doc", b"one", "text/plain")
    assert docs.post("doc", b"two", "text/plain").status_code == 400
    assert docs.body("doc") == b"one"
