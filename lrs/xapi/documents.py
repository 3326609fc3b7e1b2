"""The three document resources (State, Activity Profile, Agent Profile) as a service.

Knows the xAPI rules for documents, nothing of HTTP except through lrs.errors:

- a document is opaque bytes kept with the Content-Type it arrived with (DOC-1), or
  `application/octet-stream` when it had none (DOC-2), up to settings.max_document_bytes (DOC-9);
- its ETag is the quoted lowercase hex SHA-1 of the stored bytes, the same under both versions
  (CONC-2, CONC-3, CONC-5); it is computed here and kept beside the document;
- preconditions (If-Match / If-None-Match) and the write happen in one atomic step of the store
  (CONC-18): the rules run inside the store's `decide`/`check` callback, and a rule that fails
  raises, so that a rejected request changes nothing (DOC-8);
- which PUTs need a precondition header depends on the resource and the version (CONC-10..CONC-14),
  read from the version table (schemas.versions.RULES) and settings.state_put_conflict, never by comparing versions here;
- POST merges JSON objects one level deep (MERGE-1..MERGE-8);
- Last-Modified advances on every change, even within one millisecond (DOC-4, STRICT-25).
"""
import hashlib
import re
from dataclasses import dataclass
from typing import Optional

from schemas.versions import RULES

from ..errors import BadRequest, Conflict, NotFound, PayloadTooLarge, PreconditionFailed
from ..store import Document, DocumentKey, DocumentScope
from ..timeutil import now_ms
from .jsonbody import dumps, parse_json

STATE, ACTIVITY_PROFILE, AGENT_PROFILE = "state", "activity_profile", "agent_profile"
PROFILE_KINDS = (ACTIVITY_PROFILE, AGENT_PROFILE)
DEFAULT_CONTENT_TYPE = "application/octet-stream"          # DOC-2
JSON_TYPE = "application/json"

_ENTITY_TAG = re.compile(r'\s*(W/"[^"]*"|"[^"]*"|\*|[^,\s"]+)\s*(?:,|$)')


def etag_of(content):
    """The strong, quoted ETag of stored bytes: lowercase hex SHA-1 (CONC-2, CONC-3, CONC-5)."""
    return '"%s"' % hashlib.sha1(content).hexdigest()


def media_type(content_type):
    """`type/subtype` in lower case, parameters dropped (MERGE-8)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json(content_type):
    return media_type(content_type) == JSON_TYPE


def parse_entity_tags(header):
    """The entity tags of an If-Match / If-None-Match header: ["*"] or ['"abc"', 'W/"x"', ...].

    An unquoted tag (some clients send the bare hash) is read as the quoted tag it names.
    """
    if header is None:
        return None
    tags = []
    position = 0
    text = header.strip()
    while position < len(text):
        match = _ENTITY_TAG.match(text, position)
        if not match or match.end() == position:
            raise BadRequest("cannot read the entity tags in %r (expected \"tag\", \"tag2\" or *)" % header)
        tag = match.group(1)
        if tag != "*" and not tag.startswith(('"', 'W/"')):
            tag = '"%s"' % tag
        tags.append(tag)
        position = match.end()
    if not tags:
        raise BadRequest("an empty If-Match or If-None-Match header is not a precondition")
    return tags


@dataclass
class Preconditions:
    """The precondition headers of a request, parsed (None = header absent)."""

    if_match: Optional[list] = None
    if_none_match: Optional[list] = None

    @classmethod
    def from_headers(cls, if_match, if_none_match):
        return cls(parse_entity_tags(if_match), parse_entity_tags(if_none_match))

    @property
    def present(self):
        return self.if_match is not None or self.if_none_match is not None

    def check(self, current):
        """412 unless the current document (or None) satisfies the headers (CONC-6..CONC-9, CONC-16).

        ETags are compared strongly: a weak tag never matches (RFC 7232 §2.3.2).
        """
        if self.if_match is not None:
            if current is None:
                raise PreconditionFailed("If-Match was given but there is no such document (CONC-16)")
            if "*" not in self.if_match and current.etag not in self.if_match:
                raise PreconditionFailed("If-Match %s does not match the document's ETag %s; GET the "
                                         "document and retry with its current ETag (CONC-6, CONC-8)"
                                         % (", ".join(self.if_match), current.etag))
        if self.if_none_match is not None and current is not None:
            if "*" in self.if_none_match or current.etag in self.if_none_match:
                raise PreconditionFailed("If-None-Match %s: the document already exists with ETag %s "
                                         "(CONC-7, CONC-9)" % (", ".join(self.if_none_match), current.etag))


@dataclass
class DocumentList:
    ids: list
    last_modified_ms: Optional[int]          # newest among the listed documents (DOC-5)


class DocumentService:
    """Reads and writes documents of one store on behalf of the HTTP layer."""

    def __init__(self, storage, settings):
        self.storage = storage
        self.settings = settings

    # --- reads ---------------------------------------------------------------------------

    def get(self, store_id, key: DocumentKey) -> Document:
        document = self.storage.get_document(store_id, key)
        if document is None:
            raise NotFound("no %s document with id %r here (STATE-9, GPROF-5, APROF-4)"
                           % (_label(key.kind), key.doc_id))
        return document

    def list_ids(self, store_id, scope: DocumentScope, since_ms=None) -> DocumentList:
        """Ids of the documents in the scope changed strictly after since_ms (STATE-10, STATE-11)."""
        rows = self.storage.list_documents(store_id, scope, since_ms)
        return DocumentList(ids=[doc_id for doc_id, _ in rows],
                            last_modified_ms=max((ms for _, ms in rows), default=None))

    # --- writes --------------------------------------------------------------------------

    def put(self, store_id, key, content, content_type, preconditions, version):
        """Store or replace the document (STATE-7, GPROF-5, APROF-4)."""
        self._check_size(content)
        content_type = content_type or DEFAULT_CONTENT_TYPE
        rules = RULES[version]

        def decide(current):
            preconditions.check(current)
            if not preconditions.present:
                self._check_put_without_preconditions(key, current, rules)
            return self._document(content, content_type, current)

        return self.storage.write_document(store_id, key, decide)

    def post(self, store_id, key, content, content_type, preconditions, version):
        """Store a new document as is (MERGE-6) or merge JSON into an existing one (MERGE-1).

        Never answers 409 (CONC-15). A body labelled application/json must be a JSON object even
        when no document exists yet (MERGE-5): a client posting JSON asks for merge semantics,
        and a later merge into a non-object could only fail.
        """
        self._check_size(content)
        content_type = content_type or DEFAULT_CONTENT_TYPE
        posted = _json_object(content, "the posted document") if is_json(content_type) else None

        def decide(current):
            preconditions.check(current)
            if current is None:
                return self._document(content, content_type, None)          # MERGE-6
            if posted is None:
                raise BadRequest("only application/json can be merged into an existing document; "
                                 "this POST is %s (MERGE-3)" % (content_type or "without Content-Type"))
            if not is_json(current.content_type):
                raise BadRequest("the stored document is %s, not application/json, so JSON cannot be "
                                 "merged into it; replace it with PUT instead (MERGE-4)" % current.content_type)
            stored = _json_object(current.content, "the stored document")
            merged = dumps({**stored, **posted})                             # MERGE-1: one level deep
            self._check_size(merged)
            return self._document(merged, JSON_TYPE, current)                # MERGE-7

        return self.storage.write_document(store_id, key, decide)

    def delete(self, store_id, key, preconditions):
        """Delete one document; absent is fine unless If-Match asks for it (DOC-7, CONC-8, CONC-16)."""
        self.storage.delete_document(store_id, key, preconditions.check)

    def delete_all(self, store_id, scope: DocumentScope):
        """Delete every document in the scope (STATE-13)."""
        return self.storage.delete_documents(store_id, scope)

    # --- rules ---------------------------------------------------------------------------

    def _check_put_without_preconditions(self, key, current, rules):
        """CONC-10..CONC-14: which PUTs without If-Match/If-None-Match are refused."""
        if key.kind in PROFILE_KINDS:
            if current is not None:
                raise Conflict(_conflict_message(key))                       # CONC-10
            if rules.profile_put_new_requires_precondition:
                raise BadRequest("a PUT of a %s must carry If-None-Match: * to create the document or "
                                 "If-Match with the current ETag to replace it (CONC-11)" % _label(key.kind))
        elif current is not None and rules.state_put_existing_conflicts and self.settings.state_put_conflict:
            raise Conflict(_conflict_message(key))                           # CONC-14

    def _check_size(self, content):
        limit = self.settings.max_document_bytes
        if len(content) > limit:
            raise PayloadTooLarge("the document is %d bytes; this LRS accepts at most %d (DOC-9)"
                                  % (len(content), limit))

    @staticmethod
    def _document(content, content_type, current):
        """The new Document; updated_ms advances past the current one's (DOC-4, STATE-11)."""
        updated = now_ms()
        if current is not None and updated <= current.updated_ms:
            updated = current.updated_ms + 1
        content = bytes(content)
        return Document(content=content, content_type=content_type, etag=etag_of(content), updated_ms=updated)


def _json_object(content, what):
    value = parse_json(content, what)
    if not isinstance(value, dict):
        raise BadRequest("%s must be a JSON object to be merged, not %s (MERGE-5)" % (what, type(value).__name__))
    return value


def _conflict_message(key):
    return ("the %s %r already exists; GET it, then retry the PUT with If-Match set to its ETag "
            "(or use POST to merge JSON) (CONC-10)" % (_label(key.kind), key.doc_id))


def _label(kind):
    return {STATE: "state", ACTIVITY_PROFILE: "activity profile", AGENT_PROFILE: "agent profile"}[kind]
