"""Formatted values: timestamps, durations, language maps and tags, extensions, IRIs, attachments
(TIME, DUR, LANG, EXT, FMT, ATT)."""
import pytest

import schemas

from .helpers import SHA256, VERSIONS, accept, reject, statement, substatement

ATTACHMENT = {"usageType": "http://adlnet.gov/expapi/attachments/signature", "display": {"en-US": "Signature"},
              "description": {"en-US": "A signature"}, "contentType": "application/octet-stream",
              "length": 4235, "sha2": SHA256}


# --- Timestamps --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value, expected", [
    ("2013-05-18T05:32:34.804Z", "2013-05-18T05:32:34.804Z"),
    ("2013-05-18T05:32:34Z", "2013-05-18T05:32:34.000Z"),
    ("2013-05-18T05:32:34.8Z", "2013-05-18T05:32:34.800Z"),
    ("2013-05-18T05:32:34.80499999Z", "2013-05-18T05:32:34.804Z"),
    ("2008-09-15T15:53:00.601+00:00", "2008-09-15T15:53:00.601Z"),
    ("2026-01-01T12:00:00-05:00", "2026-01-01T17:00:00.000Z"),
    ("2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00.000Z"),
    ("2026-01-01T00:30:00+0100", "2025-12-31T23:30:00.000Z"),
    ("2026-01-01T00:30:00+01", "2025-12-31T23:30:00.000Z"),
    ("2031-06-01T00:00:00Z", "2031-06-01T00:00:00.000Z"),
    ("2024-02-29T12:00:00.999999Z", "2024-02-29T12:00:00.999Z"),
])
def test_iso_8601_timestamps_are_accepted_and_returned_in_utc_ms_TIME_2_TIME_5_TIME_7_TIME_8(version, value, expected):
    assert accept(statement(timestamp=value), version)["timestamp"] == expected


@pytest.mark.parametrize("version", VERSIONS)
def test_a_zone_less_timestamp_is_read_as_utc_TIME_6(version):
    assert accept(statement(timestamp="2026-01-01T12:00:00.5"), version)["timestamp"] == "2026-01-01T12:00:00.500Z"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", ["should fail", "01/011/2015", "", "2026-01-01", "2026-01-01T12:00Z",
                                   "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01T24:00:00Z",
                                   "2026-01-01T12:00:60Z", "2026-01-01T12:00:00+24:00", "20260101T120000Z",
                                   "2026-01-01T12:00:00.Z", "2026-01-01T12:00:00Z\n", 1700000000, None,
                                   "0001-01-01T00:00:00+01:00"])
def test_invalid_timestamps_are_rejected_TIME_1(version, value):
    reject(statement(timestamp=value), version, None, ["timestamp"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", ["2008-09-15T15:53:00.601-00", "2008-09-15T15:53:00.601-0000",
                                   "2008-09-15T15:53:00.601-00:00"])
def test_negative_zero_offsets_are_rejected_in_statements_and_substatements_TIME_3_STRICT_34(version, value):
    reject(statement(timestamp=value), version, "TIME-3", ["timestamp"])
    reject(statement(object=substatement(timestamp=value)), version, "TIME-3", ["object", "timestamp"])


@pytest.mark.parametrize("value, expected", [("2008-09-15 15:53:00.601+00:00", "2008-09-15T15:53:00.601Z"),
                                             ("2008-09-15t15:53:00.601z", "2008-09-15T15:53:00.601Z"),
                                             ("2008-09-15T15:53:00.601z", "2008-09-15T15:53:00.601Z")])
def test_rfc_3339_variants_are_accepted_under_2_0_TIME_4(value, expected):
    assert accept(statement(timestamp=value), "2.0.0")["timestamp"] == expected
    assert accept(statement(object=substatement(timestamp=value)), "2.0.0")["object"]["timestamp"] == expected


@pytest.mark.parametrize("value", ["2008-09-15 15:53:00.601+00:00", "2008-09-15t15:53:00.601z"])
def test_rfc_3339_only_variants_are_rejected_under_1_0_3_TIME_4(value):
    reject(statement(timestamp=value), "1.0.3", "TIME-", ["timestamp"])


@pytest.mark.parametrize("version", VERSIONS)
def test_a_future_substatement_timestamp_is_accepted_SUB_6_TIME_5(version):
    accept(statement(object=substatement(timestamp="2099-12-31T23:59:59.999Z")), version)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value, millis", [("1970-01-01T00:00:00Z", 0), ("1970-01-01T00:00:01.2345Z", 1234),
                                           ("2026-01-01T12:00:00-05:00", 1767286800000),
                                           ("1969-12-31T23:59:59.999Z", -1)])
def test_parse_timestamp_gives_milliseconds_since_the_epoch_TIME_7(version, value, millis):
    assert schemas.parse_timestamp(value, version) == millis


def test_parse_timestamp_follows_the_version_rules_TIME_4():
    assert schemas.parse_timestamp("2026-01-01 00:00:00z", "2.0.0") == 1767225600000
    with pytest.raises(schemas.XAPIValidationError):
        schemas.parse_timestamp("2026-01-01 00:00:00z", "1.0.3")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", ["wrong", "", 12, None, "2026-01-01T00:00:00-00:00"])
def test_parse_timestamp_rejects_invalid_values_GEN_17(version, value):
    with pytest.raises(schemas.XAPIValidationError) as caught:
        schemas.parse_timestamp(value, version, "since")
    assert caught.value.message.startswith("since: ")


# --- Durations ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", ["PT1H0M0.1S", "PT4H35M59.14S", "PT16559.14S", "P3Y1M29DT4H35M59.14S", "P3Y",
                                   "P4W", "P1DT12H36M0.12567S", "PT0S", "P1D", "PT1.5H", "P0.5Y", "PT1M",
                                   "P1Y2M3DT4H5M6.789S"])
def test_iso_8601_durations_are_accepted_and_kept_as_received_DUR_1_DUR_3_DUR_5_STRICT_35(version, value):
    assert accept(statement(result={"duration": value}), version)["result"]["duration"] == value


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", ["PA1H0M0S", "P4W1D", "P", "PT", "P16559.14S", "P0003-01-29T04:35:59", "",
                                   "PT1.5H30M", "P1.5DT1H", "1H", "pt1h", "PT-1S", "P1DT", "PT1H ", 12, {"h": 1}, None])
def test_invalid_durations_are_rejected_DUR_1_DUR_2(version, value):
    reject(statement(result={"duration": value}), version, None, ["result", "duration"])


# --- Language maps and tags -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tag", ["de", "de-DE", "zh-Hant", "es-MX", "sr-Latn-RS", "cmn", "en-GB", "tlh", "fr-CA",
                                 "en-US-x-twain", "x-private", "de-CH-1901", "es-419", "i-klingon", "EN-us",
                                 "zh-yue-HK", "en-a-bbb-x-a-ccc"])
def test_well_formed_language_tags_are_accepted_LANG_2(tag):
    assert schemas.is_language_tag(tag)


@pytest.mark.parametrize("tag", ["a12345678", "something", "", "en_US", "en-", "-en", "e", "en--US", "12",
                                 "en-US-", "de-DE-x", 12, None, "en US"])
def test_malformed_language_tags_are_rejected_LANG_2_GEN_16(tag):
    assert not schemas.is_language_tag(tag)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("place", ["verb.display", "definition.name", "definition.description",
                                   "component.description", "attachment.display", "attachment.description"])
@pytest.mark.parametrize("language_map, rule", [({"a12345678": "x"}, "LANG-2"), ({"something": "x"}, "LANG-2"),
                                                ({"en-US": 12}, "LANG-3"), ({"en-US": None}, "GEN-2"),
                                                ({"en-US": ["x"]}, "LANG-3"), ("text", "GEN-3")])
def test_language_maps_are_validated_wherever_they_occur_LANG_1_LANG_3_LANG_4(version, place, language_map, rule):
    data = statement()
    if place == "verb.display":
        data["verb"]["display"] = language_map
    elif place.startswith("definition."):
        data["object"]["definition"] = {place.split(".")[1]: language_map}
    elif place == "component.description":
        data["object"]["definition"] = {"interactionType": "choice", "choices": [{"id": "a", "description": language_map}]}
    else:
        data["attachments"] = [dict(ATTACHMENT, **{place.split(".")[1]: language_map})]
    reject(data, version, rule)


@pytest.mark.parametrize("version", VERSIONS)
def test_an_empty_language_map_is_accepted_and_keys_kept_as_received_LANG_5_GEN_12(version):
    out = accept(statement(verb={"id": "http://example.com/v", "display": {}}), version)
    assert out["verb"]["display"] == {}
    out = accept(statement(verb={"id": "http://example.com/v", "display": {"EN-us": "x", "de": "<b>y</b>"}}), version)
    assert out["verb"]["display"] == {"EN-us": "x", "de": "<b>y</b>"}


# --- Extensions --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", [None, "", {}, [], 0, False, 1.5, {"nested": {"deep": [None, {"x": ""}]}}, "text"])
def test_extension_values_may_be_any_json_including_null_EXT_3_STRICT_5(version, value):
    for where in ("result", "context"):
        out = accept(statement(**{where: {"extensions": {"http://example.com/ext": value}}}), version)
        assert out[where]["extensions"] == {"http://example.com/ext": value}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("key", ["should fail", "not.valid.com/extension", "id", "", "ab=c://x"])
@pytest.mark.parametrize("where", ["result", "context"])
def test_extension_keys_must_be_absolute_iris_EXT_2(version, key, where):
    reject(statement(**{where: {"extensions": {key: 1}}}), version, "EXT-2", [where, "extensions", key])


# --- IRIs -----------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["http://example.com", "https://example.com/a?b=c#d", "urn:uuid:" + "0" * 8,
                                   "mailto:a@example.com", "tag:example.com,2026:x", "http://例子.测试/路径",
                                   "http://example.com/%20x", "ftp+x.y-z://h/p"])
def test_absolute_iris_are_accepted_FMT_1(value):
    assert schemas.validate_iri(value, "verb") == value


@pytest.mark.parametrize("value", ["ab=c://should.fail.com", "www.example.com", "not.a.valid.iri.com/verb", "",
                                   "/relative/path", "#fragment", "http://a b", "http://x/%g0", "http:", "1a:b",
                                   "http://x/\n", 12, None, ["http://x"]])
def test_relative_or_malformed_iris_are_rejected_FMT_1_GEN_16_GEN_17(value):
    with pytest.raises(schemas.XAPIValidationError) as caught:
        schemas.validate_iri(value, "verb")
    assert caught.value.message.startswith("verb: ")


def test_validate_activity_id_names_the_parameter_GEN_17():
    assert schemas.validate_activity_id("http://example.com/a") == "http://example.com/a"
    with pytest.raises(schemas.XAPIValidationError, match="^activityId: "):
        schemas.validate_activity_id("example.com/a")


@pytest.mark.parametrize("value", ["fd41c918-b88b-4b20-a0a5-a4c32391aaa0", "FD41C918-B88B-4B20-A0A5-A4C32391AAA0"])
def test_validate_uuid_accepts_either_case_and_returns_it_unchanged_ID_4(value):
    assert schemas.validate_uuid(value, "statementId") == value


@pytest.mark.parametrize("value", ["wrong", "", "fd41c918b88b4b20a0a5a4c32391aaa0", "{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}",
                                   "fd41c918-b88b-4b20-a0a5-a4c32391aaa0\n", 12, None])
def test_validate_uuid_rejects_other_values_GEN_17_FMT_4(value):
    with pytest.raises(schemas.XAPIValidationError, match="^registration: "):
        schemas.validate_uuid(value, "registration")


# --- Attachments ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("extra", [{}, {"fileUrl": "https://example.com/file.pdf"}])
def test_a_valid_attachment_is_accepted_ATT_1(version, extra):
    attachment = dict(ATTACHMENT, **extra)
    assert accept(statement(attachments=[attachment]), version)["attachments"] == [attachment]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("value", [ATTACHMENT, "x", [1], ["x"]])
def test_attachments_must_be_an_array_of_attachment_objects_STMT_6(version, value):
    reject(statement(attachments=value), version, "STMT-6")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name, rule", [("usageType", "ATT-2"), ("display", "ATT-3"), ("contentType", "ATT-5"),
                                        ("length", "ATT-6"), ("sha2", "ATT-9")])
def test_required_attachment_properties_are_enforced_ATT_2_to_ATT_9(version, name, rule):
    attachment = dict(ATTACHMENT, fileUrl="http://example.com/f")
    del attachment[name]
    reject(statement(attachments=[attachment]), version, rule, ["attachments", 0, name])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name, value, rule", [
    ("usageType", "not an iri", "ATT-2"), ("usageType", "example.com/u", "ATT-2"),
    ("display", "Signature", "ATT-3"), ("description", 12, "ATT-4"),
    ("contentType", 12, "ATT-5"), ("contentType", "", "ATT-5"), ("contentType", "text", "ATT-5"),
    ("contentType", "text/plain; charset", "ATT-5"),
    ("length", "4235", "ATT-6"), ("length", -1, "ATT-6"), ("length", 1.5, "ATT-6"), ("length", True, "ATT-6"),
    ("sha2", 12, "ATT-7"), ("sha2", "", "ATT-7"), ("sha2", "xyz", "ATT-7"), ("sha2", SHA256[:-1], "ATT-7"),
    ("sha2", "g" * 64, "ATT-7"),
    ("fileUrl", "example.com/f", "ATT-8"), ("fileUrl", 12, "ATT-8"),
    ("dummy", 1, "ATT-1"),
])
def test_invalid_attachment_properties_are_rejected_ATT_1_to_ATT_8(version, name, value, rule):
    reject(statement(attachments=[dict(ATTACHMENT, **{name: value})]), version, rule, ["attachments", 0, name])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("content_type", ["text/plain", "application/json; charset=utf-8",
                                          'multipart/mixed; boundary="a b"', "image/svg+xml",
                                          "application/vnd.ms-excel"])
def test_media_types_with_parameters_are_accepted_ATT_5(version, content_type):
    accept(statement(attachments=[dict(ATTACHMENT, contentType=content_type)]), version)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("digest", ["a" * 56, "B" * 64, "c" * 96, "d" * 128])
def test_sha2_digests_of_every_sha2_length_are_accepted_ATT_7(version, digest):
    accept(statement(attachments=[dict(ATTACHMENT, sha2=digest)]), version)
