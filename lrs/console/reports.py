"""The console's report pages (issue 14, from the auditors' reports of issue 13): a learner's
transcript with the statements behind each line, the completions of an activity and completions
over time, with their charts (lrs/console/charts.py).

An auditor (reports/read) reads its own store's reports and those of the stores granted to its key;
an administrator reads every store's. The learner is given as a person knows them (an email
address, an account, an OpenID) and turned into an xAPI Agent here, dates into milliseconds; the
reports themselves are computed in lrs/reports, never here.
"""
import math
import threading
from collections import OrderedDict
from datetime import date, datetime, timedelta, timezone

from flask import Response, abort, current_app, g, request, url_for

from ..errors import BadRequest
from ..reports.completions import BY, completion_rates, completions as completions_report, history as history_report
from ..reports.evidence import learner_transcript, line_evidence
from ..reports.rule import RULE_SETTING
from . import _page, _services, console, statement_row
from . import charts
from .readable import actor_text, seconds_text

# how a learner is identified, in the order the form offers them
LEARNER_KINDS = (("mbox", "Email address"), ("account", "Account on a system"), ("openid", "OpenID URL"),
                 ("mbox_sha1sum", "SHA-1 of the mailto: address"))
LEARNER_FIELDS = ("kind", "id", "home_page")


def report_stores():
    """[StoreInfo] whose reports the signed-in person may read: every store for an administrator; for an
    auditor its own store and those granted to its key (issue 13's rule, lrs/reports/service.py)."""
    if g.role == "admin":
        return _services().storage.list_stores()
    return _services().reports.readable_stores(g.credential)


def report_store():
    """(the StoreInfo chosen by `store`, else the signed-in credential's own; [StoreInfo] to choose from)."""
    stores = report_stores()
    name = request.args.get("store")
    if not name:
        return next((s for s in stores if s.id == g.credential.store_id), stores[0]), stores
    chosen = next((s for s in stores if s.name == name), None)
    if chosen is None:
        abort(404, "There is no store named %r whose reports you may read." % name)
    return chosen, stores


def learner_form():
    """(the learner as an xAPI Agent, or None when none was asked for; the form's values)."""
    form = {name: request.args.get(name, "").strip() for name in LEARNER_FIELDS}
    form["kind"] = form["kind"] or "mbox"
    value = form["id"]
    if not value:
        return None, form
    kind = form["kind"]
    if kind == "mbox":
        return {"mbox": value if value.startswith("mailto:") else "mailto:" + value}, form
    if kind == "account":
        return {"account": {"homePage": form["home_page"], "name": value}}, form
    if kind in ("openid", "mbox_sha1sum"):
        return {kind: value}, form
    raise BadRequest("choose how the learner is identified", field="kind")


def learner_query(agent):
    """The transcript form's values that find `agent` (a statement's actor): for links to it."""
    for kind in ("mbox", "openid", "mbox_sha1sum"):
        if isinstance(agent.get(kind), str):
            value = agent[kind]
            return {"kind": kind, "id": value[len("mailto:"):] if kind == "mbox" else value}
    account = agent.get("account") if isinstance(agent.get("account"), dict) else {}
    return {"kind": "account", "id": account.get("name", ""), "home_page": account.get("homePage", "")}


def _percent(value):
    return "" if value is None else "%d%%" % round(value * 100)


def _row(line):
    shown = line.row()
    return {"activity": line.activity, "name": line.name, "first": shown["first_attempt"],
            "last": shown["last_attempt"], "completed": shown["completed"],
            "outcome": {True: "passed", False: "failed"}.get(line.success, ""),
            "best": _percent(line.best_scaled), "latest": _percent(line.latest_scaled),
            "time": seconds_text(line.duration_seconds) if line.duration_seconds else "",
            "attempts": line.attempts, "statements": len(line.statements)}


def _version():
    return _services().settings.fallback_xapi_version


@console.route("/transcript", methods=["GET"])
def transcript():
    store, stores = report_store()
    rows, errors, status, agent = [], {}, 200, None
    try:
        agent, form = learner_form()
        if agent is not None:
            rows = [_row(line) for line in learner_transcript(_services().storage, store.id, agent, _version())]
    except BadRequest as error:
        form = {name: request.args.get(name, "") for name in LEARNER_FIELDS}
        errors, status = {error.details.get("field", "id"): error.message}, 400
    return _page("transcript.html", status, store=store, stores=stores, form=form, kinds=LEARNER_KINDS,
                 rows=rows, searched=agent is not None and not errors, errors=errors,
                 learner=dict(form, store=store.name))


@console.route("/transcript/evidence", methods=["GET"])
def transcript_evidence():
    store, _ = report_store()
    activity = request.args.get("activity", "")
    try:
        agent, form = learner_form()
        if agent is None:
            raise BadRequest("name the learner")
        line, statements = line_evidence(_services().storage, store.id, agent, activity, _version())
    except BadRequest as error:
        abort(400, error.message)
    if line is None:
        abort(404, "This learner has no statement about that activity in store %s." % store.name)
    return _page("evidence.html", store=store, line=_row(line), rows=[statement_row(s) for s in statements],
                 back=url_for("console.transcript", store=store.name, **{k: v for k, v in form.items() if v}))


# --- completions and history ---------------------------------------------------------------------------

PAGE_LINES = 100         # lines of a completions table per page (the figures count them all)
RATE_BARS = 50           # activities drawn in the chart of completion rates
HISTORY_SPAN = {"day": timedelta(days=30), "week": timedelta(weeks=12), "month": timedelta(days=365)}


def _day_ms(text, field, end=False):
    """Milliseconds at the start of the day (or the end, inclusive, with `end`) of a YYYY-MM-DD field."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadRequest("a date as YYYY-MM-DD, e.g. 2026-03-01", field=field) from None
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + (timedelta(days=1) if end else timedelta())
    return int(start.timestamp() * 1000) - 1          # since is exclusive; until is inclusive


def _period(form, default_span=None):
    """(since_ms, until_ms) of the form's from/to dates (None when not given, unless default_span: then
    the span up to today)."""
    if default_span is not None:
        today = datetime.now(timezone.utc).date()
        form["to"] = form["to"] or today.isoformat()
        form["from"] = form["from"] or (today - default_span).isoformat()
    since = _day_ms(form["from"], "from") if form["from"] else None
    until = _day_ms(form["to"], "to", end=True) if form["to"] else None
    if since is not None and until is not None and since >= until:
        raise BadRequest("must be on or before the end of the period", field="from")
    return since, until


def _report_form(*extra):
    form = {name: request.args.get(name, "").strip() for name in ("activity", "from", "to") + extra}
    form["children"] = bool(request.args.get("children")) or "activity" not in request.args
    return form


def _completion_row(entry, store):
    row = entry.row()
    return {"learner": actor_text(entry.learner), "transcript": url_for(
                "console.transcript", store=store.name, **learner_query(entry.learner)),
            "activity": row["activity"], "name": row["name"], "status": row["status"],
            "best": _percent(row["best_scaled"]), "attempts": row["attempts"], "last": row["last_attempt"],
            "to_complete": seconds_text(row["seconds_to_complete"]) if row["seconds_to_complete"] is not None
            else ""}


class ReportCache:
    """The latest report results of this process, so that paging through a table, coming back to a page
    or drawing its charts does not compute the report again. A report depends only on its store's
    committed statements (lrs/reports/scan.py reads up to the last seq when it starts), the store's
    completion rule and its parameters: the key holds all three, so a new statement or a new rule
    makes a new entry and nothing stale is ever shown."""

    def __init__(self, size=16):
        self.size, self.entries, self.lock = size, OrderedDict(), threading.Lock()

    @staticmethod
    def of_app():
        return current_app.extensions.setdefault("console-report-cache", ReportCache())

    def get(self, storage, store, name, params, compute):
        key = (name, store.id, storage.last_seq(store.id), storage.get_store_setting(store.id, RULE_SETTING), params)
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        value = compute()
        with self.lock:
            self.entries[key] = value
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return value


def _completions(store, activity, children, since, until):
    """([CompletionLine], summary, completion rate per activity) of the report, from the cache when it is there."""
    storage = _services().storage

    def compute():
        report = completions_report(storage, [store], activity, children, since, until)
        entries = list(report.lines())
        return entries, report.summary, completion_rates(entries)
    return ReportCache.of_app().get(storage, store, "completions", (activity, children, since, until), compute)


def _history(store, since, until, by, activity, children):
    storage = _services().storage
    return ReportCache.of_app().get(storage, store, "history", (since, until, by, activity, children), lambda: (
        history_report(storage, [store], since, until, by, activity, children)))


def _offset():
    try:
        return max(0, int(request.args.get("offset", "0")))
    except ValueError:
        abort(400, "offset: a whole number of lines to skip")


@console.route("/completions", methods=["GET"])
def completions():
    store, stores = report_store()
    form, errors, status, found = _report_form(), {}, 200, None
    try:
        since, until = _period(form)
        offset = _offset()
        if form["activity"]:
            entries, summary, rates = _completions(store, form["activity"], form["children"], since, until)
            shown = entries[offset:offset + PAGE_LINES]
            found = {"summary": summary, "rows": [_completion_row(e, store) for e in shown], "offset": offset,
                     "total": len(entries), "rates": rates,
                     "next": offset + PAGE_LINES if offset + PAGE_LINES < len(entries) else None,
                     "scores": url_for("console.chart", kind="scores",
                                       count=[b["count"] for b in summary["score_distribution"]]),
                     # the chart's URL stays short (under gunicorn's 8 KB request line): the first RATE_BARS
                     # activities, their names cut as the chart would show them
                     "rates_chart": url_for("console.chart", kind="rates",
                                            name=[name[:charts.LABEL] for name, _ in rates[:RATE_BARS]],
                                            rate=[rate for _, rate in rates[:RATE_BARS]]),
                     "rates_cut": max(0, len(rates) - RATE_BARS),
                     "median": seconds_text(summary["median_seconds_to_complete"])
                     if summary["median_seconds_to_complete"] is not None else "—"}
    except BadRequest as error:
        errors, status = {error.details.get("field", "activity"): error.message}, 400
    return _page("completions.html", status, store=store, stores=stores, form=form, errors=errors, found=found,
                 percent=_percent)


@console.route("/history", methods=["GET"])
def history():
    store, stores = report_store()
    form, errors, status, rows, chart = _report_form("by"), {}, 200, None, None
    form["by"] = form["by"] or "month"
    try:
        if form["by"] not in BY:
            raise BadRequest("day, week or month", field="by")
        since, until = _period(form, HISTORY_SPAN[form["by"]])
        if form["activity"]:
            rows = _history(store, since, until, form["by"], form["activity"], form["children"])
            chart = url_for("console.chart", kind="history", **{name: [row[column] for row in rows] for name, column in (
                ("period", "period"), ("completed", "completions"), ("passed", "passed"), ("failed", "failed"))})
    except BadRequest as error:
        errors, status = {error.details.get("field", "activity"): error.message}, 400
    return _page("history.html", status, store=store, stores=stores, form=form, errors=errors, rows=rows,
                 chart=chart, periods=BY)


# --- the charts: images drawn from the numbers in their URL -------------------------------------------

MAX_BARS = 400
CHART_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
                 "Cache-Control": "private, max-age=86400"}       # a pure function of its URL


def _numbers(name, kind=int, low=0, high=None, count=None):
    values = request.args.getlist(name)
    if len(values) > MAX_BARS or (count is not None and len(values) != count):
        abort(400, "%s: %s numbers" % (name, count if count is not None else "at most %d" % MAX_BARS))
    try:
        numbers = [kind(value) for value in values]
    except ValueError:
        abort(400, "%s: numbers only" % name)
    if any(not math.isfinite(n) or n < low or (high is not None and n > high) for n in numbers):
        abort(400, "%s: numbers from %s%s" % (name, low, " to %s" % high if high is not None else " up"))
    return numbers


def _labels(name, count):
    labels = request.args.getlist(name)
    if len(labels) != count or any(len(label) > 300 for label in labels):
        abort(400, "%s: one label (at most 300 characters) per bar" % name)
    return labels


@console.route("/charts/<kind>.svg", methods=["GET"])
def chart(kind):
    """A report's chart as an SVG image, drawn from the numbers in the URL (no store is read)."""
    if kind == "scores":
        drawn = charts.score_distribution(_numbers("count", count=10))
    elif kind == "rates":
        rates = _numbers("rate", float, high=1)
        drawn = charts.completion_rates(_labels("name", len(rates)), rates)
    elif kind == "history":
        completed = _numbers("completed")
        drawn = charts.completions_over_time(_labels("period", len(completed)), completed,
                                             _numbers("passed", count=len(completed)),
                                             _numbers("failed", count=len(completed)))
    else:
        abort(404, "There is no chart named %r (scores, rates, history)." % kind)
    return Response(charts.svg(drawn), mimetype="image/svg+xml", headers=CHART_HEADERS)
