"""Signed statements (SIG-1..SIG-11): checking the JWS signature Attachment of a statement.

A statement is signed when one of its Attachments has the signature usageType (SIG-1). Its data
must be a JWS in compact serialization, signed with RS256/RS384/RS512, whose payload is a
statement equivalent to the received one under the signature comparison rules (CMP-11/CMP-12).
When the JWS header carries `x5c`, the signature is verified with the public key of the first
certificate (SIG-8); the chain is not validated (optional). Without `x5c` there is no key, so
no cryptographic check is possible (SIG-9).

The RSA PKCS#1 v1.5 verification and the X.509 parsing are done by the `cryptography` package;
this module only splits the compact serialization and decodes its base64url segments.
"""
import base64
import binascii
import re

import schemas
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from schemas.versions import RULES

from ..errors import BadRequest
from .compare import equivalent
from .jsonbody import loads

SIGNATURE_USAGE_TYPE = "http://adlnet.gov/expapi/attachments/signature"
SIGNATURE_CONTENT_TYPE = "application/octet-stream"
ALGORITHMS = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}
_BASE64URL = re.compile(rb"[A-Za-z0-9_-]*")


class _Rejected(Exception):
    """One reason a signature is refused; turned into a BadRequest naming the attachment."""


def check_signature(statement, attachment_data, version, position):
    """Raise BadRequest unless every signature Attachment of `statement` is acceptable.

    `attachment_data` maps sha2 -> (content type, bytes) of the request's multipart parts;
    `position` is the statement's index in the batch, used in the message (SIG-10).
    """
    for attachment in statement.get("attachments", ()):
        if attachment.get("usageType") != SIGNATURE_USAGE_TYPE:
            continue
        try:
            _check_one(statement, attachment, attachment_data, version)
        except _Rejected as reason:
            raise BadRequest("statements[%d]: signature attachment %s: %s"
                             % (position, attachment.get("sha2"), reason)) from None


def _check_one(statement, attachment, attachment_data, version):
    content_type = str(attachment.get("contentType", "")).split(";", 1)[0].strip().lower()
    if content_type != SIGNATURE_CONTENT_TYPE:
        raise _Rejected("contentType must be %s, not %r (SIG-2)"
                        % (SIGNATURE_CONTENT_TYPE, attachment.get("contentType")))
    entry = attachment_data.get(attachment["sha2"]) or attachment_data.get(attachment["sha2"].lower())
    if entry is None:
        raise _Rejected("the signature must be sent as a multipart part, not only by fileUrl (SIG-3)")
    header, payload, signing_input, signature = _split_compact_jws(entry[1])
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise _Rejected("the JWS alg must be RS256, RS384 or RS512, not %r (SIG-5)" % (algorithm,))
    if "crit" in header:
        raise _Rejected("the JWS header lists critical extensions %r, which this LRS does not "
                        "understand (RFC 7515 section 4.1.11)" % (header["crit"],))
    signed = _payload_statement(payload, version)
    if "x5c" in header:
        _verify(header["x5c"], ALGORITHMS[algorithm], signing_input, signature)
    # both sides are validated statements: an error in the comparison is a defect of the LRS,
    # never a reason to call the signature wrong (issue 17: it once hid a crash as a 400)
    if not equivalent(signed, statement, ignore_attachments=True,
                      ignore_timestamp=RULES[version].equivalence_ignores_timestamp):
        raise _Rejected("the JWS payload is not the same statement as the one received (SIG-7, "
                        "CMP-11, CMP-12)")


def _split_compact_jws(data):
    """(header object, payload bytes, signing input bytes, signature bytes) of a compact JWS (SIG-4)."""
    data = data.strip(b" \t\r\n")
    segments = data.split(b".")
    if len(segments) != 3 or not segments[0] or not segments[2]:
        raise _Rejected("the signature data is not a JWS in compact serialization: three base64url "
                        "segments joined by dots (SIG-4)")
    header_bytes, payload, signature = (_base64url(segment, name) for segment, name
                                        in zip(segments, ("header", "payload", "signature")))
    try:
        header = loads(header_bytes)
    except ValueError:                  # InvalidJSON; UnicodeDecodeError is a ValueError too
        header = None
    if not isinstance(header, dict):
        raise _Rejected("the JWS header is not a JSON object (SIG-4)")
    return header, payload, segments[0] + b"." + segments[1], signature


def _base64url(segment, name):
    if not _BASE64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise _Rejected("the JWS %s is not base64url without padding (SIG-4)" % name)
    try:
        return base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise _Rejected("the JWS %s is not base64url without padding (SIG-4)" % name) from None


def _payload_statement(payload, version):
    """The statement signed: a JSON object, normalised by the same schema as received ones (SIG-6)."""
    try:
        signed = loads(payload, "the JWS payload")
    except ValueError as error:
        raise _Rejected("%s (SIG-6)" % error) from None
    if not isinstance(signed, dict):
        raise _Rejected("the JWS payload is not a JSON object (SIG-6)")
    signed.pop("attachments", None)               # not compared (CMP-11, CMP-12)
    try:
        return schemas.validate_statement(signed, version)
    except schemas.XAPIValidationError as error:
        raise _Rejected("the JWS payload is not a valid statement, so not the statement received: %s "
                        "(SIG-7)" % error.message) from None


def _verify(x5c, hash_class, signing_input, signature):
    """Verify the RSA PKCS#1 v1.5 signature with the first certificate of x5c (SIG-8)."""
    if not isinstance(x5c, list) or not x5c or not isinstance(x5c[0], str):
        raise _Rejected("the JWS header x5c must be a non-empty array of base64 certificates (SIG-8)")
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(x5c[0], validate=True))
        public_key = certificate.public_key()
    except (binascii.Error, ValueError):
        raise _Rejected("the first x5c certificate is not a base64 DER X.509 certificate (SIG-8)") from None
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise _Rejected("the first x5c certificate does not hold an RSA public key (SIG-5, SIG-8)")
    try:
        public_key.verify(signature, signing_input, padding.PKCS1v15(), hash_class())
    except InvalidSignature:
        raise _Rejected("the JWS signature does not verify with the public key of the first x5c "
                        "certificate (SIG-8)") from None
