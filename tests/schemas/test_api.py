"""The public API the service layer uses, the error object, and the marshmallow schemas themselves."""
import marshmallow
import pytest

import schemas

from .helpers import VERSIONS, statement


def test_the_public_names_exist():
    for name in ("XAPIValidationError", "validate_statement", "validate_statements", "validate_agent",
                 "validate_activity_id", "validate_iri", "validate_uuid", "parse_timestamp", "is_language_tag"):
        assert callable(getattr(schemas, name))
    assert schemas.SUPPORTED_VERSIONS == ("1.0.3", "2.0.0")
    assert issubclass(schemas.XAPIValidationError, ValueError)


def test_an_error_names_the_path_and_the_rule():
    with pytest.raises(schemas.XAPIValidationError) as caught:
        schemas.validate_statement(statement(actor={"mbox": "learner@example.com"}), "1.0.3")
    error = caught.value
    assert error.path == ["actor", "mbox"]
    assert error.message == "statement.actor.mbox: must be a mailto: IRI with an e-mail address, " \
                            "not 'learner@example.com' (IFI-1)"
    assert str(error) == error.message


def test_an_error_inside_an_array_uses_the_index():
    data = statement(context={"contextActivities": {"parent": [{"id": "http://a.example/x"}, {"id": "bad"}]}})
    with pytest.raises(schemas.XAPIValidationError) as caught:
        schemas.validate_statement(data, "2.0.0")
    assert caught.value.message.startswith("statement.context.contextActivities.parent[1].id: ")


@pytest.mark.parametrize("alias, version", [("1.0", "1.0.3"), ("1.0.0", "1.0.3"), ("1.0.2", "1.0.3"),
                                            ("2.0", "2.0.0")])
def test_version_aliases_select_their_rule_set_VER_2_to_VER_4(alias, version):
    data = statement(version="2.0.0")
    if version == "2.0.0":
        assert schemas.validate_statement(data, alias) == data
    else:
        with pytest.raises(schemas.XAPIValidationError, match="SVER-2"):
            schemas.validate_statement(data, alias)


@pytest.mark.parametrize("version", ["0.95", "1.1.0", "3.0.0", None, ""])
def test_an_unsupported_version_is_a_programming_error(version):
    with pytest.raises(ValueError) as caught:
        schemas.validate_statement(statement(), version)
    assert not isinstance(caught.value, schemas.XAPIValidationError)


def test_version_differences_are_subclasses_CTX_1_CAG_8():
    assert issubclass(schemas.Context20Schema, schemas.Context103Schema)
    assert set(schemas.Context20Schema().fields) - set(schemas.Context103Schema().fields) == \
        {"contextAgents", "contextGroups"}
    assert set(schemas.Statement20Schema().fields) == set(schemas.Statement103Schema().fields)
    assert schemas.STATEMENT_SCHEMAS == {"1.0.3": schemas.Statement103Schema, "2.0.0": schemas.Statement20Schema}


@pytest.mark.parametrize("version", VERSIONS)
def test_marshmallow_load_validates_like_validate_statement(version):
    schema = schemas.STATEMENT_SCHEMAS[version]()
    data = statement(context={"contextActivities": {"parent": {"id": "http://a.example/p"}}},
                     timestamp="2026-01-01T12:00:00-05:00")
    assert schema.load(data) == schemas.validate_statement(data, version)
    with pytest.raises(marshmallow.ValidationError, match="GEN-9"):
        schema.load(statement(dummy=1))


def test_schema_fields_are_marshmallow_fields_for_documentation():
    fields = schemas.Statement20Schema().fields
    assert isinstance(fields["verb"], marshmallow.fields.Nested)
    assert isinstance(fields["attachments"], marshmallow.fields.List)
    assert fields["actor"].required and not fields["id"].required


def test_a_field_deserialises_through_marshmallow_too():
    field = schemas.AgentSchema().fields["mbox"]
    assert field.deserialize("mailto:a@example.com") == "mailto:a@example.com"
    with pytest.raises(marshmallow.ValidationError, match="IFI-1"):
        field.deserialize("a@example.com")
