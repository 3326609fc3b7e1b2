"""multipart/mixed statement requests and responses (MP-1..MP-21, MPR-1..MPR-8).

Parsing works on the bytes once: parts are sliced out of the body without copying it again.
"""
import hashlib
import secrets

from ..errors import BadRequest, PayloadTooLarge

_HASHES_BY_LENGTH = {56: hashlib.sha224, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}


def media_type(content_type):
    """'type/subtype' in lower case, parameters dropped."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def content_type_parameters(content_type):
    params = {}
    for piece in (content_type or "").split(";")[1:]:
        name, sep, value = piece.strip().partition("=")
        if sep:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            params[name.strip().lower()] = value
    return params


def _parse_headers(block):
    headers = {}
    for line in block.split(b"\r\n"):
        if not line.strip():
            continue
        name, sep, value = line.partition(b":")
        if not sep:
            raise BadRequest("multipart part header line %r has no colon (MP-4)" % line[:80].decode("latin-1"))
        headers[name.strip().decode("latin-1").lower()] = value.strip().decode("latin-1")
    return headers


def parse_statement_multipart(body, content_type, max_attachment_bytes):
    """(statements JSON bytes, {sha2: (content_type, data)}) of a multipart/mixed request."""
    boundary = content_type_parameters(content_type).get("boundary")
    if not boundary:
        raise BadRequest("multipart/mixed needs a boundary parameter in Content-Type (MP-1)")
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    data = b"\r\n" + body            # a body may start with the delimiter itself (MP-4)
    start = data.find(delimiter)
    if start < 0:
        raise BadRequest("the body does not contain the multipart boundary %r (MP-2)" % boundary)
    parts = []
    position = start + len(delimiter)
    while True:
        if data.startswith(b"--", position):
            break                                        # closing delimiter; epilogue ignored
        line_end = data.find(b"\r\n", position)
        if line_end < 0:
            raise BadRequest("the multipart body ends without a closing boundary (MP-2)")
        headers_end = data.find(b"\r\n\r\n", line_end)
        if headers_end < 0:
            raise BadRequest("a multipart part has no blank line after its headers (MP-2)")
        next_delimiter = data.find(delimiter, headers_end + 4)
        if next_delimiter < 0:
            raise BadRequest("the multipart body ends without a closing boundary (MP-2)")
        headers = _parse_headers(data[line_end + 2:headers_end])
        parts.append((headers, data[headers_end + 4:next_delimiter]))
        position = next_delimiter + len(delimiter)
    if not parts:
        raise BadRequest("the multipart body has no parts (MP-2)")
    first_headers, statements = parts[0]
    if media_type(first_headers.get("content-type")) != "application/json":
        raise BadRequest("the first multipart part must be application/json statements (MP-5)")
    attachments = {}
    for index, (headers, payload) in enumerate(parts[1:], start=2):
        attachments.update(_attachment_part(index, headers, payload, max_attachment_bytes))
    return statements, attachments


def _attachment_part(index, headers, payload, max_attachment_bytes):
    sha2 = headers.get("x-experience-api-hash")
    if not sha2:
        raise BadRequest("multipart part %d has no X-Experience-API-Hash header (MP-6, MP-7)" % index)
    encoding = headers.get("content-transfer-encoding")
    if encoding is not None and encoding.lower() != "binary":
        raise BadRequest("multipart part %d uses Content-Transfer-Encoding %s; only binary is allowed (MP-11)"
                         % (index, encoding))
    if len(payload) > max_attachment_bytes:
        raise PayloadTooLarge("attachment %s is larger than %d bytes (MP-21)" % (sha2, max_attachment_bytes))
    algorithm = _HASHES_BY_LENGTH.get(len(sha2))
    if algorithm is None or algorithm(payload).hexdigest() != sha2.lower():
        raise BadRequest("the data of attachment %s does not match its X-Experience-API-Hash (MP-10)" % sha2)
    return {sha2: (headers.get("content-type", "application/octet-stream"), bytes(payload))}


def build_multipart(json_body, attachments):
    """(body, content type) of a multipart/mixed response: JSON first, each attachment once (MPR-1..5)."""
    boundary = secrets.token_hex(16)
    delimiter = b"--" + boundary.encode()
    chunks = [delimiter, b"\r\nContent-Type: application/json\r\n\r\n", json_body]
    for sha2, (content_type, data) in attachments.items():
        chunks += [b"\r\n", delimiter, b"\r\nContent-Type: ", content_type.encode("latin-1"),
                   b"\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: ", sha2.encode(),
                   b"\r\n\r\n", data]
    chunks += [b"\r\n", delimiter, b"--\r\n"]
    return b"".join(chunks), "multipart/mixed; boundary=" + boundary
