"""The web console at / (issue 14): server-rendered pages for administrators and auditors, no JavaScript.

Signing in checks a key and secret through the authenticator (its failure limits included) and
keeps the key, with a fingerprint of the credential's stored hash, in a signed session cookie
(HttpOnly, SameSite=Strict, Secure when served over HTTPS). Every request reads the credential
again: revoking it, rotating its secret, letting it expire or taking its admin scope away ends its
sessions at once. Every form carries a CSRF token. Every response forbids scripts and framing.
All actions go through the administration service (lrs/admin/service.py), as the CLI and the API do.

Two roles sign in: an administrator (the `admin` scope) sees every page; an auditor (a credential
with `reports/read` and without `admin`) sees only the report pages of its own store
(lrs/console/reports.py): every other page answers 403 to an auditor, and its navigation hides them.
"""
import hashlib
import hmac
import json
import secrets
from datetime import timedelta

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from schemas.versions import SUPPORTED_VERSIONS, XAPI_2_0_0

from ..admin.service import InvalidField, scope_choices
from ..auth import ADMIN_SCOPE
from ..errors import LRSError, TooManyRequests
from ..timeutil import now_ms
from .readable import describe

console = Blueprint("console", __name__, template_folder="templates", static_folder="static",
                    static_url_path="/console-static")

SESSION_SECRET_NAME = "console-session-key"
SESSION_HOURS = 8
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
OPEN_ENDPOINTS = {"console.sign_in", "console.static"}
AUDITOR_SCOPE = "reports/read"
# what an auditor may open; every other endpoint is an administrator's (a new page is closed to
# auditors unless it is named here)
AUDITOR_ENDPOINTS = {"console.home", "console.sign_out", "console.transcript", "console.transcript_evidence",
                     "console.completions", "console.history", "console.chart"}
FILTERS = ("agent", "verb", "activity", "registration", "related_activities", "related_agents", "since",
           "until", "ascending", "limit", "statementId", "voidedStatementId", "more")


class ConsoleSessions(SecureCookieSessionInterface):
    """Signed cookie sessions whose key is made once and kept in the database (every worker and replica
    accepts every session), Secure exactly when the request came over HTTPS."""

    def open_session(self, app, request):
        # opened before the URL is matched: the xAPI, the admin API, /health get no session (and
        # no database read for its key)
        try:
            endpoint = app.create_url_adapter(request).match()[0]
        except HTTPException:
            endpoint = ""
        if not endpoint.startswith("console."):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def get_signing_serializer(self, app):
        if not app.secret_key:
            storage = app.extensions["lrs"].storage
            app.secret_key = storage.get_or_create_secret(SESSION_SECRET_NAME, lambda: secrets.token_bytes(32))
        return super().get_signing_serializer(app)

    def get_cookie_secure(self, app):
        return request.is_secure


def init_app(app):
    app.session_interface = ConsoleSessions()
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
                      SESSION_COOKIE_NAME="lrs_console", PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS))
    app.register_blueprint(console)


def _services():
    return current_app.extensions["lrs"]


def _fingerprint(secret_hash):
    return hashlib.sha256(secret_hash.encode("utf-8")).hexdigest()[:32]


def _signed_in():
    """The credential of the session, read again now; None (and the session ended) when it no longer may."""
    key = session.get("key")
    if not key:
        return None
    credential = _services().storage.get_credential(key)
    if (credential is None or credential.revoked or not hmac.compare_digest(
            _fingerprint(credential.secret_hash), session.get("hash", ""))
            or (credential.expires_ms is not None and credential.expires_ms <= now_ms())
            or role_of(credential) is None):
        session.clear()
        return None
    return credential


def role_of(credential):
    """"admin", "auditor" or None (may not use the console) for a credential or a Principal."""
    if credential.admin or ADMIN_SCOPE in credential.scopes:
        return "admin"
    return "auditor" if AUDITOR_SCOPE in credential.scopes else None


def csrf_token():
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@console.app_template_global()
def console_csrf_token():
    return csrf_token()


@console.before_request
def _guard():
    if request.method == "POST":
        sent = request.form.get("csrf", "")
        if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
            abort(400, "the form was out of date or not sent by this console; reload the page and try again")
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    g.credential = _signed_in()
    if g.credential is None:
        return redirect(url_for("console.sign_in"))
    g.role = role_of(g.credential)
    if g.role != "admin" and request.endpoint not in AUDITOR_ENDPOINTS:
        abort(403, "This page is for administrators; an auditor's credential opens the reports only.")
    return None


@console.after_request
def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():      # a chart (an image) sets its own policy and caching
        response.headers.setdefault(name, value)
    return response


@console.errorhandler(LRSError)
def _service_error(error):
    return render_template("console/error.html", message=error.message), error.status


@console.errorhandler(400)
@console.errorhandler(403)
@console.errorhandler(404)
def _refused(error):
    return _page("error.html", error.code, message=error.description)


def _page(template, status=200, **values):
    return render_template("console/%s" % template, signed_in=getattr(g, "credential", None),
                           role=getattr(g, "role", None), **values), status


# --- signing in and out -----------------------------------------------------------------------------

def _start_page(role):
    return url_for("console.stores" if role == "admin" else "console.transcript")


@console.route("/", methods=["GET"])
def home():
    return redirect(_start_page(g.role))


@console.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if request.method == "GET":
        return _page("sign_in.html")
    key = request.form.get("key", "").strip()
    try:
        principal = _services().authenticator.verify(key, request.form.get("secret", ""), request.remote_addr)
    except TooManyRequests as error:
        return _page("sign_in.html", 429, error="Too many failed attempts. Try again in %s seconds."
                     % error.retry_after, key=key)
    except LRSError:
        return _page("sign_in.html", 401, error="Unknown key or wrong secret.", key=key)
    role = role_of(principal)
    if role is None:
        return _page("sign_in.html", 403, error="This credential has neither the admin scope (administrators) "
                     "nor the reports/read scope (auditors) that the console needs.", key=key)
    credential = _services().storage.get_credential(principal.key)
    session.clear()                                   # a fresh session: no fixation
    session.permanent = True
    session.update(key=principal.key, hash=_fingerprint(credential.secret_hash), csrf=secrets.token_urlsafe(32))
    return redirect(_start_page(role))


@console.route("/sign-out", methods=["POST"])
def sign_out():
    session.clear()
    return redirect(url_for("console.sign_in"))


# --- stores -------------------------------------------------------------------------------------------

def admin():
    return _services().admin


def _by():
    """Who the audit chain names for an act done in the console: the signed-in credential's key."""
    return g.credential.key


@console.route("/stores", methods=["GET", "POST"])
def stores():
    errors, status = {}, 200
    if request.method == "POST":
        try:
            admin().create_store(request.form.get("name", ""), by=_by())
            return redirect(url_for("console.stores"))
        except InvalidField as error:
            errors, status = {error.field: error.reason}, 400
    return _page("stores.html", status, stores=admin().list_stores(), errors=errors, form=request.form)


@console.route("/stores/<name>/rename", methods=["POST"])
def rename_store(name):
    try:
        admin().rename_store(name, request.form.get("name", ""), by=_by())
    except InvalidField as error:
        return _page("stores.html", 400, stores=admin().list_stores(), errors={"rename-" + name: error.reason},
                     form={})
    return redirect(url_for("console.stores"))


# --- credentials ----------------------------------------------------------------------------------------

def _own_store():
    """The name of the signed-in credential's store: what the forms choose unless told otherwise."""
    return next((s["name"] for s in admin().list_stores(usage=False) if s["id"] == g.credential.store_id), "")


def _credentials_page(status=200, errors=None, created=None, form=None):
    store = request.args.get("store") or None
    return _page("credentials.html", status, credentials=admin().list_credentials(store), store=store,
                 own_store=_own_store(),
                 stores=admin().list_stores(usage=False), scopes=scope_choices(), errors=errors or {},
                 created=created, form=form or {})


@console.route("/credentials", methods=["GET", "POST"])
def credentials():
    if request.method == "GET":
        return _credentials_page()
    form = request.form
    try:
        view, secret = admin().create_credential(form.get("store", ""), name=form.get("name", ""),
                                                 scopes=form.getlist("scopes"), expires=form.get("expires") or None,
                                                 by=_by())
    except InvalidField as error:
        return _credentials_page(400, {error.field: error.reason}, form=form)
    return _credentials_page(201, created=dict(view, secret=secret, action="created"))


@console.route("/credentials/<key>/revoke", methods=["POST"])
def revoke_credential(key):
    admin().revoke_credential(key, by=_by())
    return redirect(url_for("console.credentials"))


@console.route("/credentials/<key>/rotate", methods=["POST"])
def rotate_secret(key):
    view, secret = admin().rotate_secret(key, by=_by())
    return _credentials_page(created=dict(view, secret=secret, action="rotated"))


@console.route("/credentials/<key>", methods=["GET", "POST"])
def edit_credential(key):
    errors, status = {}, 200
    if request.method == "POST":
        form = request.form
        try:
            admin().update_credential(key, name=form.get("name", ""), scopes=form.getlist("scopes"),
                                      expires=form.get("expires") or None, by=_by())
            return redirect(url_for("console.credentials"))
        except InvalidField as error:
            errors, status = {error.field: error.reason}, 400
    credential = admin().get_credential(key)
    return _page("credential.html", status, credential=credential, scopes=scope_choices(), errors=errors,
                 expires_date=(credential["expires"] or "")[:10])


# --- statements -----------------------------------------------------------------------------------------

def statement_row(statement, **marks):
    """What a page shows of a statement: the statement, its line of text and its JSON (and `marks`)."""
    return dict(marks, statement=statement, text=describe(statement),
                json=json.dumps(statement, indent=2, ensure_ascii=False))


@console.route("/statements", methods=["GET"])
def statements():
    stores = admin().list_stores(usage=False)
    store = request.args.get("store") or _own_store()
    params = {name: request.args.get(name, "") for name in FILTERS}
    for flag in ("related_activities", "related_agents", "ascending"):
        params[flag] = "true" if params[flag] else ""
    if params["more"]:
        params = {"more": params["more"]}
    elif not (params["statementId"] or params["voidedStatementId"]):
        params["limit"] = params["limit"] or "25"
    found, error = {"statements": [], "more": "", "voided": False}, None
    try:
        found = admin().find_statements(store, params,
                                        lambda token: url_for("console.statements", store=store, more=token))
    except LRSError as failure:
        error = failure.message
    rows = [statement_row(s, voided=found["voided"],
                          voids=s.get("verb", {}).get("id") == "http://adlnet.gov/expapi/verbs/voided")
            for s in found["statements"]]
    return _page("statements.html", 400 if error else 200, stores=stores, store=store, params=params,
                 rows=rows, more=found["more"], error=error)


# --- forwarding -----------------------------------------------------------------------------------------

FORWARDING_FIELDS = ("store", "name", "target", "to_store", "endpoint", "key", "version")
FILTER_FIELDS = ("verb", "activity", "agent", "registration")


def _forwarding_page(status=200, errors=None, form=None):
    states = admin().forwarding_states()
    letters = {(s["store"], s["name"]): admin().dead_letters(s["store"], s["name"]) if s["dead"] else []
               for s in states}
    return _page("forwarding.html", status, states=states, letters=letters, stores=admin().list_stores(usage=False),
                 own_store=_own_store(), versions=SUPPORTED_VERSIONS, errors=errors or {},
                 form=form or {"target": "store", "version": XAPI_2_0_0, "check": True})


@console.route("/forwarding", methods=["GET", "POST"])
def forwarding():
    if request.method == "GET":
        return _forwarding_page()
    form = {name: request.form.get(name, "").strip() for name in FORWARDING_FIELDS + FILTER_FIELDS}
    form.update({flag: bool(request.form.get(flag)) for flag in ("related_activities", "related_agents", "check")})
    rule_filter = {name: form[name] for name in FILTER_FIELDS if form[name]}
    rule_filter.update({flag: "true" for flag in ("related_activities", "related_agents") if form[flag]})
    target = ({"to_store": form["to_store"]} if form["target"] == "store" else
              {"endpoint": form["endpoint"], "key": form["key"], "secret": request.form.get("secret", ""),
               "version": form["version"], "check": form["check"]})
    try:
        admin().add_forwarding_rule(form["store"], form["name"], filter=rule_filter, by=_by(), **target)
    except InvalidField as error:            # the page again, with the error; the secret is never sent back
        return _forwarding_page(400, {error.field: error.reason}, form)
    return redirect(url_for("console.forwarding"))


def _rule_action(action):
    def handler(store, rule):
        getattr(admin(), "%s_forwarding_rule" % action)(store, rule, by=_by())
        return redirect(url_for("console.forwarding"))
    return handler


for _action in ("pause", "resume", "remove"):
    console.add_url_rule("/forwarding/<store>/<rule>/%s" % _action, "%s_forwarding_rule" % _action,
                         _rule_action(_action), methods=["POST"])


@console.route("/forwarding/<store>/<rule>/retry", methods=["POST"])
def retry_dead_letters(store, rule):
    admin().retry_dead_letters(store, rule)
    return redirect(url_for("console.forwarding"))


from . import reports  # noqa: E402,F401  (the report pages register on the blueprint above)
