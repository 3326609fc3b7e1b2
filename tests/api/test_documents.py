"""The three document resources over HTTP: storage, reads, lists, deletes, HEAD, limits
(STATE, GPROF, APROF, DOC, HEAD, ENC, STRICT-22, STRICT-25).

Each test runs once per resource (State, Activity Profile, Agent Profile) and backend.
"""
import hashlib
import json
from email.utils import parsedate_to_datetime

from lrs.timeutil import format_ms

from .conftest import XAPIClient
from .documents_fixtures import HTTP_DATE, SHA1_ETAG, Documents, docs, docs20  # noqa: F401

T0 = 1_800_000_000_000          # a fixed document clock (ms) for Last-Modified and since tests


def at(monkeypatch, ms):
    monkeypatch.setattr("lrs.xapi.documents.now_ms", lambda: ms)


# --- storing and reading ------------------------------------------------------------------

def test_put_answers_204_with_an_empty_body_STATE_7_GPROF_5_APROF_4(docs):
    response = docs.put("doc", {"a": 1}, headers={"If-None-Match": "*"})
    assert response.status_code == 204
    assert response.get_data() == b""


def test_get_returns_the_stored_bytes_and_content_type_exactly_DOC_1_STRICT_22(docs):
    docs.create("doc", b"/ asdf / undefined", "text/plain")
    response = docs.get("doc")
    assert response.status_code == 200
    assert response.get_data() == b"/ asdf / undefined"
    assert response.headers["Content-Type"] == "text/plain"


def test_content_type_parameters_are_kept_as_sent_DOC_1(docs):
    docs.create("doc", b'{"x": 1}', "application/json; charset=utf-8")
    assert docs.get("doc").headers["Content-Type"] == "application/json; charset=utf-8"


def test_binary_content_round_trips_byte_for_byte_DOC_1(docs):
    data = bytes(range(256)) * 4
    docs.create("doc", data, "image/png")
    assert docs.body("doc") == data


def test_json_is_returned_unparsed_whitespace_and_key_order_kept_DOC_1(docs):
    data = b'{ "z" : 1,\n  "a" : [1, 2.50] }'
    docs.create("doc", data, "application/json")
    assert docs.body("doc") == data


def test_a_body_without_content_type_is_stored_as_octet_stream_DOC_2(docs):
    assert docs.put("doc", b"raw", content_type=None, headers={"If-None-Match": "*"}).status_code == 204
    assert docs.get("doc").headers["Content-Type"] == "application/octet-stream"


def test_non_ascii_text_round_trips_unchanged_ENC_1(docs):
    data = json.dumps({"ja-JP": "こんにちは", "ar-EG": "مرحبا", "hy-AM": "Բարեւ"}, ensure_ascii=False).encode()
    docs.create("doc", data, "application/json")
    assert docs.body("doc") == data


def test_get_of_a_missing_document_is_404_STATE_9_GPROF_5_APROF_4(docs):
    response = docs.get("missing")
    assert response.status_code == 404
    assert response.json["error"]["message"]


def test_document_ids_are_compared_exactly_DOC_10(docs):
    docs.create("Doc", b"upper", "text/plain")
    docs.create("doc", b"lower", "text/plain")
    assert docs.body("Doc") == b"upper"
    assert docs.body("doc") == b"lower"


def test_documents_of_other_owners_are_separate_STATE_6(docs, client):
    docs.create("doc", b"mine", "text/plain")
    other = {"activityId": "http://example.gov/activities/other",
             "agent": json.dumps({"mbox": "mailto:other@example.gov"})}
    other = {name: value for name, value in other.items() if name in docs.resource.base}
    assert docs.get("doc", **other).status_code == 404


# --- ETag and Last-Modified ------------------------------------------------------------------

def test_etag_is_the_quoted_lowercase_sha1_of_the_stored_bytes_CONC_3_STRICT_22(docs):
    docs.create("doc", b"some bytes", "text/plain")
    etag = docs.get("doc").headers["ETag"]
    assert SHA1_ETAG.match(etag)
    assert etag == '"%s"' % hashlib.sha1(b"some bytes").hexdigest()


def test_etag_is_the_same_under_both_versions_CONC_5(docs):
    docs.create("doc", {"a": 1})
    under20 = docs.with_client(docs.client.with_version("2.0.0"))
    assert under20.etag("doc") == docs.etag("doc")


def test_etag_changes_when_the_document_changes_CONC_19(docs):
    first = docs.create("doc", {"a": 1})
    assert docs.put("doc", {"a": 2}, headers={"If-Match": first}).status_code == 204
    assert docs.etag("doc") != first


def test_get_carries_last_modified_as_an_http_date_DOC_4(docs, monkeypatch):
    at(monkeypatch, T0)
    docs.create("doc", {"a": 1})
    header = docs.get("doc").headers["Last-Modified"]
    assert HTTP_DATE.match(header)
    assert parsedate_to_datetime(header).timestamp() == T0 // 1000


def test_last_modified_advances_when_the_document_is_replaced_DOC_4_STRICT_25(docs, monkeypatch):
    at(monkeypatch, T0)
    etag = docs.create("doc", {"a": 1})
    before = parsedate_to_datetime(docs.get("doc").headers["Last-Modified"])
    at(monkeypatch, T0 + 1500)
    assert docs.put("doc", {"a": 2}, headers={"If-Match": etag}).status_code == 204
    assert parsedate_to_datetime(docs.get("doc").headers["Last-Modified"]) > before


def test_last_modified_advances_when_json_is_merged_DOC_4_MERGE_7(docs, monkeypatch):
    at(monkeypatch, T0)
    docs.create("doc", {"a": 1})
    at(monkeypatch, T0 + 1500)
    assert docs.post("doc", {"b": 2}).status_code == 204
    assert parsedate_to_datetime(docs.get("doc").headers["Last-Modified"]).timestamp() == (T0 + 1500) // 1000


# --- lists -------------------------------------------------------------------------------------

def test_get_without_id_lists_the_ids_as_a_json_array_STATE_10_GPROF_6_APROF_5(docs):
    docs.create("b", b"2", "text/plain")
    docs.create("a", b"1", "text/plain")
    response = docs.get()
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert sorted(response.json) == ["a", "b"]


def test_the_list_is_an_empty_array_when_there_are_no_documents_STATE_10(docs):
    response = docs.get()
    assert response.status_code == 200
    assert response.json == []


def test_the_list_carries_last_modified_of_the_newest_document_DOC_5(docs, monkeypatch):
    at(monkeypatch, T0)
    docs.create("old", b"1", "text/plain")
    at(monkeypatch, T0 + 60_000)
    docs.create("new", b"2", "text/plain")
    header = docs.get().headers["Last-Modified"]
    assert parsedate_to_datetime(header).timestamp() == (T0 + 60_000) // 1000


def test_since_lists_only_documents_changed_strictly_after_it_STATE_11_GPROF_6_APROF_5(docs, monkeypatch):
    at(monkeypatch, T0)
    docs.create("at-since", b"1", "text/plain")
    at(monkeypatch, T0 + 5000)
    docs.create("after", b"2", "text/plain")
    assert docs.get(since=format_ms(T0)).json == ["after"]


def test_an_invalid_since_is_400_STATE_11(docs):
    assert docs.get(since="yesterday").status_code == 400


def test_since_beside_an_id_is_ignored_STATE_15(docs, monkeypatch):
    at(monkeypatch, T0)
    docs.create("doc", b"1", "text/plain")
    response = docs.get("doc", since=format_ms(T0 + 10_000))
    assert response.status_code == 200 and response.get_data() == b"1"


# --- deleting -----------------------------------------------------------------------------------

def test_delete_removes_the_document_STATE_12_GPROF_5_APROF_4(docs):
    docs.create("doc", b"1", "text/plain")
    response = docs.delete("doc")
    assert response.status_code == 204
    assert response.get_data() == b""
    assert docs.get("doc").status_code == 404


def test_delete_leaves_the_other_documents_STATE_12(docs):
    docs.create("doc", b"1", "text/plain")
    docs.create("keep", b"2", "text/plain")
    docs.delete("doc")
    assert docs.get().json == ["keep"]


def test_delete_of_a_missing_document_is_204_DOC_7(docs):
    assert docs.delete("never-written").status_code == 204


# --- HEAD ---------------------------------------------------------------------------------------

def test_head_answers_the_get_headers_without_a_body_HEAD_1(docs):
    docs.create("doc", b"hello", "text/plain")
    get, head = docs.get("doc"), docs.head("doc")
    assert head.status_code == 200
    assert head.get_data() == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Last-Modified"] == get.headers["Last-Modified"]
    assert head.headers["Content-Type"] == "text/plain"


def test_head_of_a_missing_document_is_404_HEAD_4(docs):
    assert docs.head("missing").status_code == 404


def test_head_of_the_id_list_is_200_HEAD_1(docs):
    docs.create("doc", b"1", "text/plain")
    response = docs.head()
    assert response.status_code == 200
    assert response.get_data() == b""


# --- limits -------------------------------------------------------------------------------------

def test_a_document_over_the_limit_is_413_and_not_stored_DOC_9(docs, make_app):
    small = Documents(XAPIClient(make_app(max_document_bytes=16)), docs.resource)
    response = small.put("doc", b"x" * 17, "text/plain", headers={"If-None-Match": "*"})
    assert response.status_code == 413
    assert small.get("doc").status_code == 404


def test_a_document_at_the_limit_is_accepted_DOC_9(docs, make_app):
    small = Documents(XAPIClient(make_app(max_document_bytes=16)), docs.resource)
    assert small.put("doc", b"x" * 16, "text/plain", headers={"If-None-Match": "*"}).status_code == 204
    assert small.body("doc") == b"x" * 16


def test_the_limit_can_be_raised_for_conformance_runs_DOC_9(docs, make_app):
    large = Documents(XAPIClient(make_app(max_document_bytes=4 * 1024 * 1024)), docs.resource)
    data = b"y" * (3 * 1024 * 1024)
    assert large.put("doc", data, "text/plain", headers={"If-None-Match": "*"}).status_code == 204
    assert large.body("doc") == data


def test_a_merge_whose_result_exceeds_the_limit_is_413_and_nothing_changes_DOC_9_DOC_8(docs, make_app):
    small = Documents(XAPIClient(make_app(max_document_bytes=24)), docs.resource)
    small.create("doc", b'{"a":"0123456789"}')
    assert small.post("doc", b'{"b":"0123456789"}').status_code == 413
    assert small.body("doc") == b'{"a":"0123456789"}'


# --- version header on every answer -----------------------------------------------------------

def test_204_and_404_answers_carry_the_version_header_VER_10(docs20):
    assert docs20.put("doc", {"a": 1}).headers["X-Experience-API-Version"] == "2.0.0"
    assert docs20.get("missing").headers["X-Experience-API-Version"] == "2.0.0"


def test_a_change_within_the_same_millisecond_still_counts_as_newer_for_since_STATE_11_DOC_4(docs, monkeypatch):
    at(monkeypatch, T0)
    etag = docs.create("doc", {"a": 1})
    docs.put("doc", {"a": 2}, headers={"If-Match": etag})
    assert docs.get(since=format_ms(T0)).json == ["doc"]
