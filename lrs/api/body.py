"""Request bodies read within LRS_MAX_BODY_BYTES, however they are framed (HTTP-9, DOC-9, MP-21).

A body with Content-Length is refused with 413 before it is read (Flask's MAX_CONTENT_LENGTH). A
chunked body (Transfer-Encoding: chunked, no Content-Length) announces no length: Werkzeug reads it
up to the limit and silently stops there, so a body past the limit arrived truncated (a statement
batch became a JSON syntax error, a document was stored cut short). Here the byte after the limit
is looked for, and its presence is 413. A server that does not de-chunk the body (no
`wsgi.input_terminated`) would hand over an empty stream: 411 says to send Content-Length.
"""
from flask import Request
from werkzeug.exceptions import LengthRequired, RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream


def too_large(limit):
    return RequestEntityTooLarge("the request body is larger than the %d bytes this LRS accepts (HTTP-9)" % limit)


class _BoundedStream(LimitedStream):
    """A body of unannounced length, readable up to `limit` bytes; one byte more is 413."""

    def __init__(self, stream, limit):
        super().__init__(stream, limit, is_max=True)
        self._source = stream
        self._checked = False

    def on_exhausted(self):
        if not self._checked:
            self._checked = True
            if self._source.read(1):              # the body goes on past the limit
                raise too_large(self.limit)

    def readall(self):
        data = super().readall()
        if self.is_exhausted:
            self.on_exhausted()
        return data


class BoundedRequest(Request):
    """The LRS's request class: its `stream` (and so get_data) never yields a truncated body."""

    @cached_property
    def stream(self):
        if self.content_length is None and not self.shallow:
            chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
            if "wsgi.input_terminated" in self.environ:
                if self.max_content_length is not None:
                    return _BoundedStream(self.environ["wsgi.input"], self.max_content_length)
            elif chunked:
                raise LengthRequired("this server cannot read a chunked request body; send Content-Length")
        return super().stream
