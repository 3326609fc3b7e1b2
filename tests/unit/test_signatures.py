"""Unit tests of the signed-statement check (SIG-1..SIG-11, CMP-11, CMP-12, STRICT-21).

The helpers at the top (an RSA key, a self-signed certificate, a compact JWS) are used by
tests/api/test_signatures.py too.
"""
import base64
import copy
import datetime
import hashlib
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from lrs.errors import BadRequest
from lrs.xapi.signatures import SIGNATURE_USAGE_TYPE, check_signature

_HASHES = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}
_KEY = None


def rsa_key():
    """One 2048-bit key for the whole run (generating it is the slow part)."""
    global _KEY
    if _KEY is None:
        _KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _KEY


def certificate(key=None):
    """A self-signed X.509 certificate for `key`, as base64 DER (the x5c form)."""
    key = key or rsa_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xAPI test signer")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def sign(payload, alg="RS256", x5c=True, key=None, header=None):
    """A compact JWS (bytes) over `payload` (a statement dict, or raw bytes)."""
    key = key or rsa_key()
    protected = {"alg": alg}
    if x5c:
        protected["x5c"] = [certificate(key)]
    protected.update(header or {})
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signing_input = b64url(json.dumps(protected).encode()) + b"." + b64url(body)
    if alg in _HASHES:
        signature = key.sign(signing_input, padding.PKCS1v15(), _HASHES[alg]())
    else:
        signature = b"not-a-real-signature"
    return signing_input + b"." + b64url(signature)


def base_statement(**overrides):
    statement = {
        "actor": {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.gov"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {"objectType": "Activity", "id": "http://example.gov/courses/safety"},
    }
    statement.update(overrides)
    return statement


def signature_attachment(jws, content_type="application/octet-stream", **extra):
    attachment = {"usageType": SIGNATURE_USAGE_TYPE, "display": {"en-US": "signature"},
                  "contentType": content_type, "length": len(jws), "sha2": hashlib.sha256(jws).hexdigest()}
    attachment.update(extra)
    return attachment


def signed(statement, jws=None, content_type="application/octet-stream", **sign_options):
    """(statement with its signature attachment, attachment data) as the service would see them."""
    jws = jws if jws is not None else sign(statement, **sign_options)
    result = copy.deepcopy(statement)
    attachment = signature_attachment(jws, content_type)
    result["attachments"] = result.get("attachments", []) + [attachment]
    return result, {attachment["sha2"]: (content_type, jws)}


def check(statement, data, version="1.0.3"):
    check_signature(statement, data, version, 0)


def flip_signature(jws):
    head, payload, signature = jws.split(b".")
    raw = bytearray(base64.urlsafe_b64decode(signature + b"=" * (-len(signature) % 4)))
    raw[10] ^= 0xFF
    return head + b"." + payload + b"." + b64url(bytes(raw))


# --- accepted ------------------------------------------------------------------------------

@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_statement_signed_with_rs_algorithm_and_x5c_is_accepted_SIG_5_SIG_8(alg):
    check(*signed(base_statement(), alg=alg))


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_statement_signed_without_x5c_is_accepted_SIG_9_STRICT_21(alg):
    check(*signed(base_statement(), alg=alg, x5c=False))


def test_statement_without_signature_attachment_is_not_checked_SIG_1():
    statement = base_statement(attachments=[{"usageType": "http://example.gov/usage/file",
                                             "display": {"en-US": "f"}, "contentType": "text/plain",
                                             "length": 1, "sha2": "a" * 64}])
    check(statement, {})


def test_payload_with_id_authority_stored_version_ignored_CMP_5_CMP_11():
    statement = base_statement()
    payload = base_statement(id="5d1c0c1e-7a4b-4f0e-9b1a-8f9f3a1f0c11", version="1.0.0",
                             stored="2024-01-01T00:00:00Z",
                             authority={"objectType": "Agent", "mbox": "mailto:signer@example.gov"})
    check(*signed(statement, jws=sign(payload)))


def test_payload_with_attachments_array_differing_is_ignored_CMP_11():
    payload = base_statement(attachments=[{"usageType": "http://example.gov/other",
                                           "display": {"en-US": "x"}, "contentType": "text/plain",
                                           "length": 3, "sha2": "b" * 64}])
    check(*signed(base_statement(), jws=sign(payload)))


def test_timestamp_absent_from_payload_is_ignored_CMP_5():
    statement = base_statement(timestamp="2024-05-01T10:00:00.000Z")
    check(*signed(statement, jws=sign(base_statement())))


def test_duration_differing_only_beyond_hundredths_is_accepted_CMP_11_CMP_14_STRICT_21():
    statement = base_statement(result={"duration": "P1DT12H36M0.12567S"})
    payload = base_statement(result={"duration": "P1DT12H36M0.12S"})
    check(*signed(statement, jws=sign(payload)), version="2.0.0")


def test_verb_display_and_key_order_are_not_compared_CMP_4_CMP_6():
    statement = base_statement()
    payload = {"object": statement["object"], "verb": {"id": statement["verb"]["id"]},
               "actor": statement["actor"]}
    check(*signed(statement, jws=sign(payload)))


def test_trailing_newline_after_the_jws_is_tolerated_SIG_4():
    statement = base_statement()
    check(*signed(statement, jws=sign(statement) + b"\r\n"))


def test_signature_data_found_with_upper_case_sha2_SIG_3():
    statement, data = signed(base_statement())
    statement["attachments"][0]["sha2"] = statement["attachments"][0]["sha2"].upper()
    check(statement, data)


# --- rejected --------------------------------------------------------------------------------

def test_text_plain_signature_content_type_is_rejected_SIG_2_STRICT_21():
    with pytest.raises(BadRequest, match="SIG-2"):
        check(*signed(base_statement(), content_type="text/plain"))


def test_signature_given_only_by_file_url_is_rejected_SIG_3():
    jws = sign(base_statement())
    statement = base_statement(attachments=[signature_attachment(jws, fileUrl="http://example.gov/sig")])
    with pytest.raises(BadRequest, match="SIG-3"):
        check(statement, {})


@pytest.mark.parametrize("data", [b"not a jws", b"a.b", b"a.b.c.d", b"eyJhbGciOiJSUzI1NiJ9..", b"{}.e30.e30",
                                  b"e30=.e30.e30", b'{"payload":"e30","signatures":[]}'])
def test_data_that_is_not_a_compact_jws_is_rejected_SIG_4(data):
    with pytest.raises(BadRequest, match="SIG-4"):
        check(*signed(base_statement(), jws=data))


def test_header_that_is_not_a_json_object_is_rejected_SIG_4():
    jws = b64url(b"[1]") + b"." + b64url(b"{}") + b"." + b64url(b"sig")
    with pytest.raises(BadRequest, match="SIG-4"):
        check(*signed(base_statement(), jws=jws))


@pytest.mark.parametrize("alg", ["HS256", "none", "ES256", "PS256", None])
def test_algorithm_other_than_rs256_384_512_is_rejected_SIG_5_STRICT_21(alg):
    header = {} if alg is not None else {"alg": None}
    with pytest.raises(BadRequest, match="SIG-5"):
        check(*signed(base_statement(), jws=sign(base_statement(), alg=alg or "RS256", x5c=False,
                                                 header=header)))


def test_non_json_payload_is_rejected_SIG_6():
    with pytest.raises(BadRequest, match="SIG-6"):
        check(*signed(base_statement(), jws=sign(b"this is not json")))


def test_json_payload_that_is_not_an_object_is_rejected_SIG_6():
    with pytest.raises(BadRequest, match="SIG-6"):
        check(*signed(base_statement(), jws=sign(b"[1, 2]")))


def test_payload_of_another_statement_is_rejected_SIG_7():
    payload = base_statement(verb={"id": "http://adlnet.gov/expapi/verbs/failed"})
    with pytest.raises(BadRequest, match="SIG-7"):
        check(*signed(base_statement(), jws=sign(payload)))


def test_payload_missing_a_property_of_the_statement_is_rejected_SIG_7_CMP_13():
    statement = base_statement(result={"success": True})
    with pytest.raises(BadRequest, match="SIG-7"):
        check(*signed(statement, jws=sign(base_statement())))


def test_duration_differing_at_hundredths_is_rejected_CMP_14():
    statement = base_statement(result={"duration": "PT1.13S"})
    with pytest.raises(BadRequest, match="SIG-7"):
        check(*signed(statement, jws=sign(base_statement(result={"duration": "PT1.12S"}))))


def test_payload_changed_after_signing_with_x5c_is_rejected_SIG_8():
    statement = base_statement()
    head, _, signature = sign(base_statement(result={"success": False})).split(b".")
    tampered = head + b"." + b64url(json.dumps(statement).encode()) + b"." + signature
    with pytest.raises(BadRequest, match="SIG-8"):
        check(*signed(statement, jws=tampered))


def test_signature_bytes_flipped_with_x5c_is_rejected_SIG_8():
    statement = base_statement()
    with pytest.raises(BadRequest, match="SIG-8"):
        check(*signed(statement, jws=flip_signature(sign(statement))))


def test_signature_by_another_key_than_the_x5c_certificate_is_rejected_SIG_8():
    statement = base_statement()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    head_with_cert = {"alg": "RS256", "x5c": [certificate()]}
    signing_input = b64url(json.dumps(head_with_cert).encode()) + b"." + b64url(json.dumps(statement).encode())
    jws = signing_input + b"." + b64url(other.sign(signing_input, padding.PKCS1v15(), hashes.SHA256()))
    with pytest.raises(BadRequest, match="SIG-8"):
        check(*signed(statement, jws=jws))


def test_x5c_that_is_not_a_certificate_is_rejected_SIG_8():
    statement = base_statement()
    with pytest.raises(BadRequest, match="SIG-8"):
        check(*signed(statement, jws=sign(statement, x5c=False, header={"x5c": ["bm90IGEgY2VydA=="]})))


def test_critical_header_extension_is_rejected_SIG_4():
    statement = base_statement()
    with pytest.raises(BadRequest, match="critical"):
        check(*signed(statement, jws=sign(statement, header={"crit": ["b64"], "b64": False})))


def test_rejection_names_the_statement_and_attachment_SIG_10():
    statement, data = signed(base_statement(), content_type="text/plain")
    with pytest.raises(BadRequest) as error:
        check_signature(statement, data, "1.0.3", 3)
    assert error.value.message.startswith("statements[3]: signature attachment %s:"
                                          % statement["attachments"][0]["sha2"])
