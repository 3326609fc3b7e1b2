"""HTTP around the document resources: CORS preflight, the 1.0.3 alternate syntax (and its
absence in 2.0), Content-Type on reads, methods (HDR-8, ALT-1, ALT-5, ALT-9, ALT-11, CT-7, HTTP-12).
"""
import urllib.parse

import pytest

from .conftest import ADMIN_KEY, ADMIN_SECRET, basic
from .documents_fixtures import RESOURCES, Documents, docs, docs20  # noqa: F401

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def alternate(documents, method, doc_id="doc", version="1.0.3", **fields):
    """POST <resource>?method=<method> with headers, parameters and content as form fields (ALT-1)."""
    form = {"Authorization": basic(ADMIN_KEY, ADMIN_SECRET), "X-Experience-API-Version": version}
    form.update(documents.params(doc_id))
    form.update(fields)
    return documents.client.post(documents.resource.path + "?method=" + method, headers=FORM,
                                 data=urllib.parse.urlencode(form), auth=False, version=False)


# --- CORS ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [r.path for r in RESOURCES] + ["/xapi/activities", "/xapi/agents"])
def test_cors_preflight_succeeds_without_credentials_HDR_8(client, path):
    response = client.request("OPTIONS", path, auth=False, version=False, headers={
        "Origin": "https://learning.example.gov", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Authorization, If-Match, Content-Type"})
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://learning.example.gov")
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    assert "If-Match" in response.headers["Access-Control-Allow-Headers"]


def test_a_cross_origin_get_exposes_etag_and_last_modified_HDR_8(docs):
    docs.create("doc", {"a": 1})
    response = docs.get("doc", headers={"Origin": "https://learning.example.gov"})
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert "ETag" in exposed and "Last-Modified" in exposed


# --- alternate syntax ------------------------------------------------------------------------------

def test_a_1_0_3_form_post_with_method_put_stores_the_document_ALT_1(docs):
    response = alternate(docs, "PUT", content='{"a": 1}', **{"If-None-Match": "*"})
    assert response.status_code == 204
    assert docs.get("doc").json == {"a": 1}


def test_the_content_type_form_field_is_the_document_type_ALT_9(docs):
    alternate(docs, "PUT", content="hello", **{"Content-Type": "text/plain", "If-None-Match": "*"})
    response = docs.get("doc")
    assert response.headers["Content-Type"] == "text/plain"
    assert response.get_data() == b"hello"


def test_a_1_0_3_form_post_with_method_get_reads_the_document_ALT_1(docs):
    docs.create("doc", b"hello", "text/plain")
    response = alternate(docs, "GET")
    assert response.status_code == 200
    assert response.get_data() == b"hello"
    assert response.headers["ETag"]


def test_a_1_0_3_form_post_with_method_delete_deletes_ALT_1(docs):
    docs.create("doc", b"hello", "text/plain")
    assert alternate(docs, "DELETE").status_code == 204
    assert docs.get("doc").status_code == 404


def test_if_match_sent_as_a_form_field_is_honoured_ALT_5(docs):
    docs.create("doc", {"a": 1})
    response = alternate(docs, "PUT", content='{"a": 2}', **{"If-Match": '"%s"' % ("0" * 40)})
    assert response.status_code == 412
    assert docs.get("doc").json == {"a": 1}


def test_a_form_post_with_method_is_rejected_under_2_0_and_stores_nothing_ALT_11(docs20):
    response = alternate(docs20, "PUT", version="2.0.0", content='{"a": 1}')
    assert response.status_code == 400
    assert docs20.get("doc").status_code == 404


# --- other HTTP ----------------------------------------------------------------------------------

def test_a_get_carrying_content_type_json_is_not_rejected_CT_7(docs20):
    docs20.put("doc", {"a": 1})
    assert docs20.get("doc", headers={"Content-Type": "application/json"}).status_code == 200


def test_a_delete_carrying_content_type_json_is_not_rejected_CT_7(docs20):
    docs20.put("doc", {"a": 1})
    assert docs20.delete("doc", headers={"Content-Type": "application/json"}).status_code == 204


def test_an_unsupported_method_is_405_with_allow_HTTP_12(docs):
    response = docs.client.request("PATCH", docs.url("doc"))
    assert response.status_code == 405
    assert "PUT" in response.headers["Allow"]


def test_a_request_without_credentials_is_401_SEC_1(docs):
    assert docs.client.get(docs.url("doc"), auth=False).status_code == 401


def test_a_request_without_version_header_is_400_VER_1(docs):
    assert docs.client.get(docs.url("doc"), version=False).status_code == 400


def test_a_document_written_under_1_0_3_is_read_under_2_0_VER_15(docs):
    docs.create("doc", {"a": 1})
    twenty = Documents(docs.client.with_version("2.0.0"), docs.resource)
    assert twenty.get("doc").json == {"a": 1}
