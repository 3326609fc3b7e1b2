"""Reading a store's statements for a report: the store's own query paths, page by page, in store
order, never the whole result at once (issue 13)."""
import heapq
import json

import orjson

from ..store import StatementQuery
from ..xapi.report_facts import report_facts

PAGE = 2000
# A report period selects statements by `timestamp` (when the learner did it), but the store reads
# by `stored` (when the LRS received it), which is later: a statement's stored time is at or after
# its timestamp, unless the sender's clock ran ahead. Reading from `since - CLOCK_SKEW_MS` on the
# stored time bounds the scan while still finding statements sent by a clock up to a day ahead.
CLOCK_SKEW_MS = 86_400_000


def scan(storage, store_id, filters=(), stored_after_ms=None, stored_until_ms=None, upto_seq=None, page=PAGE):
    """Iterate the StoredStatements (never voided ones) of the store matching `filters` ([(kind, value)],
    StatementQuery semantics), in ascending seq order, none committed after `upto_seq` (default: the
    newest committed when the scan starts, so that a long scan reads one consistent history)."""
    if upto_seq is None:
        upto_seq = storage.last_seq(store_id)
    mark = None
    while True:
        found = storage.query_statements(store_id, StatementQuery(
            filters=list(filters), since_ms=stored_after_ms, until_ms=stored_until_ms, ascending=True, limit=page,
            after_seq=mark, max_seq=upto_seq))
        yield from found.statements
        if not found.more or not found.statements:
            return
        mark = found.statements[-1].seq


def scan_facts(storage, store_id, filters=(), stored_after_ms=None, upto_seq=None, page=PAGE):
    """scan's statements as lrs.store.ReportRow, read through the store's report rows: the facts kept at
    ingest, derived from the body for a statement stored without them."""
    if upto_seq is None:
        upto_seq = storage.last_seq(store_id)
    mark = None
    while True:
        rows, more = storage.query_report_rows(store_id, StatementQuery(
            filters=list(filters), since_ms=stored_after_ms, ascending=True, limit=page, after_seq=mark,
            max_seq=upto_seq))
        for row in rows:
            if row.facts is not None:
                yield row
            elif row.body:                    # an erased statement has neither (and is never returned: voided)
                yield row._replace(facts=report_facts(loads(row.body)))
        if not more or not rows:
            return
        mark = rows[-1].seq


def merged(*streams):
    """Several scans of one store as one, in seq order, each statement once."""
    previous = None
    for stored in heapq.merge(*streams, key=lambda stored: stored.seq):
        if stored.seq != previous:
            previous = stored.seq
            yield stored


def loads(body):
    """A stored statement's JSON: orjson (several times faster: reports parse every statement they scan),
    the standard parser for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)
