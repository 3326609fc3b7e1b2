"""The multipart/mixed codec moved to lrs/xapi/multipart.py (it has no Flask in it and the forwarder
builds requests with it); this name stays for code written against the old place."""
from ..xapi.multipart import (  # noqa: F401
    build_multipart,
    content_type_parameters,
    media_type,
    parse_statement_multipart,
)
