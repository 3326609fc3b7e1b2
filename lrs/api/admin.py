"""/admin/api/: the administration HTTP API (issue 14), JSON in and out.

Every request needs HTTP Basic credentials (401 without or with wrong ones, the failure limits of
lrs/throttle.py included) of a credential with the `admin` scope (403 for any other). The handlers
only translate HTTP to the administration service (lrs/admin/service.py), which the command line
and the console share. Bad input is 400 with a message that starts with the field's name, and the
field in `error.field`.
"""
from flask import Blueprint, g, jsonify, request, url_for

from ..admin.service import UNCHANGED, InvalidField, scope_choices
from ..errors import BadRequest, Forbidden, LRSError
from ..reports.rule import FLAGS, VERB_LISTS
from . import INERT_CONTENT_HEADERS, _lrs_error, lrs
from .params import parameters

admin_api = Blueprint("admin_api", __name__, url_prefix="/admin/api")


@admin_api.before_request
def _administrator_only():
    services = lrs()
    principal = services.authenticator.authenticate(request.headers.get("Authorization"), request.remote_addr)
    if not principal.administrator:
        raise Forbidden("this credential lacks the admin scope that administration needs")
    g.principal = principal


@admin_api.after_request
def _headers(response):
    response.headers.update(INERT_CONTENT_HEADERS)
    response.headers["Cache-Control"] = "no-store"          # secrets are shown once
    return response


@admin_api.errorhandler(LRSError)
def _error(error):
    response = _lrs_error(error)
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="LRS administration"'
    if isinstance(error, InvalidField):
        body = response.get_json()
        body["error"]["field"] = error.field
        response.set_data(jsonify(body).get_data())
    return _headers(response)


def _body(allowed, required=()):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("body: a JSON object is expected (Content-Type: application/json)")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise InvalidField(unknown[0], "unknown field; allowed: %s" % ", ".join(allowed))
    for name in required:
        if name not in body:
            raise InvalidField(name, "required")
    return body


def admin():
    return lrs().admin


def _by():
    """Who the audit chain names for an act done through this API: the credential's key."""
    return g.principal.key


# --- scopes and stores ------------------------------------------------------------------------------

@admin_api.route("/scopes", methods=["GET"])
def scopes():
    return jsonify([{"scope": scope, "allows": allows} for scope, allows in scope_choices()])


@admin_api.route("/stores", methods=["GET"])
def list_stores():
    return jsonify(admin().list_stores())


@admin_api.route("/stores", methods=["POST"])
def create_store():
    body = _body(("name",), required=("name",))
    return jsonify(admin().create_store(body["name"], by=_by())), 201


@admin_api.route("/stores/<name>", methods=["GET"])
def get_store(name):
    return jsonify(admin().get_store(name))


@admin_api.route("/stores/<name>", methods=["PATCH"])
def rename_store(name):
    body = _body(("name",), required=("name",))
    return jsonify(admin().rename_store(name, body["name"], by=_by()))


@admin_api.route("/stores/<name>/statements", methods=["GET"])
def find_statements(name):
    """The store's statements selected by the xAPI query parameters (as GET /xapi/statements)."""
    found = admin().find_statements(
        name, parameters(), lambda token: url_for("admin_api.find_statements", name=name, more=token))
    return jsonify(found)


@admin_api.route("/stores/<name>/erasures", methods=["POST"])
def erase_learner(name):
    """Erase a learner from the store (issue 13): {"agent": an xAPI Agent}; what was erased."""
    body = _body(("agent",), required=("agent",))
    return jsonify(admin().erase_learner(name, body["agent"], by=_by())), 201


# --- credentials --------------------------------------------------------------------------------------

@admin_api.route("/credentials", methods=["GET"])
def list_credentials():
    return jsonify(admin().list_credentials(request.args.get("store")))


@admin_api.route("/credentials", methods=["POST"])
def create_credential():
    body = _body(("store", "name", "scopes", "expires"), required=("store", "scopes"))
    view, secret = admin().create_credential(body["store"], name=body.get("name", ""), scopes=body["scopes"],
                                             expires=body.get("expires"), by=_by())
    return jsonify(dict(view, secret=secret)), 201


@admin_api.route("/credentials/<key>", methods=["GET"])
def get_credential(key):
    return jsonify(admin().get_credential(key))


@admin_api.route("/credentials/<key>", methods=["PATCH"])
def update_credential(key):
    body = _body(("name", "scopes", "expires"))
    return jsonify(admin().update_credential(key, by=_by(), **{name: body.get(name, UNCHANGED) for name in body}))


@admin_api.route("/credentials/<key>/revoke", methods=["POST"])
def revoke_credential(key):
    return jsonify(admin().revoke_credential(key, by=_by()))


@admin_api.route("/credentials/<key>/rotate", methods=["POST"])
def rotate_secret(key):
    view, secret = admin().rotate_secret(key, by=_by())
    return jsonify(dict(view, secret=secret))


# --- forwarding -----------------------------------------------------------------------------------------

@admin_api.route("/forwarding", methods=["GET"])
def forwarding_states():
    return jsonify(admin().forwarding_states(request.args.get("store")))


@admin_api.route("/forwarding", methods=["POST"])
def add_forwarding_rule():
    body = _body(("store", "name", "filter", "to_store", "endpoint", "key", "secret", "version", "check"),
                 required=("store", "name"))
    options = {name: body[name] for name in ("filter", "to_store", "endpoint", "key", "secret", "version", "check")
               if name in body}
    return jsonify(admin().add_forwarding_rule(body["store"], body["name"], by=_by(), **options)), 201


def _rule_action(action):
    def handler(store, rule):
        getattr(admin(), "%s_forwarding_rule" % action)(store, rule, by=_by())
        return jsonify({"store": store, "name": rule, "done": action})
    return handler


for _action in ("pause", "resume"):
    admin_api.add_url_rule("/forwarding/<store>/<rule>/%s" % _action, "forwarding_%s" % _action,
                           _rule_action(_action), methods=["POST"])
admin_api.add_url_rule("/forwarding/<store>/<rule>", "forwarding_remove", _rule_action("remove"),
                       methods=["DELETE"])


@admin_api.route("/forwarding/<store>/<rule>/dead-letters", methods=["GET"])
def dead_letters(store, rule):
    return jsonify(admin().dead_letters(store, rule))


@admin_api.route("/forwarding/<store>/<rule>/dead-letters/retry", methods=["POST"])
def retry_dead_letters(store, rule):
    body = _body(("seqs",)) if request.content_length else {}
    return jsonify({"retried": admin().retry_dead_letters(store, rule, body.get("seqs"))})


# --- reports (issue 13) -----------------------------------------------------------------------------------

@admin_api.route("/stores/<name>/completion-rule", methods=["GET"])
def completion_rule(name):
    return jsonify(admin().completion_rule(name))


@admin_api.route("/stores/<name>/completion-rule", methods=["PUT"])
def set_completion_rule(name):
    """The body's fields replace those of the default rule (lrs/reports/rule.py)."""
    body = _body(VERB_LISTS + FLAGS)
    return jsonify(admin().set_completion_rule(name, body, by=_by()))


@admin_api.route("/stores/<name>/completion-rule", methods=["DELETE"])
def reset_completion_rule(name):
    return jsonify(admin().set_completion_rule(name, None, by=_by()))


@admin_api.route("/credentials/<key>/report-stores", methods=["GET"])
def report_grants(key):
    return jsonify(admin().report_grants(key))


@admin_api.route("/credentials/<key>/report-stores", methods=["PUT"])
def set_report_grants(key):
    body = _body(("stores",), required=("stores",))
    return jsonify(admin().set_report_grants(key, body["stores"], by=_by()))
