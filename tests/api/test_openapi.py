"""The OpenAPI document at /openapi.json and the reference page at /docs (issue 15).

The document is generated from the marshmallow schemas (schemas/) and the handlers' own tables;
these tests keep it honest: every route of the application is described and nothing more, it is a
valid OpenAPI 3.1 document, its examples are real statements the LRS accepts and that satisfy the
document's own schemas, and the page with all its assets loads.
"""
import re

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

import schemas
from lrs.api.openapi import SWAGGER_UI_ASSETS, build_document
from lrs.api.openapi_examples import EXAMPLES
from lrs.xapi.query import ALL_PARAMETERS, CURSOR_PARAMETER

from .conftest import XAPIClient


def _openapi_path(rule):
    """/docs/<path:asset> -> /docs/{asset}"""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _routes(app):
    found = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods:
            found.add((_openapi_path(rule.rule), method.lower()))
    return found


def _described(document):
    return {(path, method) for path, operations in document["paths"].items()
            for method in operations if method != "parameters"}


@pytest.fixture
def document(client):
    response = client.get("/openapi.json", auth=False, version=False)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_every_route_of_the_application_is_described_issue_15(app, document):
    """A route added without describing it fails here (OPTIONS is Flask's own outside /xapi)."""
    routes = {(path, method) for path, method in _routes(app)
              if method != "options" or path.startswith("/xapi/")}
    missing = sorted(routes - _described(document))
    assert not missing, "routes not in /openapi.json: %s" % missing


def test_nothing_is_described_that_the_application_does_not_answer_issue_15(app, document):
    invented = sorted(_described(document) - _routes(app))
    assert not invented, "operations in /openapi.json without a route: %s" % invented


def test_document_is_valid_openapi_3_1_issue_15(document):
    assert document["openapi"] == "3.1.0"
    validate(document)          # raises on the first violation of the OpenAPI 3.1 schema


def test_statement_schemas_are_generated_from_the_marshmallow_schemas_issue_15(document):
    components = document["components"]["schemas"]
    for name, schema in (("Statement103", schemas.Statement103Schema), ("Statement20", schemas.Statement20Schema)):
        assert set(components[name]["properties"]) == set(schema().fields)
        assert set(components[name]["required"]) == {"actor", "verb", "object"}
        assert components[name]["additionalProperties"] is False
    assert "contextAgents" in components["Context20"]["properties"]
    assert "contextAgents" not in components["Context103"]["properties"]
    assert set(components["ActivityDefinition"]["properties"]["interactionType"]["enum"]) == set(
        schemas.objects.INTERACTION_TYPES)


def test_statement_query_parameters_are_those_the_handler_reads_issue_15(document):
    described = {p["name"] for p in document["paths"]["/xapi/statements"]["get"]["parameters"] if p["in"] == "query"}
    assert described == ALL_PARAMETERS | {CURSOR_PARAMETER}


def test_security_scheme_is_http_basic_and_names_the_scopes_issue_15(document):
    scheme = document["components"]["securitySchemes"]["basicAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "basic")
    assert "statements/read/mine" in scheme["description"]
    assert {"basicAuth": ["statements/write"]} in document["paths"]["/xapi/statements"]["post"]["security"]
    assert document["paths"]["/xapi/about"]["get"]["security"] == []


def test_error_answers_are_described_with_the_version_header_issue_15(document):
    for path, operations in document["paths"].items():
        if not path.startswith("/xapi/"):
            continue
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                assert "X-Experience-API-Version" in response["headers"], (path, method, status)
                if status.startswith("4") and method != "head":
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"}


def test_examples_satisfy_the_documents_own_statement_schema_issue_15(document):
    body = document["paths"]["/xapi/statements"]["put"]["requestBody"]["content"]["application/json"]
    assert set(body["examples"]) == {"video", "podcast", "quiz"}
    for name in ("Statement103", "Statement20"):
        validator = OAS31Validator({"$ref": "#/components/schemas/" + name, "components": document["components"]})
        for example in body["examples"].values():
            validator.validate(example["value"])


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_statements_are_accepted_and_read_back_issue_15(app, version, example):
    client = XAPIClient(app, version)
    statement = EXAMPLES[example][1]
    assert client.put("/xapi/statements?statementId=" + statement["id"], json=statement).status_code == 204
    stored = client.get("/xapi/statements?statementId=" + statement["id"]).get_json()
    assert stored["verb"] == statement["verb"]


def test_docs_page_loads_with_all_its_assets_issue_15(client):
    page = client.get("/docs", auth=False, version=False)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="(/docs/[^"]+)"', html)
    assert {"/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"} <= set(assets)
    expected = {"js": "text/javascript", "css": "text/css", "png": "image/png"}
    for asset in assets:
        response = client.get(asset, auth=False, version=False)
        assert response.status_code == 200, asset
        assert response.mimetype == expected[asset.rsplit(".", 1)[1]], asset
        assert len(response.get_data()) > 0
    script = client.get("/docs/init.js", auth=False, version=False).get_data(as_text=True)
    assert '"/openapi.json"' in script


def test_docs_asset_outside_the_swagger_ui_files_is_404_issue_15(client):
    response = client.get("/docs/../../app.py", auth=False, version=False)
    assert response.status_code == 404
    response = client.get("/docs/package.json", auth=False, version=False)
    assert response.status_code == 404 and response.get_json()["error"]["status"] == 404


def test_swagger_ui_files_come_from_the_installed_package_issue_15():
    import os

    from lrs.api.openapi import SWAGGER_UI_DIR
    assert "site-packages" in SWAGGER_UI_DIR or "dist-packages" in SWAGGER_UI_DIR
    for name in SWAGGER_UI_ASSETS:
        assert os.path.isfile(os.path.join(SWAGGER_UI_DIR, name)), name


def test_document_lists_the_versions_served_issue_15():
    document = build_document(("2.0.0",))
    parameter = next(p for p in document["paths"]["/xapi/statements"]["post"]["parameters"]
                     if p["name"] == "X-Experience-API-Version")
    assert parameter["schema"]["enum"] == ["2.0.0"]
