"""Storing and reading statements: the xAPI rules between the HTTP layer and the store."""
import json
import uuid
from dataclasses import dataclass, field
from typing import Optional

import schemas
from schemas.versions import RULES

from ..errors import BadRequest, Conflict, NotFound, StorageUnavailable
from ..store import DuplicateStatements, InsertBatch, StatementQuery, StatementRecord
from ..timeutil import now_ms
from . import formats
from .activities import merge_definition
from .agents import agent_key
from .compare import equivalent
from .keys import index_keys
from .report_facts import report_facts

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"


@dataclass
class ReadResult:
    """What a statement GET answers with, before HTTP: JSON bytes and attachment data."""

    body: bytes
    last_modified_ms: int
    attachments: dict = field(default_factory=dict)      # sha2 -> (content_type, bytes)
    consistent_through_ms: Optional[int] = None          # read before the statements (QRY-39)


def authority_for(principal, public_url):
    """The authority Agent of a credential: deterministic per credential (AUTH-3..AUTH-5)."""
    agent = {"objectType": "Agent",
             "account": {"homePage": public_url.rstrip("/") + "/credentials", "name": principal.key}}
    if principal.name:
        agent["name"] = principal.name
    return agent


class StatementService:
    def __init__(self, storage, settings, signature_checker=None, metrics=None):
        self.storage = storage
        self.settings = settings
        self.signature_checker = signature_checker
        self.metrics = metrics          # counts stored statements and validation failures, or None

    # --- writing ---------------------------------------------------------------------

    def store(self, principal, statements, version, attachment_data=None, statement_id=None):
        """Validate and keep statements; return their ids in order (SPOST-1, SPUT-1).

        `statements` is the parsed body (a list for POST, one object for PUT with
        `statement_id`); `attachment_data` maps sha2 -> (content_type, bytes) from a
        multipart request.
        """
        principal.require("statements/write")
        attachment_data = attachment_data or {}
        validated = self._validate(statements, version, statement_id)
        self._check_attachments(validated, attachment_data, version)
        authority = authority_for(principal, self.settings.public_url)
        ids = [statement["id"] for statement in validated]
        self._reject_duplicate_ids(ids)
        records = [self._record(statement, authority, version) for statement in validated]
        for attempt in (1, 2):
            new = self._without_existing(principal.store_id, records, validated, version)
            if not new:
                return ids
            batch = self._batch(new, attachment_data, principal)
            try:
                self.storage.insert_statements(principal.store_id, batch)
                break
            except DuplicateStatements:        # another request stored one of them meanwhile
                if attempt == 2:
                    raise
        if self.metrics is not None:
            self.metrics.statements_stored(len(batch.statements))
        return ids

    def _batch(self, new, attachment_data, principal):
        """What one request writes: only the statements not stored yet, and only what they
        bring (definitions, names, attachment data), so a statement sent again changes nothing
        (CMP-2)."""
        statements = [statement for _, statement in new]
        batch = InsertBatch(statements=[record for record, _ in new])
        self._collect_definitions(batch, statements, principal)
        used_hashes = {a["sha2"] for s in statements for a in s.get("attachments", ())}
        batch.attachments = {h: d for h, d in attachment_data.items() if h in used_hashes}
        return batch

    def _validate(self, statements, version, statement_id):
        if statement_id is not None:
            if not isinstance(statements, dict):
                raise BadRequest("a PUT body must be one statement object (SPUT-3)")
            statements = [statements]
        elif isinstance(statements, dict):
            statements = [statements]
        elif not isinstance(statements, list):
            raise BadRequest("the body must be a statement object or an array of them (GEN-1)")
        validated = []
        for position, statement in enumerate(statements):
            try:
                result = schemas.validate_statement(statement, version)
            except schemas.XAPIValidationError as error:
                if self.metrics is not None:
                    self.metrics.validation_failure()
                message = error.message
                if len(statements) > 1:           # name the statement's place in the batch
                    message = "statements[%d]%s" % (position, message[len("statement"):]
                                                    if message.startswith("statement") else ": " + message)
                raise BadRequest(message) from None
            validated.append(result)
        if statement_id is not None:
            statement = validated[0]
            if "id" in statement and statement["id"].lower() != statement_id.lower():
                raise BadRequest("the statement id %s differs from statementId %s (SPUT-4)"
                                 % (statement["id"], statement_id))
            statement.setdefault("id", statement_id)
        for statement in validated:
            if "id" not in statement:
                statement["id"] = str(uuid.uuid4())                 # ID-2, ID-3
        return validated

    @staticmethod
    def _reject_duplicate_ids(ids):
        seen = set()
        for statement_id in ids:
            lowered = statement_id.lower()
            if lowered in seen:
                raise BadRequest("the batch holds statement id %s twice (SPOST-3)" % statement_id)
            seen.add(lowered)

    def _check_attachments(self, statements, attachment_data, version):
        """ATT-10, MP-14, CT-3: data for every attachment without fileUrl; no excess parts (MP-8);
        signatures (SIG).

        Parts are matched to Attachment objects by hash only, ignoring hex case (MP-9). The data is
        kept with the contentType of the first Attachment object that declares it, whatever the
        part's own Content-Type, since responses must carry the Attachment's contentType (MPR-3).
        """
        declared = set()
        for position, statement in enumerate(statements):
            for attachment in statement.get("attachments", ()):
                sha2 = attachment["sha2"].lower()
                if sha2 in attachment_data:
                    if sha2 not in declared:
                        attachment_data[sha2] = (attachment["contentType"], attachment_data[sha2][1])
                    if sha2 != attachment["sha2"]:
                        attachment_data[attachment["sha2"]] = attachment_data[sha2]
                elif "fileUrl" not in attachment:
                    raise BadRequest("statements[%d]: attachment %s has no fileUrl and its data was "
                                     "not sent as a multipart/mixed part (ATT-10, MP-14)"
                                     % (position, attachment["sha2"]))
                declared.add(sha2)
        excess = sorted(sha2 for sha2 in attachment_data if sha2.lower() not in declared)
        if excess:
            raise BadRequest("multipart part(s) with X-Experience-API-Hash %s match no attachment sha2 in "
                             "the statements (MP-8)" % ", ".join(excess))
        for position, statement in enumerate(statements):
            if self.signature_checker is not None:
                self.signature_checker(statement, attachment_data, version, position)

    def _record(self, statement, authority, version):
        rules = RULES[version]
        timestamp_from_stored = "timestamp" not in statement
        statement["authority"] = authority                         # AUTH-3
        statement.setdefault("version", rules.statement_version_default)   # SVER-5
        statement.pop("stored", None)                              # TIME-10: the store sets it
        obj = statement["object"]
        target = obj["id"].lower() if obj.get("objectType") == "StatementRef" else None
        is_voiding = statement["verb"]["id"] == VOIDED_VERB
        return StatementRecord(
            id=statement["id"].lower(),
            statement=statement,
            index_keys=index_keys(statement),
            ref_target=target,
            void_target=target if is_voiding else None,
            authority_key=agent_key(authority),
            timestamp_from_stored=timestamp_from_stored,
            attachment_hashes=[a["sha2"] for a in statement.get("attachments", ())],
            report_facts=report_facts(statement, timestamp_from_stored),
        )

    def _collect_definitions(self, batch, statements, principal):
        """Canonical activity definitions and agent names (ACT-7, ACT-9, AGENTS-6)."""
        if principal.can("define"):
            definitions = {}
            for statement in statements:
                for activity in _activities(statement):
                    if "definition" in activity:
                        previous = definitions.get(activity["id"])
                        definitions[activity["id"]] = merge_definition(previous, activity["definition"])
                    else:
                        definitions.setdefault(activity["id"], {})
            batch.activity_definitions = definitions
            batch.merge_definition = merge_definition
        names = {}
        for statement in statements:
            for actor in _named_agents(statement):
                names.setdefault(agent_key(actor), [])
                if actor["name"] not in names[agent_key(actor)]:
                    names[agent_key(actor)].append(actor["name"])
        batch.agent_names = names

    def _without_existing(self, store_id, records, statements, version):
        """[(record, statement)] not stored yet; 409 if a stored one differs (SPUT-6, SPOST-4, CMP-2)."""
        existing = self.storage.get_statements(store_id, [r.id for r in records])
        rules = RULES[version]
        new = []
        for record, statement in zip(records, statements):
            stored = existing.get(record.id)
            if stored is None:
                new.append((record, statement))
            elif stored.erased or not equivalent(statement, json.loads(stored.body), rules.conflicts_ignore_attachments,
                                                 rules.equivalence_ignores_timestamp):
                # an erased statement (issue 13) is never stored again and shows nothing of itself
                raise Conflict("statement %s is already stored with different content; statements "
                               "cannot be changed (SPUT-6, SPOST-4)" % record.id)
        return new

    # --- reading ---------------------------------------------------------------------

    def get_one(self, principal, request, version, languages):
        """One statement by statementId or voidedStatementId (QRY-2, QRY-3, VOID-10)."""
        consistent_through = self.consistent_through_ms(principal.store_id)
        found = self.storage.get_statements(principal.store_id, [request.statement_id])
        stored = found.get(request.statement_id)
        if stored is None or stored.erased or stored.voided != request.voided:       # erased: issue 13
            raise NotFound("no %sstatement with id %s" % ("voided " if request.voided else "",
                                                           request.statement_id))
        if not self._may_read(principal, stored):
            raise NotFound("no statement with id %s" % request.statement_id)
        body = self._shaped(principal, stored.body, request.format, version, languages)
        return ReadResult(body=body, last_modified_ms=stored.stored_ms,
                          attachments=self._attachment_data(principal, [stored.body], request.attachments),
                          consistent_through_ms=consistent_through)

    def query(self, principal, request, version, languages, more_url):
        """A StatementResult page (QRY-1, QRY-13..QRY-27, QRY-41..QRY-45)."""
        page_limit = self.settings.statement_page_limit
        limit = min(request.limit, page_limit) if request.limit > 0 else page_limit      # never unbounded
        last_seq, last_stored_ms = self.storage.committed_order(principal.store_id)
        max_seq = request.max_seq
        if max_seq is None and not request.ascending:
            max_seq = last_seq
        page = self.storage.query_statements(principal.store_id, StatementQuery(
            filters=request.filters, since_ms=request.since_ms, until_ms=request.until_ms,
            ascending=request.ascending, limit=limit, after_seq=request.after_seq, max_seq=max_seq,
            authority_key=None if self._reads_all(principal) else self._own_authority_key(principal)))
        bodies = [self._shaped(principal, s.body, request.format, version, languages)
                  for s in page.statements]
        more = ""
        if page.more and page.statements:
            more = more_url(request, page.statements[-1].seq, max_seq)
        body = b'{"statements":[' + b",".join(bodies) + b'],"more":' + json.dumps(more).encode() + b"}"
        newest = max((s.stored_ms for s in page.statements), default=now_ms())
        return ReadResult(body=body, last_modified_ms=newest,
                          attachments=self._attachment_data(principal, [s.body for s in page.statements],
                                                            request.attachments),
                          consistent_through_ms=self._consistent_through(last_seq, last_stored_ms))

    def consistent_through_ms(self, store_id=None):
        """X-Experience-API-Consistent-Through (QRY-39, QRY-40): every statement stored at or before
        it is visible. A batch still being written has a `stored` after the last committed one's;
        read before the statements a response returns."""
        if store_id is None:                                   # no store: nothing to be behind on
            return now_ms() - self.settings.consistent_through_lag_ms
        try:
            return self._consistent_through(*self.storage.committed_order(store_id))
        except StorageUnavailable:          # answering an error: promise nothing rather than fail
            return 0

    def _consistent_through(self, last_seq, last_stored_ms):
        """The newest committed batch's stored time, or, on a store idle for longer than the lag,
        now - lag: batches commit within half the lag of their stored time or not at all (the
        store's max_commit_delay_ms), so nothing stored before it can still appear."""
        lag = self.settings.consistent_through_lag_ms
        committed = last_stored_ms if last_seq else 0
        return max(committed, now_ms() - lag) if lag else committed

    # --- helpers ---------------------------------------------------------------------

    @staticmethod
    def _reads_all(principal):
        return principal.can("statements/read", "all/read")

    def _own_authority_key(self, principal):
        return agent_key(authority_for(principal, self.settings.public_url))

    def _may_read(self, principal, stored):
        if self._reads_all(principal):
            return True
        principal.require("statements/read/mine", "statements/read", "all/read")
        statement = json.loads(stored.body)
        return agent_key(statement["authority"]) == self._own_authority_key(principal)

    def _shaped(self, principal, body, shape, version, languages):
        if shape == "exact":
            return body
        statement = json.loads(body)
        if shape == "ids":
            statement = formats.to_ids(statement)
        else:
            cache = {}

            def definition_of(activity_id):
                if activity_id not in cache:
                    cache[activity_id] = self.storage.get_activity_definition(principal.store_id, activity_id)
                return cache[activity_id]
            statement = formats.to_canonical(statement, definition_of, languages)
        return json.dumps(statement, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def _attachment_data(self, principal, bodies, wanted):
        if not wanted:
            return {}
        hashes = []
        for body in bodies:
            for attachment in json.loads(body).get("attachments", ()):
                if attachment["sha2"] not in hashes:
                    hashes.append(attachment["sha2"])
        if not hashes:
            return {}
        found = self.storage.get_attachments(principal.store_id, hashes)
        return {h: found[h] for h in hashes if h in found}


def _activities(statement):
    """Every Activity object of a statement, SubStatement included."""
    found = []
    obj = statement["object"]
    if obj.get("objectType", "Activity") == "Activity":
        found.append(obj)
    for activities in statement.get("context", {}).get("contextActivities", {}).values():
        found.extend(activities)
    if obj.get("objectType") == "SubStatement":
        found.extend(_activities(obj))
    return found


def _named_agents(statement):
    named = []
    for actor in (statement["actor"], statement["object"], statement.get("context", {}).get("instructor")):
        if not actor or actor.get("objectType", "Agent") not in ("Agent", "Group"):
            continue
        if actor.get("name") and agent_key(actor):
            named.append(actor)
        for member in actor.get("member", ()):
            if member.get("name"):
                named.append(member)
    return named
