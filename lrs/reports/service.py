"""What the HTTP layer asks of the reports (issue 13): parameters checked, stores the credential may
read resolved, rows streamed as JSON or CSV.

Every report reads the credential's own store, or with `stores=a,b` the named stores: the own store
and those an administrator granted the credential (AdminService.set_report_grants); any other is 403.
Bad parameters are 400 with a message, checked before the first byte is sent."""
import csv
import io
from itertools import islice

import orjson

import schemas
from schemas.versions import LENIENT_TIMESTAMPS

from ..errors import BadRequest, Forbidden
from ..store import StoreInfo
from ..timeutil import format_ms
from ..xapi.agents import IFI_PROPERTIES, agent_key
from ..xapi.jsonbody import parse_json
from ..xapi.query import schema_value
from .completions import BY, COMPLETION_COLUMNS, HISTORY_COLUMNS, PER, completions, history
from .rule import load_rule
from .transcript import COLUMNS, transcript

FORMATS = ("json", "csv")
TRANSCRIPT_COLUMNS = ("store",) + COLUMNS
COMMON = ("format", "stores")
PARAMETERS = {
    "transcript": ("agent", "person", "as_of") + COMMON,
    "completions": ("activity", "include_children", "since", "until") + COMMON,
    "history": ("since", "until", "by", "activity", "include_children", "per") + COMMON,
}


def _format(params, accept):
    if "format" in params:
        if params["format"] not in FORMATS:
            raise BadRequest("format must be json or csv, got %r" % params["format"])
        return params["format"]
    return "csv" if "text/csv" in (accept or "") else "json"


def _csv_rows(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(value) for value in row])
        yield buffer.getvalue()


def _cell(value):
    if isinstance(value, list):
        return " ".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def _dumps(value):
    return orjson.dumps(value).decode("utf-8")        # compact, UTF-8 as is: json.dumps's output, faster


def _json_document(head, name, rows, tail=None, chunk=64):
    """A JSON object streamed: the fields of `head`, then `name`: the rows `chunk` at a time, then the fields
    `tail()` returns once the rows are done (a summary)."""
    opening = _dumps(head)
    yield opening[:-1] + ("," if head else "") + _dumps(name) + ":["
    rows, separator = iter(rows), ""
    while True:
        some = list(islice(rows, chunk))
        if not some:
            break
        yield separator + _dumps(some)[1:-1]
        separator = ","
    closing = _dumps(tail()) if tail else "{}"
    yield "]" + ("," + closing[1:] if closing != "{}" else "}")


def _check(report, params):
    unknown = sorted(set(params) - set(PARAMETERS[report]))
    if unknown:
        raise BadRequest("unknown parameter(s) for %s: %s (known: %s)"
                         % (report, ", ".join(unknown), ", ".join(PARAMETERS[report])))


def _time(params, name, required=False):
    if name not in params:
        if required:
            raise BadRequest("the %s parameter is required: an ISO 8601 timestamp, e.g. 2026-03-01T00:00:00Z" % name)
        return None
    try:
        return schemas.parse_timestamp(params[name], LENIENT_TIMESTAMPS)
    except schemas.XAPIValidationError:
        raise BadRequest("%s must be an ISO 8601 timestamp with a time zone, e.g. 2026-03-01T00:00:00Z, got %r"
                         % (name, params[name])) from None


def _period(params, required=False):
    since, until = _time(params, "since", required), _time(params, "until", required)
    if since is not None and until is not None and since >= until:
        raise BadRequest("impossible period: since (%s) must be before until (%s)" % (params["since"], params["until"]))
    return since, until


def _choice(params, name, choices, default):
    value = params.get(name, default)
    if value not in choices:
        raise BadRequest("%s must be one of %s, got %r" % (name, ", ".join(choices), value))
    return value


def _flag(params, name):
    return _choice(params, name, ("true", "false"), "false") == "true"


def _activity(params, required):
    if "activity" not in params:
        if required:
            raise BadRequest("the activity parameter is required: the activity's IRI")
        return None
    return schema_value(schemas.validate_iri, params["activity"], "activity")


def learner(params, version):
    """({"agent": Agent} or {"person": Person}, [agent keys]) of the transcript's learner: `agent`, one xAPI
    Agent (JSON), or `person`, a Person object as GET /xapi/agents answers it (JSON: lists of mbox,
    mbox_sha1sum, openid, account), every identifier of which names the same learner."""
    given = [name for name in ("agent", "person") if name in params]
    if len(given) != 1:
        raise BadRequest("give the learner as exactly one of agent (an xAPI Agent, JSON) or person (a Person "
                         "object as GET /xapi/agents answers, JSON)")
    value = parse_json(params[given[0]], "the %s parameter" % given[0])
    if given[0] == "agent":
        agent = schema_value(schemas.validate_agent, value, version, False)
        return {"agent": agent}, [agent_key(agent)]
    if not isinstance(value, dict):
        raise BadRequest("person must be a JSON object, e.g. {\"mbox\": [\"mailto:ana@agency.gov\"]}")
    unknown = sorted(set(value) - set(IFI_PROPERTIES) - {"objectType", "name"})
    if unknown or value.get("objectType", "Person") != "Person":
        raise BadRequest("person: a Person object has objectType Person, name and the lists %s; not %s"
                         % (", ".join(IFI_PROPERTIES), ", ".join(unknown) or "objectType %r" % value["objectType"]))
    keys = []
    for name in IFI_PROPERTIES:
        identifiers = value.get(name, [])
        if not isinstance(identifiers, list):
            raise BadRequest("person: %s must be a list (as in a Person object)" % name)
        for identifier in identifiers:
            keys.append(agent_key(schema_value(schemas.validate_agent, {name: identifier}, version, False)))
    if not keys:
        raise BadRequest("person: a Person object needs at least one identifier (%s)" % ", ".join(IFI_PROPERTIES))
    return {"person": value}, keys


class ReportService:
    def __init__(self, storage, version):
        self.storage, self.version = storage, version

    # --- which stores -----------------------------------------------------------------------------

    def readable_stores(self, principal):
        """[StoreInfo] whose reports the credential may read: its own store, then those granted."""
        by_id = {store.id: store for store in self.storage.list_stores()}
        own = by_id.get(principal.store_id) or StoreInfo(principal.store_id, principal.store_id, 0)
        granted = [by_id[store_id] for store_id in self.storage.report_grants(principal.key)
                   if store_id in by_id and store_id != own.id]
        return [own] + granted

    def stores(self, principal, params):
        """[StoreInfo] the report reads: `stores` (names, comma-separated) or the credential's own store."""
        readable = self.readable_stores(principal)
        if "stores" not in params:
            return readable[:1]
        names = [name.strip() for name in params["stores"].split(",")]
        if not all(names):
            raise BadRequest("stores: store names separated by commas, e.g. stores=finance,health")
        by_name = {store.name: store for store in readable}
        refused = [name for name in names if name not in by_name]
        if refused:
            raise Forbidden("this credential may not read the reports of %s (an administrator can grant it: "
                            "python -m lrs reports grant)" % ", ".join(repr(name) for name in refused))
        return [by_name[name] for name in dict.fromkeys(names)]

    # --- the reports --------------------------------------------------------------------------------

    def transcript(self, principal, params, accept):
        """(media type, iterator of text chunks) of one learner's transcript."""
        _check("transcript", params)
        who, keys = learner(params, self.version)
        as_of = _time(params, "as_of")
        kind = _format(params, accept)
        stores = self.stores(principal, params)

        def lines():
            for store in stores:
                for line in transcript(self.storage, store.id, keys, load_rule(self.storage, store.id), as_of):
                    yield dict(store=store.name, **line.row())
        if kind == "csv":
            return "text/csv", _csv_rows(TRANSCRIPT_COLUMNS, ([row[c] for c in TRANSCRIPT_COLUMNS] for row in lines()))
        head = dict(who, stores=[store.name for store in stores])
        if as_of is not None:
            head["as_of"] = format_ms(as_of)
        return "application/json", _json_document(head, "activities", lines())

    def completions(self, principal, params, accept):
        """(media type, chunks) of the completions of one activity: a line per learner and activity, then
        (JSON) the summary."""
        _check("completions", params)
        activity = _activity(params, required=True)
        include_children = _flag(params, "include_children")
        since, until = _period(params)
        kind = _format(params, accept)
        report = completions(self.storage, self.stores(principal, params), activity, include_children, since, until)
        if kind == "csv":
            return "text/csv", _csv_rows(COMPLETION_COLUMNS, (
                [entry.learner_key if column == "learner" else row[column] for column in COMPLETION_COLUMNS]
                for entry, row in ((entry, entry.row()) for entry in report.lines())))
        head = {"activity": activity, "include_children": include_children,
                "stores": [store.name for store in report.stores], "since": _shown(since), "until": _shown(until)}
        return "application/json", _json_document(head, "lines", (entry.row() for entry in report.lines()),
                                                  lambda: {"summary": report.summary})

    def history(self, principal, params, accept):
        """(media type, chunks) of the completions in a period, by day, week or month."""
        _check("history", params)
        since, until = _period(params, required=True)
        by = _choice(params, "by", BY, "month")
        per = _choice(params, "per", PER, "store")
        activity = _activity(params, required=False)
        include_children = _flag(params, "include_children")
        if include_children and activity is None:
            raise BadRequest("include_children needs the activity parameter")
        kind = _format(params, accept)
        stores = self.stores(principal, params)

        def rows():
            yield from history(self.storage, stores, since, until, by, activity, include_children, per)
        if kind == "csv":
            return "text/csv", _csv_rows(HISTORY_COLUMNS, ([row[c] for c in HISTORY_COLUMNS] for row in rows()))
        head = {"since": _shown(since), "until": _shown(until), "by": by, "per": per, "activity": activity,
                "include_children": include_children, "stores": [store.name for store in stores]}
        return "application/json", _json_document(head, "periods", rows())


def _shown(ms):
    return None if ms is None else format_ms(ms)
