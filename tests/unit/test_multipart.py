"""Unit tests of the multipart/mixed parser and builder (MP-1..MP-21, MPR-1, MPR-3, MPR-4, STRICT-18/19)."""
import hashlib
import re

import pytest

from lrs.xapi.multipart import build_multipart, content_type_parameters, parse_statement_multipart
from lrs.errors import BadRequest, PayloadTooLarge

LIMIT = 1024 * 1024
JSON = b'{"actor":{"mbox":"mailto:a@example.gov"}}'
DATA = b"hello attachment"
SHA = hashlib.sha256(DATA).hexdigest()


def body(boundary, *parts, preamble=b"", close=True, epilogue=b""):
    """A multipart body; each part is (header lines, payload)."""
    out = preamble
    for index, (headers, payload) in enumerate(parts):
        out += (b"" if index == 0 and not preamble else b"\r\n") + b"--" + boundary + b"\r\n"
        out += b"".join(h + b"\r\n" for h in headers) + b"\r\n" + payload
    if close:
        out += b"\r\n--" + boundary + b"--" + epilogue
    return out


def json_part(payload=JSON):
    return ([b"Content-Type: application/json"], payload)


def data_part(payload=DATA, sha=None, extra=()):
    sha = sha or hashlib.sha256(payload).hexdigest()
    return ([b"Content-Type: text/plain", b"Content-Transfer-Encoding: binary",
             b"X-Experience-API-Hash: " + sha.encode(), *extra], payload)


def parse(raw, content_type="multipart/mixed; boundary=abc", limit=LIMIT):
    return parse_statement_multipart(raw, content_type, limit)


def test_statements_and_attachment_are_split_MP_5_MP_9():
    statements, attachments = parse(body(b"abc", json_part(), data_part()))
    assert statements == JSON
    assert attachments == {SHA: ("text/plain", DATA)}


def test_content_type_without_boundary_is_rejected_MP_1():
    with pytest.raises(BadRequest, match="MP-1"):
        parse(body(b"abc", json_part()), "multipart/mixed")


def test_empty_boundary_is_rejected_MP_1():
    with pytest.raises(BadRequest, match="MP-1"):
        parse(body(b"abc", json_part()), 'multipart/mixed; boundary=""')


def test_boundary_with_characters_outside_rfc_2046_is_rejected_MP_3():
    with pytest.raises(BadRequest, match="MP-3"):
        parse(body(b"a*b", json_part()), "multipart/mixed; boundary=a*b")


def test_quoted_boundary_with_every_rfc_2046_character_is_accepted_MP_3():
    boundary = "abcABC0123'()+_,-./:=? x"
    statements, attachments = parse(body(boundary.encode(), json_part(), data_part()),
                                    'multipart/mixed; boundary="%s"' % boundary)
    assert statements == JSON and attachments[SHA][1] == DATA


def test_unquoted_boundary_with_special_characters_is_accepted_MP_3():
    boundary = "abc'()+_,-./:?"
    statements, _ = parse(body(boundary.encode(), json_part()), "multipart/mixed; boundary=" + boundary)
    assert statements == JSON


def test_boundary_parameter_is_found_after_other_parameters_and_in_any_case_MP_3():
    params = content_type_parameters('multipart/mixed; charset="a;b=c"; BOUNDARY="x=y"')
    assert params == {"charset": "a;b=c", "boundary": "x=y"}


def test_body_without_the_boundary_is_rejected_MP_2():
    with pytest.raises(BadRequest, match="MP-2"):
        parse(body(b"other", json_part(), data_part()))


def test_leading_crlf_before_the_first_delimiter_is_accepted_MP_4_STRICT_19():
    statements, attachments = parse(body(b"abc", json_part(), data_part(), preamble=b"\r\n"))
    assert statements == JSON and attachments[SHA][1] == DATA


def test_preamble_and_epilogue_are_ignored_MP_4():
    raw = body(b"abc", json_part(), data_part(), preamble=b"This is a preamble.",
               epilogue=b"\r\nand an epilogue --abc\r\n")
    statements, attachments = parse(raw)
    assert statements == JSON and list(attachments) == [SHA]


def test_header_lines_without_space_after_colon_and_any_case_are_accepted_MP_4_STRICT_19():
    raw = body(b"abc", ([b"content-type:application/json"], JSON),
               ([b"CONTENT-TYPE:text/plain", b"x-experience-api-hash:" + SHA.encode()], DATA))
    statements, attachments = parse(raw)
    assert statements == JSON and attachments == {SHA: ("text/plain", DATA)}


def test_transport_padding_after_a_delimiter_is_accepted_MP_3():
    raw = b"--abc  \r\nContent-Type: application/json\r\n\r\n" + JSON + b"\r\n--abc--"
    assert parse(raw)[0] == JSON


def test_boundary_text_inside_data_that_is_not_a_delimiter_line_stays_data_MP_20():
    payload = b"line\r\n--abcdef is not a delimiter\r\n--abc-not-either"
    _, attachments = parse(body(b"abc", json_part(), data_part(payload)))
    assert attachments[hashlib.sha256(payload).hexdigest()][1] == payload


def test_missing_closing_delimiter_is_rejected_MP_2():
    with pytest.raises(BadRequest, match="MP-2"):
        parse(body(b"abc", json_part(), data_part(), close=False))


def test_truncated_part_is_rejected_MP_2():
    raw = body(b"abc", json_part(), data_part())
    with pytest.raises(BadRequest, match="MP-2"):
        parse(raw[:len(raw) - 20])


def test_part_without_blank_line_after_headers_is_rejected_MP_2():
    raw = b"--abc\r\nContent-Type: application/json\r\n" + JSON + b"\r\n--abc--"
    with pytest.raises(BadRequest, match="MP-2"):
        parse(raw)


def test_header_line_without_colon_is_rejected_MP_2():
    raw = b"--abc\r\nContent-Type application/json\r\n\r\n" + JSON + b"\r\n--abc--"
    with pytest.raises(BadRequest, match="MP-2"):
        parse(raw)


def test_body_with_only_a_closing_delimiter_is_rejected_MP_2():
    with pytest.raises(BadRequest, match="MP-2"):
        parse(b"--abc--\r\n")


def test_first_part_that_is_not_json_is_rejected_MP_5():
    with pytest.raises(BadRequest, match="MP-5"):
        parse(body(b"abc", data_part(), json_part()))


def test_first_part_json_with_parameters_is_accepted_MP_5():
    raw = body(b"abc", ([b"Content-Type: application/json; charset=utf-8"], JSON))
    assert parse(raw)[0] == JSON


def test_only_the_json_part_is_accepted_MP_17():
    statements, attachments = parse(body(b"abc", json_part()))
    assert statements == JSON and attachments == {}


def test_second_json_part_without_hash_is_rejected_as_split_statements_MP_6():
    with pytest.raises(BadRequest, match="MP-6"):
        parse(body(b"abc", json_part(), json_part(b'{"verb":{}}')))


def test_part_without_hash_header_is_rejected_MP_7():
    with pytest.raises(BadRequest, match="MP-7"):
        parse(body(b"abc", json_part(), ([b"Content-Type: text/plain"], DATA)))


def test_data_not_matching_its_hash_is_rejected_MP_10():
    with pytest.raises(BadRequest, match="MP-10"):
        parse(body(b"abc", json_part(), data_part(DATA, sha=hashlib.sha256(b"other").hexdigest())))


def test_hash_that_is_not_a_sha2_digest_is_rejected_MP_10():
    with pytest.raises(BadRequest, match="MP-10"):
        parse(body(b"abc", json_part(), data_part(DATA, sha="abc123")))


@pytest.mark.parametrize("algorithm", ["sha224", "sha256", "sha384", "sha512"])
def test_every_sha2_length_is_recomputed_MP_10(algorithm):
    sha = hashlib.new(algorithm, DATA).hexdigest()
    _, attachments = parse(body(b"abc", json_part(), data_part(DATA, sha=sha)))
    assert list(attachments) == [sha]


def test_upper_case_hash_header_is_keyed_in_lower_case_MP_9():
    _, attachments = parse(body(b"abc", json_part(), data_part(DATA, sha=SHA.upper())))
    assert list(attachments) == [SHA]


def test_base64_transfer_encoding_is_rejected_MP_11_STRICT_19():
    part = ([b"Content-Type: text/plain", b"Content-Transfer-Encoding: base64",
             b"X-Experience-API-Hash: " + SHA.encode()], DATA)
    with pytest.raises(BadRequest, match="MP-11"):
        parse(body(b"abc", json_part(), part))


def test_part_without_transfer_encoding_is_read_as_binary_MP_11():
    part = ([b"X-Experience-API-Hash: " + SHA.encode()], DATA)
    _, attachments = parse(body(b"abc", json_part(), part))
    assert attachments == {SHA: (None, DATA)}


def test_multipart_form_data_is_rejected_MP_18():
    with pytest.raises(BadRequest, match="MP-18"):
        parse(body(b"abc", json_part()), "multipart/form-data; boundary=abc")


def test_data_is_kept_byte_for_byte_with_cr_lf_and_binary_inside_MP_20():
    payload = b"\r\n\r\nfirst\r\nsecond\n\rthird\x00\xff\r\n--\r\n"
    _, attachments = parse(body(b"abc", json_part(), data_part(payload)))
    assert attachments[hashlib.sha256(payload).hexdigest()][1] == payload


def test_empty_attachment_data_is_accepted_MP_20():
    _, attachments = parse(body(b"abc", json_part(), data_part(b"")))
    assert attachments[hashlib.sha256(b"").hexdigest()][1] == b""


def test_attachment_larger_than_the_limit_is_rejected_with_413_MP_21():
    with pytest.raises(PayloadTooLarge, match="MP-21"):
        parse(body(b"abc", json_part(), data_part(b"x" * 101)), limit=100)


def test_attachment_at_the_limit_is_accepted_MP_21():
    _, attachments = parse(body(b"abc", json_part(), data_part(b"x" * 100)), limit=100)
    assert len(attachments) == 1


def test_built_response_has_exact_content_type_with_plain_boundary_MPR_1_STRICT_18():
    _, content_type = build_multipart(JSON, {SHA: ("text/plain", DATA)})
    assert re.fullmatch(r"multipart/mixed; boundary=[A-Za-z0-9-]+", content_type)
    assert content_type.split(";")[1].replace(" boundary=", "") == content_type.split("=", 1)[1]


def test_built_response_parses_back_byte_identical_MPR_3_MP_20():
    payload = b"binary\r\n\x00\xff--"
    sha = hashlib.sha256(payload).hexdigest()
    raw, content_type = build_multipart(JSON, {sha: ("application/octet-stream", payload)})
    statements, attachments = parse(raw, content_type)
    assert statements == JSON and attachments == {sha: ("application/octet-stream", payload)}


def test_built_response_part_headers_MPR_3():
    raw, _ = build_multipart(JSON, {SHA: ("text/plain", DATA)})
    assert (b"Content-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: "
            + SHA.encode() + b"\r\n\r\n" + DATA) in raw


def test_built_response_names_each_hash_once_outside_the_json_MPR_4():
    raw, _ = build_multipart(JSON, {SHA: ("text/plain", DATA)})
    assert raw.count(SHA.encode()) == 1


def test_part_without_blank_line_does_not_borrow_one_from_the_next_part_MP_2():
    raw = (b"--abc\r\nContent-Type: application/json\r\n" + JSON
           + b"\r\n--abc\r\nX-Experience-API-Hash: " + SHA.encode() + b"\r\n\r\n" + DATA + b"\r\n--abc--")
    with pytest.raises(BadRequest, match="MP-2"):
        parse(raw)


def test_longer_boundary_at_the_start_is_not_taken_for_the_delimiter_MP_2():
    raw = b"--abcd\r\n" + body(b"abc", json_part(), preamble=b"\r\n")
    assert parse(raw)[0] == JSON

