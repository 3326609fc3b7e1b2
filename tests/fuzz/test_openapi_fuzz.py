"""API fuzzing from the OpenAPI document with schemathesis (issue 15).

Every operation of /openapi.json is called through the WSGI application with generated data,
valid and invalid (schemathesis' positive and negative modes), authenticated by a credential made
for the run. Each answer must: never be a 5xx; have a status, Content-Type, headers and body the
document declares; and, when it is a 4xx, carry a JSON error body with a message (the console's HTML
pages excepted) and, under /xapi, the X-Experience-API-Version header (VER-10, ERR-3). Fixed seed, bounded examples (tests/strategies.py).
"""
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from lrs.api.openapi import build_document

from .conftest import fuzz_config

# the document /openapi.json serves (tests/api/test_openapi.py checks they are the same)
schema = schemathesis.openapi.from_dict(build_document(), config=fuzz_config())


def client_errors_are_json_with_the_version_header(ctx, response, case):
    """A 4xx answers {"error": {"status", "message"}} and, under /xapi, X-Experience-API-Version."""
    if not 400 <= response.status_code < 500:
        return None
    if case.path.startswith("/xapi/"):
        assert response.headers.get("x-experience-api-version"), "4xx without X-Experience-API-Version"
    if case.method.upper() == "HEAD" or case.operation.tags == ["Console"]:
        return None                          # the console's pages are HTML for people, errors too
    assert response.headers.get("content-type", [""])[0].startswith("application/json"), "4xx body is not JSON"
    error = response.json()["error"]
    assert error["status"] == response.status_code and error["message"], "4xx without a message"
    return True


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, client_errors_are_json_with_the_version_header]


@schema.parametrize()
def test_every_operation_answers_as_documented_and_never_5xx_issue_15(case, fuzzed):
    app, authorization = fuzzed
    response = case.call(app=app, headers={"Authorization": authorization})
    case.validate_response(response, checks=CHECKS)
