"""multipart/mixed statement requests and responses (MP-1..MP-21, MPR-1..MPR-8).

Parsing works on the request bytes as they are: delimiters are found with bytes.find from an
offset, and each part is sliced out once (the only copy of the body that parsing makes).
"""
import hashlib
import secrets

from ..errors import BadRequest, PayloadTooLarge

_HASHES_BY_LENGTH = {56: hashlib.sha224, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}
_HEX_DIGITS = frozenset("0123456789abcdef")
# RFC 2046 section 5.1.1 bchars: digits, letters, '()+_,-./:=? and space (never last); 1..70 long.
_BOUNDARY_CHARACTERS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ")
_LINEAR_WHITESPACE = b" \t"
_MAX_PADDING = 256          # transport padding allowed after a delimiter before its CRLF


def media_type(content_type):
    """'type/subtype' in lower case, parameters dropped."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def content_type_parameters(content_type):
    """Parameters of a Content-Type value, names in lower case; quoted values unquoted (RFC 2045).

    A quoted value may hold ';' and '=' (and backslash escapes), so the value is scanned rather
    than split on ';'.
    """
    params = {}
    text = content_type or ""
    position = text.find(";")
    while 0 <= position < len(text):
        position += 1
        equals = text.find("=", position)
        if equals < 0:
            break
        name = text[position:equals].strip().lower()
        position = equals + 1
        while position < len(text) and text[position] in " \t":
            position += 1
        if position < len(text) and text[position] == '"':
            value, position = _quoted_string(text, position + 1)
            position = text.find(";", position)
        else:
            end = text.find(";", position)
            value = text[position:end if end >= 0 else len(text)].strip()
            position = end
        if name:
            params[name] = value
    return params


def _quoted_string(text, position):
    chars = []
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text):
            chars.append(text[position + 1])
            position += 2
            continue
        if char == '"':
            return "".join(chars), position + 1
        chars.append(char)
        position += 1
    raise BadRequest("the Content-Type has an unterminated quoted parameter value (MP-3)")


def _boundary(content_type):
    boundary = content_type_parameters(content_type).get("boundary")
    if not boundary:
        raise BadRequest("multipart/mixed needs a boundary parameter in Content-Type (MP-1)")
    if len(boundary) > 70 or boundary.endswith(" ") or not set(boundary) <= _BOUNDARY_CHARACTERS:
        raise BadRequest("the multipart boundary %r is not a valid RFC 2046 boundary: 1 to 70 of "
                         "letters, digits and '()+_,-./:=? or space, not ending in a space (MP-3)"
                         % boundary[:80])
    return boundary.encode("ascii")


def _parse_headers(block, index):
    """Header fields of one part: names in lower case, with or without a space after ':' (MP-4)."""
    headers = {}
    name = None
    for line in block.split(b"\r\n"):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and name is not None:       # folded continuation line
            headers[name] += " " + line.strip().decode("latin-1")
            continue
        raw_name, sep, value = line.partition(b":")
        if not sep or not raw_name.strip():
            raise BadRequest("multipart part %d has a header line without a name and colon: %r (MP-2)"
                             % (index, line[:80].decode("latin-1")))
        name = raw_name.strip().decode("latin-1").lower()
        headers[name] = value.strip().decode("latin-1")
    return headers


def _split_parts(body, boundary):
    """[(headers, payload bytes)] of every body part, in order (RFC 2046 section 5.1.1)."""
    dash_boundary = b"--" + boundary
    delimiter = b"\r\n" + dash_boundary
    # The first delimiter may open the body (no CRLF before it, MP-4), or follow a preamble.
    if body.startswith(dash_boundary) and _ends_delimiter_line(body, len(dash_boundary)):
        position = len(dash_boundary)
    else:
        found = _find_delimiter(body, delimiter, 0)
        if found < 0:
            raise BadRequest("the body does not contain the multipart boundary %r as a delimiter line "
                             "(MP-2)" % boundary.decode("ascii"))
        position = found + len(delimiter)
    parts = []
    while True:
        if body.startswith(b"--", position):
            break                                            # closing delimiter; epilogue ignored
        line_end = body.find(b"\r\n", position)            # after optional transport padding
        part_start = line_end + 2
        next_delimiter = _find_delimiter(body, delimiter, line_end)
        if next_delimiter < 0:
            raise BadRequest("multipart part %d is truncated: the body ends without a closing "
                             "boundary (MP-2)" % (len(parts) + 1))
        index = len(parts) + 1
        if body.startswith(b"\r\n", part_start) and part_start <= next_delimiter:
            headers_end, payload_start = part_start, part_start + 2      # a part without headers
        else:
            headers_end = body.find(b"\r\n\r\n", part_start, next_delimiter + 2)
            if headers_end < 0:
                raise BadRequest("multipart part %d has no blank line after its headers (MP-2)" % index)
            payload_start = headers_end + 4
        headers = _parse_headers(body[part_start:headers_end], index)
        payload = body[payload_start:next_delimiter] if payload_start <= next_delimiter else b""
        parts.append((headers, payload))
        position = next_delimiter + len(delimiter)
    return parts


def _find_delimiter(body, delimiter, start):
    """Offset of the next delimiter line: CRLF--boundary followed by '--', spaces or CRLF."""
    while True:
        found = body.find(delimiter, start)
        if found < 0:
            return -1
        if _ends_delimiter_line(body, found + len(delimiter)):
            return found
        start = found + 1          # the boundary text continues on the line: data, not a delimiter


def _ends_delimiter_line(body, after):
    """True when a boundary ending at `after` is a delimiter: '--' or padding and CRLF follow."""
    if body.startswith(b"--", after):
        return True
    line_end = body.find(b"\r\n", after, after + _MAX_PADDING + 2)
    return line_end >= 0 and not body[after:line_end].strip(_LINEAR_WHITESPACE)


def parse_statement_multipart(body, content_type, max_attachment_bytes):
    """(statements JSON bytes, {sha2: (content_type or None, data)}) of a multipart/mixed request.

    The sha2 keys are the lower-case hex digests recomputed from the data (MP-10). The content
    type is the part's Content-Type header, or None when the part has none (the Attachment
    object's contentType then applies, MP-12).
    """
    if media_type(content_type) != "multipart/mixed":
        raise BadRequest("statements with attachments must be sent as multipart/mixed, not %r (MP-18)"
                         % media_type(content_type))
    parts = _split_parts(body, _boundary(content_type))
    if not parts:
        raise BadRequest("the multipart body has no parts (MP-2)")
    first_headers, statements = parts[0]
    if media_type(first_headers.get("content-type")) != "application/json":
        raise BadRequest("the first multipart part must be the application/json statements, not %r (MP-5)"
                         % (first_headers.get("content-type") or "no Content-Type"))
    attachments = {}
    for index, (headers, payload) in enumerate(parts[1:], start=2):
        sha2, entry = _attachment_part(index, headers, payload, max_attachment_bytes)
        attachments[sha2] = entry
    return statements, attachments


def _attachment_part(index, headers, payload, max_attachment_bytes):
    sha2 = headers.get("x-experience-api-hash")
    if not sha2:
        if media_type(headers.get("content-type")) == "application/json":
            raise BadRequest("multipart part %d is application/json without X-Experience-API-Hash: all "
                             "statements must be in the first part (MP-6, MP-7)" % index)
        raise BadRequest("multipart part %d has no X-Experience-API-Hash header (MP-7)" % index)
    encoding = headers.get("content-transfer-encoding")
    if encoding is not None and encoding.lower() != "binary":
        raise BadRequest("multipart part %d uses Content-Transfer-Encoding %s; only binary is allowed (MP-11)"
                         % (index, encoding))
    if len(payload) > max_attachment_bytes:
        raise PayloadTooLarge("attachment %s is larger than %d bytes (MP-21)" % (sha2, max_attachment_bytes))
    sha2 = sha2.lower()
    algorithm = _HASHES_BY_LENGTH.get(len(sha2))
    if algorithm is None or not set(sha2) <= _HEX_DIGITS:
        raise BadRequest("multipart part %d has X-Experience-API-Hash %r, which is not a SHA-224/256/384/512 "
                         "hex digest (MP-10)" % (index, sha2[:140]))
    if algorithm(payload).hexdigest() != sha2:
        raise BadRequest("the data of multipart part %d does not match its X-Experience-API-Hash %s (MP-10)"
                         % (index, sha2))
    return sha2, (headers.get("content-type") or None, payload)


def build_multipart(json_body, attachments):
    """(body, content type) of a multipart/mixed response: JSON first, each attachment once (MPR-1..5).

    The boundary is random hex, so the Content-Type is exactly `multipart/mixed; boundary=<hex>`
    (MPR-1, STRICT-18); it is drawn again in the (astronomically unlikely) case that it occurs in
    the content.
    """
    while True:
        boundary = secrets.token_hex(16).encode()
        if boundary not in json_body and not any(boundary in data for _, data in attachments.values()):
            break
    delimiter = b"--" + boundary
    chunks = [delimiter, b"\r\nContent-Type: application/json\r\n\r\n", json_body]
    for sha2, (content_type, data) in attachments.items():
        chunks += [b"\r\n", delimiter, b"\r\nContent-Type: ",
                   (content_type or "application/octet-stream").encode("latin-1"),
                   b"\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: ", sha2.encode(),
                   b"\r\n\r\n", data]
    chunks += [b"\r\n", delimiter, b"--\r\n"]
    return b"".join(chunks), "multipart/mixed; boundary=" + boundary.decode()
