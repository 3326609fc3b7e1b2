"""Pull sync (issue 12): copy the statements of any conformant xAPI LRS (1.0.3 or 2.0) into a store.

The puller asks the source for its statements in stored order (GET statements with ascending=true,
attachments=true, format=exact, since=the cursor), follows the `more` links, and stores each page
through the statement service under the statements' own ids (copies.py), so a re-run duplicates
nothing. After each page it keeps a cursor in the database: the source's `stored` time of the
newest copy and the ids copied at exactly that time (`stored` is not unique, so the next run asks
from just before that time and skips those ids). The cursor never passes the source's
X-Experience-API-Consistent-Through, so a statement the source commits late behind it is still
fetched. A voiding statement's target, which queries do not return (VOID-2), is fetched with
voidedStatementId and copied before it when the store does not hold it.

Transient failures (connection errors, timeouts, 429 with Retry-After, 5xx) are retried with
back-off; after `retries` the run stops with PullError, keeping the cursor of the last page stored,
and the next run resumes there. Any other answer stops the run with the source's answer.
"""
import json
import logging
import random
import sys
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from schemas import XAPIValidationError, parse_timestamp
from schemas.versions import LENIENT_TIMESTAMPS, SUPPORTED_VERSIONS

from ..errors import LRSError, NotFound
from ..store import PullCursor
from ..timeutil import format_ms, now_ms
from ..xapi.multipart import media_type, parse_statement_multipart
from ..xapi.signatures import check_signature
from ..xapi.statements import VOIDED_VERB, StatementService
from .copies import copier, store_copies
from .forwarder import TRANSIENT_STATUSES, _describe, _retry_after_ms
from .forwarding import FILTER_PARAMETERS

log = logging.getLogger("lrs.pull")
CONSISTENT_THROUGH = "X-Experience-API-Consistent-Through"


class PullError(Exception):
    """The run stopped: the source refused, or stayed unreachable (one line, no secret)."""


@dataclass
class PullResult:
    copied: int = 0               # statements stored now (new or already held unchanged)
    refused: int = 0              # statements the store refused (logged with the reason)
    pages: int = 0


class Puller:
    def __init__(self, storage, settings, store_name, url, key, secret, version, filters=None, since_ms=None,
                 page_limit=500, timeout_s=30.0, retries=5, backoff_base_s=1.0, session=None, progress=None,
                 sleep=time.sleep):
        store = storage.get_store(store_name)
        if store is None:
            raise NotFound("no store named %r" % store_name)
        parts = urlsplit(url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("--from must be the http(s) URL of an xAPI LRS's endpoint, got %r" % url)
        if version not in SUPPORTED_VERSIONS:
            raise ValueError("the xAPI version to speak must be one of %s, got %r" % (", ".join(SUPPORTED_VERSIONS),
                                                                                      version))
        unknown = sorted(set(filters or {}) - set(FILTER_PARAMETERS))
        if unknown:
            raise ValueError("a pull filter takes only %s, not %s" % (", ".join(FILTER_PARAMETERS), ", ".join(unknown)))
        self.storage, self.store = storage, store
        self.url = url.rstrip("/") + "/"
        self.filters = dict(filters or {})
        self.version = version
        self.since_ms = since_ms
        self.page_limit, self.timeout_s, self.retries, self.backoff_base_s = page_limit, timeout_s, retries, backoff_base_s
        self.session = session or requests.Session()
        self.session.auth = (key, secret)
        self.session.headers["X-Experience-API-Version"] = version
        self.progress = progress
        self.sleep = sleep
        self.source = json.dumps([self.url, sorted(self.filters.items())])
        self.statements = StatementService(storage, settings, signature_checker=check_signature)
        self.principal = copier(store.id, "pull:%s" % self.url, "pull from %s" % self.url)

    # --- running -------------------------------------------------------------------------------

    def run(self):
        """Copy everything new at the source; PullResult. PullError when the run must stop."""
        result = PullResult()
        cursor = self.storage.get_pull_cursor(self.store.id, self.source) or PullCursor(
            store_id=self.store.id, source=self.source, stored_ms=self.since_ms or 0)
        params = dict(self.filters, ascending="true", attachments="true", format="exact", limit=str(self.page_limit))
        if cursor.stored_ms:
            # strictly after: from just before the cursor's time, whose statements may not all be copied yet
            params["since"] = format_ms(cursor.stored_ms - 1 if cursor.ids else cursor.stored_ms)
        answer = self._get(self.url + "statements", params)
        while True:
            page, attachments, consistent_ms = self._read_page(answer)
            cursor = self._store_page(page.get("statements", []), attachments, consistent_ms, cursor, result)
            result.pages += 1
            if self.progress:
                self.progress(result)
            more = page.get("more") or ""
            if not more:
                return result
            answer = self._get(urljoin(self.url, more), None)

    def follow(self, poll_s=10.0, stop=None, on_result=None):
        """Run again and again (poll_s apart) until stop() is true; a failed run is logged and retried."""
        while not (stop and stop()):
            try:
                result = self.run()
                if on_result:
                    on_result(result)
            except (PullError, LRSError) as error:
                log.warning("pull from %s failed, retrying in %.0fs: %s", self.url, poll_s, error)
            self.sleep(poll_s)

    # --- one page --------------------------------------------------------------------------------

    def _store_page(self, statements, attachments, consistent_ms, cursor, result):
        items, times = [], {}
        for statement in statements:
            if not isinstance(statement, dict) or not isinstance(statement.get("id"), str):
                raise PullError("the source answered a statement without an id: not an xAPI LRS?")
            stored_ms = _ms(statement.get("stored"))
            times[statement["id"]] = stored_ms
            if stored_ms == cursor.stored_ms and statement["id"] in cursor.ids:
                continue                                   # copied by the run before
            items += self._voided_target(statement, attachments)
            items.append((statement["id"], statement))
        if items:
            stored, refused = store_copies(self.statements, self.principal, items, attachments)
            result.copied += len(stored)
            result.refused += len(refused)
            for statement_id, reason in refused.items():
                log.warning("pull from %s: statement %s refused: %s", self.url, statement_id, reason)
        return self._advance(cursor, times, consistent_ms)

    def _voided_target(self, statement, attachments):
        """[(id, the voided statement)] to copy before a voiding statement whose target the store
        lacks (queries never return voided statements, VOID-2); [] otherwise."""
        obj = statement.get("object") or {}
        if (statement.get("verb") or {}).get("id") != VOIDED_VERB or obj.get("objectType") != "StatementRef":
            return []
        target = str(obj.get("id", "")).lower()
        if not target or self.storage.get_statements(self.store.id, [target]):
            return []
        answer = self._get(self.url + "statements", {"voidedStatementId": target, "attachments": "true",
                                                      "format": "exact"}, missing_ok=True)
        if answer is None:
            return []
        voided, more_attachments, _ = self._read_page(answer)
        attachments.update(more_attachments)
        return [(voided["id"], voided)] if isinstance(voided, dict) and "id" in voided else []

    def _advance(self, cursor, times, consistent_ms):
        """The cursor after a stored page: the newest stored time, held back to Consistent-Through."""
        if not times:
            return cursor
        newest = max(times.values())
        if consistent_ms is not None:
            newest = min(newest, consistent_ms)
        if newest < cursor.stored_ms:
            return cursor
        ids = [i for i, ms in times.items() if ms == newest]
        if newest == cursor.stored_ms:
            ids = sorted(set(cursor.ids) | set(ids))
        cursor = PullCursor(store_id=cursor.store_id, source=cursor.source, stored_ms=newest, ids=ids,
                            updated_ms=now_ms())
        self.storage.save_pull_cursor(cursor)
        return cursor

    # --- HTTP -------------------------------------------------------------------------------------

    def _get(self, url, params, missing_ok=False):
        """The source's 200 answer (None for a 404 when missing_ok); PullError otherwise."""
        for attempt in range(self.retries + 1):
            delay = self.backoff_base_s * 2 ** attempt * (0.5 + random.random() / 2)
            try:
                answer = self.session.get(url, params=params, timeout=self.timeout_s, allow_redirects=False)
            except requests.RequestException as error:
                problem = "%s: %s" % (type(error).__name__, str(error).splitlines()[0][:300] if str(error) else "")
            else:
                if answer.status_code == 200:
                    return answer
                if answer.status_code == 404 and missing_ok:
                    return None
                problem = _describe(answer)
                if answer.status_code not in TRANSIENT_STATUSES:
                    raise PullError("the source answered %s" % problem)
                retry_after = _retry_after_ms(answer, time.time())
                if retry_after is not None:
                    delay = retry_after / 1000.0
            if attempt < self.retries:
                log.warning("pull from %s: %s; retrying in %.1fs", self.url, problem, delay)
                self.sleep(delay)
        raise PullError("the source stayed unavailable after %d attempts: %s" % (self.retries + 1, problem))

    def _read_page(self, answer):
        """(parsed JSON, {sha2: (content type, data)}, Consistent-Through ms or None) of an answer."""
        content_type = answer.headers.get("Content-Type", "")
        try:
            if media_type(content_type) == "multipart/mixed":
                body, attachments = parse_statement_multipart(answer.content, content_type, 1 << 62)
            else:
                body, attachments = answer.content, {}
            page = json.loads(body)
        except (LRSError, ValueError) as error:
            raise PullError("the source's answer cannot be read: %s" % getattr(error, "message", error)) from None
        header = answer.headers.get(CONSISTENT_THROUGH)
        return page, attachments, _ms(header) if header else None


def _ms(timestamp):
    try:
        return parse_timestamp(timestamp, LENIENT_TIMESTAMPS)
    except (XAPIValidationError, TypeError, ValueError):
        raise PullError("the source answered a timestamp that is not one: %r" % (timestamp,)) from None


def terminal_progress(stream=sys.stderr):
    """A progress line (count, pages, rate) on a terminal; None (quiet) otherwise."""
    if not stream.isatty():
        return None
    started = time.monotonic()

    def show(result):
        rate = result.copied / max(time.monotonic() - started, 1e-6)
        stream.write("\rcopied %d statements, %d pages, %.0f statements/s" % (result.copied, result.pages, rate))
        stream.flush()
    return show
