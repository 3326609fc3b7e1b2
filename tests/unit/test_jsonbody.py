"""The one JSON parser of the LRS (lrs.xapi.jsonbody): what it refuses besides malformed JSON
(issue 11, GEN-1, GEN-10)."""
import pytest

from lrs.errors import BadRequest
from lrs.xapi.jsonbody import InvalidJSON, dumps, loads, parse_json


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}', "1e400", "[-1E+999]", '{"a": [1, 2e500]}'])
def test_non_finite_numbers_are_not_json_GEN_1(text):
    with pytest.raises(InvalidJSON, match="JSON cannot carry"):
        loads(text)


@pytest.mark.parametrize("text, value", [("1.7976931348623157e308", 1.7976931348623157e308), ("1e-400", 0.0),
                                         ("-0.0", -0.0), ("12345678901234567890", 12345678901234567890)])
def test_finite_numbers_at_the_edges_are_read(text, value):
    assert loads(text) == value


def test_repeated_keys_are_refused_GEN_10():
    with pytest.raises(InvalidJSON, match="repeats the key 'a'"):
        loads('{"a": 1, "a": 2}')


def test_parse_json_names_what_it_read_in_a_bad_request():
    with pytest.raises(BadRequest, match="the statement body holds the number NaN"):
        parse_json(b'{"raw": NaN}', "the statement body")


def test_dumps_never_writes_nan():
    with pytest.raises(ValueError):
        dumps({"raw": float("nan")})


def test_a_jws_payload_holding_nan_is_rejected_SIG_6():
    from lrs.xapi.signatures import _payload_statement, _Rejected
    with pytest.raises(_Rejected, match="NaN"):
        _payload_statement(b'{"actor": NaN}', "1.0.3")
