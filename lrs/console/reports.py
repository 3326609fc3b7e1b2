"""The console's report pages (issue 14, from the auditors' reports of issue 13): a learner's
transcript with the statements behind each line.

An auditor (reports/read) sees its own store's reports; an administrator chooses the store. The
learner is given as a person knows them (an email address, an account, an OpenID) and turned into
an xAPI Agent here; the reports themselves are computed in lrs/reports, never here.
"""
import json

from flask import abort, g, request, url_for

from ..errors import BadRequest
from ..reports.evidence import learner_transcript, line_evidence
from . import _own_store, _page, _services, admin, console
from .readable import describe, seconds_text

# how a learner is identified, in the order the form offers them
LEARNER_KINDS = (("mbox", "Email address"), ("account", "Account on a system"), ("openid", "OpenID URL"),
                 ("mbox_sha1sum", "SHA-1 of the mailto: address"))
LEARNER_FIELDS = ("kind", "id", "home_page")


def report_store():
    """(the chosen store {"id", "name"}, [stores the signed-in person may choose]): an auditor's own
    store only; an administrator's choice (`store`), their own store unless told."""
    stores = admin().list_stores(usage=False)
    if g.role != "admin":
        own = next((s for s in stores if s["id"] == g.credential.store_id),
                   {"id": g.credential.store_id, "name": g.credential.store_id})
        return own, [own]
    name = request.args.get("store") or _own_store()
    chosen = next((s for s in stores if s["name"] == name), None)
    if chosen is None:
        abort(404, "There is no store named %r." % name)
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
    return {"activity": line.activity, "name": line.name, "first": line.row()["first_attempt"],
            "last": line.row()["last_attempt"], "completed": line.row()["completed"],
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
            rows = [_row(line) for line in learner_transcript(_services().storage, store["id"], agent, _version())]
    except BadRequest as error:
        form = {name: request.args.get(name, "") for name in LEARNER_FIELDS}
        errors, status = {error.details.get("field", "id"): error.message}, 400
    return _page("transcript.html", status, store=store, stores=stores, form=form, kinds=LEARNER_KINDS,
                 rows=rows, searched=agent is not None and not errors, errors=errors,
                 learner=dict(form, store=store["name"]))


@console.route("/transcript/evidence", methods=["GET"])
def transcript_evidence():
    store, _ = report_store()
    activity = request.args.get("activity", "")
    try:
        agent, form = learner_form()
        if agent is None:
            raise BadRequest("name the learner")
        line, statements = line_evidence(_services().storage, store["id"], agent, activity, _version())
    except BadRequest as error:
        abort(400, error.message)
    if line is None:
        abort(404, "This learner has no statement about that activity in store %s." % store["name"])
    rows = [{"statement": s, "text": describe(s), "json": json.dumps(s, indent=2, ensure_ascii=False)}
            for s in statements]
    return _page("evidence.html", store=store, line=_row(line), rows=rows,
                 back=url_for("console.transcript", store=store["name"], **{k: v for k, v in form.items() if v}))
