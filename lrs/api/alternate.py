"""The 1.0.3 alternate request syntax (ALT-1..ALT-10), as WSGI middleware.

`POST /xapi/...?method=PUT` with a form-encoded body is turned into the request it stands for
before Flask routes it: form fields named like headers become headers (taking precedence,
ALT-5), `content` becomes the body (ALT-7), every other field a query parameter (ALT-8).
Whether the negotiated version allows the syntax at all (ALT-11) is decided later, by the
blueprint, which reads `lrs.alternate` from the environ; problems found here are left in
`lrs.alternate_error` so that they are answered after authentication like any other 400.
"""
import io
from urllib.parse import parse_qsl, urlencode

HEADER_FIELDS = {
    "authorization": "HTTP_AUTHORIZATION",
    "x-experience-api-version": "HTTP_X_EXPERIENCE_API_VERSION",
    "content-type": "CONTENT_TYPE",
    "content-length": "CONTENT_LENGTH",
    "if-match": "HTTP_IF_MATCH",
    "if-none-match": "HTTP_IF_NONE_MATCH",
}
METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")


class AlternateSyntaxMiddleware:
    def __init__(self, app, max_body_bytes=20 * 1024 * 1024):
        self.app = app
        self.max_body_bytes = max_body_bytes

    def __call__(self, environ, start_response):
        query = environ.get("QUERY_STRING", "")
        if "method=" in query and environ.get("PATH_INFO", "").startswith("/xapi/"):
            self._rewrite(environ, parse_qsl(query, keep_blank_values=True))
        return self.app(environ, start_response)

    def _rewrite(self, environ, query_pairs):
        names = [name for name, _ in query_pairs]
        if "method" not in names:
            return
        environ["lrs.alternate"] = True
        if environ.get("REQUEST_METHOD") != "POST":
            environ["lrs.alternate_error"] = "the method parameter is allowed only on POST requests (ALT-2)"
            return
        if len(names) > 1:
            environ["lrs.alternate_error"] = ("an alternate-syntax request carries only method in its query "
                                              "string; send %s as form fields (ALT-3)"
                                              % ", ".join(n for n in names if n != "method"))
            return
        method = dict(query_pairs)["method"].upper()
        if method not in METHODS:
            environ["lrs.alternate_error"] = "method must be one of %s (ALT-1)" % ", ".join(METHODS)
            return
        content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            environ["lrs.alternate_error"] = ("an alternate-syntax request must have an "
                                              "application/x-www-form-urlencoded body (ALT-4)")
            return
        raw = self._read_form(environ)
        if raw is None:
            environ["lrs.alternate_too_large"] = self.max_body_bytes          # answered 413 (HTTP-9)
            return
        try:
            fields = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw))
        except (UnicodeDecodeError, ValueError):
            environ["lrs.alternate_error"] = "the alternate-syntax body is not form-encoded (ALT-4)"
            return
        self._apply(environ, method, fields)

    def _read_form(self, environ):
        """The form body, or None when it is larger than max_body_bytes; a chunked body (no
        Content-Length, de-chunked by the server) is read up to one byte past the limit."""
        stream, limit = environ["wsgi.input"], self.max_body_bytes
        if environ.get("CONTENT_LENGTH"):
            length = int(environ["CONTENT_LENGTH"])
            return None if length > limit else stream.read(length)
        if not environ.get("wsgi.input_terminated"):
            return b""
        chunks, size = [], 0
        while size <= limit:
            chunk = stream.read(limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return None if size > limit else b"".join(chunks)

    @staticmethod
    def _apply(environ, method, fields):
        params, content, content_type = [], None, None
        for name, value in fields:
            lowered = name.lower()
            if lowered == "content":
                content = value.encode("utf-8")
            elif lowered == "content-type":
                content_type = value
            elif lowered in HEADER_FIELDS:
                environ[HEADER_FIELDS[lowered]] = value               # ALT-5
            elif lowered == "content-transfer-encoding":
                environ["lrs.alternate_error"] = "Content-Transfer-Encoding cannot be sent as a form field (ALT-10)"
                return
            else:
                params.append((name, value))                          # ALT-8
        if method in ("PUT", "POST") and content is None:
            environ["lrs.alternate_error"] = "an alternate-syntax %s needs a content field (ALT-7)" % method
            return
        body = content or b""
        environ["REQUEST_METHOD"] = method
        environ["QUERY_STRING"] = urlencode(params)
        environ["CONTENT_TYPE"] = content_type or ("application/json" if content is not None else "")
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input"] = io.BytesIO(body)
