"""The forwarder (issue 12): delivers each forwarding rule's outbox to its target.

One or several forwarders (processes, machines) share the outbox through the store's leases: a
forwarder claims a rule's oldest entries for `lease_ms` under its own owner id, delivers them as
one batch in stored (seq) order, and marks them delivered, gives them back for a retry, or moves
them to dead letters. A forwarder that dies holds its entries only until its lease ends; another
then takes them over (the store's claim_outbox). Delivery is idempotent: every statement keeps its
id, and a target that already holds the same statement answers 200/204 (CMP-2) or, if it answers
409, a statement-by-statement PUT and GET shows whether its copy is the same.

Throughput: to a remote LRS up to `pipeline` batches of a rule are in flight at once, on their
own kept-alive connections; the next batch is claimed after the last one claimed (claim_outbox's
after_seq) while the earlier ones wait for the target, and batches are settled in claim order.
Claims double while a backlog fills them, up to `max_batch_size`. Bodies are the stored JSON
joined as it is, never parsed and written again.

Targets:
- another store of this deployment: the statements go through that store's StatementService (the
  xAPI rules of a POST, without HTTP), under a principal naming the rule;
- a remote xAPI LRS: POST {endpoint}statements with HTTP Basic auth, the rule's
  X-Experience-API-Version, and, when statements carry attachments without fileUrl, a
  multipart/mixed body with the stored attachment data (MP-1..MP-21). Statements are sent as
  stored, so signed statements go unchanged.

Answers: 204, or 200 with the array of the statements' ids (SPOST-1), delivered; a 200 with
anything else (a proxy's or a portal's page) is not taken for delivery. Connection errors,
timeouts, 408, 429 (Retry-After honoured) and 5xx are transient: the entries are given back
with an exponential back-off with jitter, and dead-lettered after `max_attempts` claims. A 413 to
a batch grown past `batch_size` is retried at once, smaller. Any other answer is final: 400, 409
and 413 are retried one statement at a time so that only the statements the target refuses
become dead letters, with the target's answer; 401, 403 and the rest dead-letter the whole
batch. Nothing a target does
crashes the forwarder: an unexpected error is logged and the batch is given back.
"""
import json
import logging
import os
import random
import socket
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Optional

import requests

from ..errors import ConfigError, StorageUnavailable
from ..xapi.compare import equivalent
from ..xapi.multipart import build_multipart
from ..xapi.signatures import check_signature
from ..xapi.statements import StatementService
from .copies import attachment_hashes, copier, store_copies

log = logging.getLogger("lrs.forwarder")

TRANSIENT_STATUSES = frozenset((408, 429, 500, 502, 503, 504))
ONE_BY_ONE_STATUSES = frozenset((400, 409, 413))
MAX_ANSWER_CHARS = 500                 # of a target's answer kept as a dead letter's reason


def owner_id():
    """This forwarder's owner id for leases: host, process and a random part (a restarted
    process with a recycled pid is still another owner)."""
    return "%s:%d:%s" % (socket.gethostname(), os.getpid(), uuid.uuid4().hex[:8])


@dataclass
class ForwarderOptions:
    batch_size: int = 100              # statements per delivery; a rule's first claim takes this many
    max_batch_size: int = 500          # while claims come back full (a backlog) they double, up to this
    lease_ms: int = 60_000
    timeout_s: float = 10.0            # per HTTP request (connect and read)
    backoff_base_ms: int = 1_000
    backoff_max_ms: int = 600_000
    max_attempts: int = 50             # claims of a batch before transient failures dead-letter it
    pipeline: int = 4                  # batches of one remote rule in flight at once (1: one at a time)
    batches_per_pass: int = 50         # batches of one rule before the next rule's turn


class Outcome:
    """What became of one batch: seqs delivered, {seq: reason} dead, and seqs to retry."""

    def __init__(self):
        self.delivered, self.dead, self.retry = [], {}, []
        self.retry_error, self.retry_after_ms = "", None

    def transient(self, seqs, error, retry_after_ms=None):
        self.retry += list(seqs)
        self.retry_error = error
        if retry_after_ms is not None:
            self.retry_after_ms = max(self.retry_after_ms or 0, retry_after_ms)


class Forwarder:
    def __init__(self, storage, settings, forwarding, options=None, owner=None, session=None,
                 clock=time.time, rand=random.random):
        self.storage = storage
        self.settings = settings
        self.forwarding = forwarding                  # ForwardingService: rules and their secrets
        self.options = options or ForwarderOptions()
        self.owner = owner or owner_id()
        self.session = session or _session(self.options.pipeline)
        self.clock = clock
        self.rand = rand
        self.statements = StatementService(storage, settings, signature_checker=check_signature)
        self._executor = None
        self._sizes = {}                # rule id -> the size of its next claim
        self._too_large = set()         # rules whose target refused a batch bigger than batch_size (413)

    def _now_ms(self):
        return int(self.clock() * 1000)

    # --- running -----------------------------------------------------------------------------

    def run_pass(self):
        """One batch per active rule; how many entries were claimed."""
        claimed = 0
        for rule in self.storage.list_forwarding_rules():
            if rule.active:
                try:
                    claimed += self.forward_rule(rule)
                except StorageUnavailable as error:
                    log.warning("forwarding rule %s: the database is unavailable: %s", rule.name, error)
                except Exception:
                    log.exception("forwarding rule %s: unexpected error", rule.name)
        return claimed

    def drain(self, max_wait_s=30.0, sleep=time.sleep, poll_s=0.05):
        """Deliver until nothing active is pending; entries waiting for a retry are waited for
        up to max_wait_s without progress. How many entries were claimed in all."""
        total, idle_since = 0, time.monotonic()
        while True:
            claimed = self.run_pass()
            total += claimed
            if claimed:
                idle_since = time.monotonic()
                continue
            if not self._pending() or time.monotonic() - idle_since >= max_wait_s:
                return total
            sleep(poll_s)

    def run_forever(self, poll_s=1.0, stop=None, sleep=time.sleep):
        """Deliver until stop() is true, sleeping poll_s whenever a pass found nothing to do."""
        log.info("forwarder %s started", self.owner)
        while not (stop and stop()):
            try:
                claimed = self.run_pass()
            except Exception:                         # the database went away between rules
                log.exception("forwarding pass failed")
                claimed = 0
            if not claimed:
                sleep(poll_s)

    def _pending(self):
        now = self._now_ms()
        return any(self.storage.forwarding_counts(rule.id, now).pending
                   for rule in self.storage.list_forwarding_rules() if rule.active)

    # --- one rule ----------------------------------------------------------------------------

    def forward_rule(self, rule):
        """Claim, deliver and settle the rule's next batches; how many entries were claimed.

        Store to store: one batch. Remote: up to `pipeline` batches in flight at once (one HTTP
        request each, on their own connections), claimed one after the other with claim_outbox's
        after_seq and settled in claim order, at most `batches_per_pass` batches; every batch is
        settled before this returns. Once a batch is given back for a retry no further batch is
        claimed, so the order the target sees is the stored order except among the batches that
        were in flight together (README, "Order")."""
        if not rule.remote or self.options.pipeline <= 1:
            entries = self._claim(rule)
            if entries:
                outcome, items = self._prepare(rule, entries)
                if items:
                    self._deliver(rule, items, outcome)
                self._settle(rule, entries, outcome)
            return len(entries)
        return self._forward_pipelined(rule)

    def _claim(self, rule, after_seq=None):
        """The rule's next entries: batch_size of them, twice as many as last time while claims
        come back full (a backlog: fewer requests and transactions), up to max_batch_size or
        to batch_size for a target that answered 413 to a bigger batch."""
        smallest = self.options.batch_size
        largest = smallest if rule.id in self._too_large else max(self.options.max_batch_size, smallest)
        size = min(self._sizes.get(rule.id, smallest), largest)
        entries = self.storage.claim_outbox(rule.id, self.owner, size, self.options.lease_ms, self._now_ms(),
                                            after_seq=after_seq)
        self._sizes[rule.id] = min(2 * size, largest) if len(entries) == size else smallest
        return entries

    def _forward_pipelined(self, rule):
        window, claimed, batches, last_seq, claiming = deque(), 0, 0, None, True
        try:
            while True:
                while claiming and len(window) < self.options.pipeline and batches < self.options.batches_per_pass:
                    entries = self._claim(rule, last_seq)
                    if not entries:
                        claiming = False
                        break
                    last_seq, claimed, batches = entries[-1].seq, claimed + len(entries), batches + 1
                    outcome, items = self._prepare(rule, entries)
                    future = self._pool().submit(self._deliver, rule, items, outcome) if items else None
                    window.append((entries, outcome, future))
                if not window:
                    return claimed
                entries, outcome, future = window.popleft()
                if future is not None:
                    future.result()                  # _deliver never raises: it records the failure
                self._settle(rule, entries, outcome)
                if outcome.retry:
                    claiming = False                 # keep the order: nothing is claimed past a retry
        finally:
            for _, _, future in window:              # a store error while settling: let the rest end
                if future is not None:
                    future.result()

    def _pool(self):
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.options.pipeline,
                                                thread_name_prefix="lrs-forward")
        return self._executor

    def close(self):
        """Stop the delivery threads (after the batches in flight)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    # --- one batch ---------------------------------------------------------------------------

    def _prepare(self, rule, entries):
        """(Outcome, Batch or None) of claimed entries: their stored bodies, the attachments
        they carry and the rule's credentials, read here so that delivery needs no store."""
        outcome = Outcome()
        stored = self.storage.get_statements(rule.store_id, [e.statement_id for e in entries])
        items = []
        for entry in entries:
            if entry.statement_id in stored and not stored[entry.statement_id].erased:
                items.append(Item(entry.seq, entry.statement_id, bytes(stored[entry.statement_id].body)))
            else:
                outcome.dead[entry.seq] = "the statement is no longer stored in the source store"
        if not items:
            return outcome, None
        try:
            carrying = [item.statement for item in items if item.may_carry_attachments]
            attachments = self._attachments(rule, carrying) if carrying else {}
            auth = (rule.key, self.forwarding.secret_of(rule)) if rule.remote else None
        except ConfigError as error:                 # a secret LRS_SECRET_KEY cannot open: not retried
            log.error("forwarding rule %s: %s", rule.name, error)
            outcome.dead.update({item.seq: str(error) for item in items})
            return outcome, None
        return outcome, Batch(items, attachments, auth)

    def _deliver(self, rule, batch, outcome):
        """Deliver a Batch, recording what became of it in outcome; never raises."""
        try:
            deliver = self._deliver_remote if rule.remote else self._deliver_local
            deliver(rule, batch, outcome)
        except Exception as error:
            log.exception("forwarding rule %s: delivery failed unexpectedly", rule.name)
            outcome.transient([item.seq for item in batch.items], "forwarder error: %s" % error)

    def _settle(self, rule, entries, outcome):
        if outcome.delivered:
            done = self.storage.complete_outbox(rule.id, self.owner, outcome.delivered)
            if done < len(outcome.delivered):
                log.warning("forwarding rule %s: %d delivered entries had been taken over after the lease ended",
                            rule.name, len(outcome.delivered) - done)
        if outcome.retry:
            attempts = max(e.attempts for e in entries if e.seq in set(outcome.retry))
            if attempts >= self.options.max_attempts:
                reason = "gave up after %d attempts: %s" % (attempts, outcome.retry_error)
                outcome.dead.update({seq: reason for seq in outcome.retry})
            else:
                delay = self.backoff_ms(attempts)
                if outcome.retry_after_ms is not None:
                    delay = max(outcome.retry_after_ms, 0)
                self.storage.release_outbox(rule.id, self.owner, outcome.retry, self._now_ms() + delay,
                                            outcome.retry_error)
                log.warning("forwarding rule %s: %d statements to retry in %.1fs: %s", rule.name,
                            len(outcome.retry), delay / 1000.0, outcome.retry_error)
        if outcome.dead:
            self.storage.dead_letter_outbox(rule.id, self.owner, outcome.dead)
            log.warning("forwarding rule %s: %d statements moved to dead letters: %s", rule.name,
                        len(outcome.dead), list(outcome.dead.values())[-1])

    def backoff_ms(self, attempts):
        """Exponential back-off with jitter: between half and all of base * 2^(attempts-1), capped."""
        ceiling = min(self.options.backoff_max_ms, self.options.backoff_base_ms * 2 ** min(max(attempts - 1, 0), 40))
        return int(ceiling / 2 + self.rand() * ceiling / 2)

    # --- store to store ----------------------------------------------------------------------

    def _deliver_local(self, rule, batch, outcome):
        """Through the target store's statement service: a POST without HTTP (copies.py)."""
        principal = copier(rule.target_store_id, "forwarding:%s" % rule.id, "forwarding rule %s" % rule.name)
        try:
            stored, refused = store_copies(self.statements, principal,
                                           [(item.seq, item.statement) for item in batch.items], batch.attachments)
        except StorageUnavailable as error:
            outcome.transient([item.seq for item in batch.items], "target store unavailable: %s" % error)
            return
        outcome.delivered += stored
        outcome.dead.update(refused)

    # --- remote ------------------------------------------------------------------------------

    def _deliver_remote(self, rule, batch, outcome):
        answer = self._send(rule, batch, batch.items)
        seqs = [item.seq for item in batch.items]
        if isinstance(answer, str):
            outcome.transient(seqs, answer)
        elif answer.status_code == 200 and not _answers_ids(answer, batch.items):
            # a proxy or portal page is not an LRS's answer: nothing is known delivered
            outcome.transient(seqs, "answered 200 without the statement ids (SPOST-1): %s" % _describe(answer))
        elif answer.status_code in (200, 204):
            outcome.delivered += seqs
        elif answer.status_code in TRANSIENT_STATUSES:
            outcome.transient(seqs, _describe(answer), _retry_after_ms(answer, self.clock()))
        elif answer.status_code == 413 and len(seqs) > self.options.batch_size:
            self._too_large.add(rule.id)             # claims of this rule stay at batch_size from now on
            outcome.transient(seqs, "batch of %d too large: %s" % (len(seqs), _describe(answer)), 0)
        elif answer.status_code in ONE_BY_ONE_STATUSES:
            self._deliver_one_by_one(rule, batch, outcome)
        else:
            reason = _describe(answer)
            outcome.dead.update({seq: reason for seq in seqs})

    def _deliver_one_by_one(self, rule, batch, outcome):
        """PUT each statement under its id: a refused one is dead-lettered with the answer, a 409
        whose stored statement is the same (GET, CMP) counts as delivered. Stops when the lease
        would end before another request could finish; the rest is retried."""
        lease_end = time.monotonic() + self.options.lease_ms / 1000.0
        for position, item in enumerate(batch.items):
            if time.monotonic() + 2 * self.options.timeout_s > lease_end:
                outcome.transient([i.seq for i in batch.items[position:]], "lease ending", 0)
                return
            answer = self._send(rule, batch, [item], put=True)
            if isinstance(answer, str):
                outcome.transient([item.seq], answer)
            elif answer.status_code in (200, 204):
                outcome.delivered.append(item.seq)
            elif answer.status_code in TRANSIENT_STATUSES:
                outcome.transient([item.seq], _describe(answer), _retry_after_ms(answer, self.clock()))
            elif answer.status_code == 409 and self._same_on_target(rule, batch.auth, item.statement):
                outcome.delivered.append(item.seq)
            else:
                outcome.dead[item.seq] = _describe(answer)

    def _same_on_target(self, rule, auth, statement):
        try:
            answer = self.session.get(rule.endpoint + "statements", params={"statementId": statement["id"]},
                                      auth=auth, headers={"X-Experience-API-Version": rule.version},
                                      timeout=self.options.timeout_s)
            if answer.status_code != 200:
                return False
            theirs = answer.json()
        except (requests.RequestException, ValueError):
            return False
        return isinstance(theirs, dict) and equivalent(statement, theirs, ignore_attachments=True)

    def _send(self, rule, batch, items, put=False):
        """The target's answer to a POST of the items' statements, or a PUT of one; a string
        describing a transport failure (connection refused or reset, timeout, a body cut short).

        The body is made of the stored JSON as it is (no parsing and writing again): a POST's
        array joins the statements' bodies, so signed statements go byte for byte."""
        data = items[0].body if put else b"[" + b",".join(item.body for item in items) + b"]"
        hashes = attachment_hashes([item.statement for item in items if item.may_carry_attachments])
        attachments = {sha2: batch.attachments[sha2] for sha2 in hashes if sha2 in batch.attachments}
        headers = {"X-Experience-API-Version": rule.version}
        if attachments:
            data, headers["Content-Type"] = build_multipart(data, attachments)
        else:
            headers["Content-Type"] = "application/json"
        params = {"statementId": items[0].id} if put else None
        try:
            return self.session.request("PUT" if put else "POST", rule.endpoint + "statements", params=params,
                                        data=data, headers=headers, auth=batch.auth, timeout=self.options.timeout_s,
                                        allow_redirects=False)
        except requests.Timeout:
            return "timed out after %.0fs" % self.options.timeout_s
        except requests.RequestException as error:
            return "%s: %s" % (type(error).__name__, _first_line(str(error)))

    def _attachments(self, rule, statements):
        """{sha2: (content type, data)} of the statements' attachments without fileUrl."""
        hashes = attachment_hashes(statements)
        return self.storage.get_attachments(rule.store_id, hashes) if hashes else {}


class Item:
    """A claimed statement: its seq, its stored JSON, and the statement parsed only when needed
    (store-to-store delivery, attachments, a one-by-one retry)."""

    __slots__ = ("seq", "statement_id", "body", "_statement")

    def __init__(self, seq, statement_id, body):
        self.seq, self.statement_id, self.body, self._statement = seq, statement_id, body, None

    @property
    def statement(self):
        if self._statement is None:
            self._statement = json.loads(self.body)
        return self._statement

    @property
    def id(self):
        """The id as the statement spells it."""
        return self.statement["id"]

    @property
    def may_carry_attachments(self):
        return b'"attachments"' in self.body


@dataclass
class Batch:
    items: list                      # [Item] in seq order
    attachments: dict                # sha2 -> (content type, data), read from the source store
    auth: Optional[tuple]            # (key, secret) of a remote rule


def _session(connections):
    """A requests session keeping up to `connections` connections per target alive."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=max(connections, 10))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _answers_ids(answer, items):
    """True when a POST's 200 answer is the array of the statements' ids, in order (SPOST-1)."""
    try:
        ids = answer.json()
    except ValueError:
        return False
    return (isinstance(ids, list) and len(ids) == len(items) and all(isinstance(i, str) for i in ids)
            and [i.lower() for i in ids] == [item.statement_id for item in items])


def _first_line(text):
    return (text.strip().splitlines() or [""])[0][:MAX_ANSWER_CHARS]


def _describe(answer):
    """A target's answer as a dead letter's reason: status, reason and the start of the body."""
    text = answer.text.strip().replace("\n", " ")[:MAX_ANSWER_CHARS]
    return ("%d %s %s" % (answer.status_code, answer.reason or "", text)).strip()


def _retry_after_ms(answer, now_s):
    """Retry-After (seconds or an HTTP date) in ms from now, or None when absent or unreadable."""
    value = answer.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value) * 1000
    try:
        return max(0, int((parsedate_to_datetime(value).timestamp() - now_s) * 1000))
    except (TypeError, ValueError):
        return None
