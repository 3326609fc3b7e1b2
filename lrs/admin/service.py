"""The administration service: stores, credentials, forwarding state and a statement look-up.

The command line (lrs/__main__.py), the admin HTTP API (lrs/api/admin.py) and the web console
(lrs/console/) all call this class; every rule of administration (what a valid store name, scope
list or expiry is, that a secret is shown once, that revoking or rotating takes effect at once in
this process) is here and nowhere else. No Flask.

Errors are lrs.errors types; bad input is `InvalidField`, a BadRequest that names the field, so
that the API can say which one and the console can show the message next to it.
"""
import json
import re
from datetime import date, datetime, timedelta, timezone

import schemas
from schemas.versions import XAPI_2_0_0

from ..audit import acts
from ..auth import (ADMIN_SCOPE, DEFAULT_SCOPES, SCOPES, Principal, create_credential, hash_generated_secret,
                    new_key, new_secret, parse_scopes)
from ..errors import BadRequest, ConfigError, Conflict, NotFound
from ..reports.rule import DEFAULT_RULE, load_rule, parse_rule, save_rule
from ..store import UnchainedStatements
from ..timeutil import format_ms, now_ms
from ..xapi.agents import agent_key
from ..xapi.jsonbody import parse_json
from ..xapi.query import CURSOR_PARAMETER, parse_statement_request

# What each scope allows, for people choosing them (the console's checkboxes, the API's /scopes).
SCOPE_HELP = {
    "statements/write": "send statements",
    "statements/read": "read every statement of the store",
    "statements/read/mine": "read the statements this credential sent",
    "all/read": "read everything in the store: statements, documents, activities, agents",
    "all": "everything xAPI allows in the store (not administration)",
    "state": "read and write State documents",
    "define": "define activities (their definitions are merged from statements)",
    "profile": "read and write activity and agent profiles",
    "reports/read": "read the auditors' reports and signed checkpoints of the store (no statement access)",
    ADMIN_SCOPE: "administer the LRS: every store, credential and forwarding rule (this console)",
}
STORE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
MAX_NAME = 200
UNCHANGED = object()


class InvalidField(BadRequest):
    """Bad input for one named field."""

    def __init__(self, field, message):
        super().__init__("%s: %s" % (field, message))
        self.field = field
        self.reason = message


def parse_expiry(value, now=None):
    """Milliseconds for an expiry given as an ISO 8601 date (valid through that day, UTC) or date and
    time (UTC unless it says otherwise); None for no expiry (None or ''). InvalidField otherwise."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidField("expires", "an ISO 8601 date or date and time, e.g. 2027-06-30, or null")
    text = value.strip()
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text) + timedelta(days=1), datetime.min.time(),
                                      timezone.utc)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
    except ValueError:
        raise InvalidField("expires", "not an ISO 8601 date or date and time: %r" % value) from None
    ms = int(moment.timestamp() * 1000)
    if ms <= (now if now is not None else now_ms()):
        raise InvalidField("expires", "must be in the future")
    return ms


def _name(value, field="name"):
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidField(field, "must be text")
    value = value.strip()
    if len(value) > MAX_NAME:
        raise InvalidField(field, "at most %d characters" % MAX_NAME)
    return value


def _scopes(value):
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, (list, tuple)) or not all(isinstance(s, str) for s in value):
        raise InvalidField("scopes", "a list of scope names")
    if not value:
        raise InvalidField("scopes", "choose at least one scope")
    try:
        return list(dict.fromkeys(parse_scopes(" ".join(value))))
    except ValueError as error:
        raise InvalidField("scopes", str(error)) from None


def _store_name(value, field="name"):
    if not isinstance(value, str) or not STORE_NAME.match(value.strip()):
        raise InvalidField(field, "a store name is 1 to 64 letters, digits, '.', '_' or '-', starting with a "
                                  "letter or digit")
    return value.strip()


def _iso(ms):
    return format_ms(ms) if ms else None


class AdminService:
    def __init__(self, storage, settings, forwarding, statements=None, cursors=None, authenticator=None):
        self.storage = storage
        self.settings = settings
        self.forwarding = forwarding
        self.statements = statements
        self.cursors = cursors
        self.authenticator = authenticator          # to end this process's trust in a changed secret

    # --- stores -------------------------------------------------------------------------------

    def store(self, name, field="store"):
        store = self.storage.get_store(name) if isinstance(name, str) else None
        if store is None:
            raise NotFound("%s: no store named %r" % (field, name))
        return store

    def list_stores(self, usage=True):
        """[dict] of every store, with its usage figures unless `usage` is False."""
        credentials = {}
        for credential in self.storage.list_credentials() if usage else ():
            if not credential.revoked:
                credentials[credential.store_id] = credentials.get(credential.store_id, 0) + 1
        return [self._store_view(store, credentials.get(store.id, 0) if usage else None)
                for store in self.storage.list_stores()]

    def get_store(self, name):
        """One store's view with its usage figures."""
        store = self.store(name, field="name")
        credentials = sum(1 for c in self.storage.list_credentials(store.id) if not c.revoked)
        return self._store_view(store, credentials)

    def _store_view(self, store, credentials=None):
        view = {"id": store.id, "name": store.name, "created": _iso(store.created_ms)}
        if credentials is not None:
            usage = self.storage.store_usage(store.id)
            view.update(statements=usage.statements, documents=usage.documents, credentials=credentials)
        return view

    def create_store(self, name, by=acts.CLI):
        name = _store_name(name)
        try:
            store = self.storage.create_store(name, act=acts.act(acts.STORE_CREATED, by, name=name))
        except ValueError:
            raise InvalidField("name", "a store named %r exists" % name) from None
        return self._store_view(store)

    def rename_store(self, name, new_name, by=acts.CLI):
        store = self.store(name)
        new_name = _store_name(new_name)
        try:
            self.storage.rename_store(store.id, new_name, act=acts.act(acts.STORE_RENAMED, by, name=store.name,
                                                                       new_name=new_name))
        except ValueError:
            raise InvalidField("name", "a store named %r exists" % new_name) from None
        return self._store_view(self.storage.get_store(new_name))

    # --- credentials ----------------------------------------------------------------------------

    def _credential(self, key):
        credential = self.storage.get_credential(key) if isinstance(key, str) else None
        if credential is None:
            raise NotFound("key: no credential with key %r" % key)
        return credential

    def _credential_view(self, credential, names=None):
        names = names if names is not None else {s.id: s.name for s in self.storage.list_stores()}
        expired = credential.expires_ms is not None and credential.expires_ms <= now_ms()
        return {"key": credential.key, "store": names.get(credential.store_id, credential.store_id),
                "name": credential.name, "scopes": list(credential.scopes),
                "administrator": credential.admin or ADMIN_SCOPE in credential.scopes,
                "state": "revoked" if credential.revoked else "expired" if expired else "active",
                "created": _iso(credential.created_ms), "expires": _iso(credential.expires_ms),
                "last_used": _iso(credential.last_used_ms)}

    def list_credentials(self, store=None):
        store_id = self.store(store).id if store is not None else None
        names = {s.id: s.name for s in self.storage.list_stores()}
        return [self._credential_view(c, names) for c in self.storage.list_credentials(store_id)]

    def get_credential(self, key):
        return self._credential_view(self._credential(key))

    def create_credential(self, store, name="", scopes=DEFAULT_SCOPES, expires=None, admin=False, by=acts.CLI):
        """(view, secret): the secret exists only in this answer; the LRS keeps its hash."""
        store_info = self.store(store)
        scopes, expires_ms = _scopes(scopes), parse_expiry(expires)
        key = new_key()
        act = acts.credential_created(by, key, _name(name), scopes, bool(admin), _iso(expires_ms))
        key, secret = create_credential(self.storage, store_info.id, scopes, name=_name(name),
                                        admin=bool(admin), key=key, iterations=self.settings.secret_hash_iterations,
                                        expires_ms=expires_ms, act=act)
        return self.get_credential(key), secret

    def revoke_credential(self, key, by=acts.CLI):
        credential = self._credential(key)
        if credential.revoked:
            raise BadRequest("key: the credential %r is already revoked" % key)
        self.storage.revoke_credential(key, act=acts.act(acts.CREDENTIAL_REVOKED, by, key=key))
        self._forget(key)
        return self.get_credential(key)

    def rotate_secret(self, key, by=acts.CLI):
        """(view, new secret): the old secret stops working at once in this process, and in others
        once their LRS_AUTH_CACHE_SECONDS have passed."""
        secret = new_secret()
        self._update(key, {"secret_hash": hash_generated_secret(secret)}, acts.act(acts.CREDENTIAL_ROTATED, by, key=key))
        return self.get_credential(key), secret

    def update_credential(self, key, name=UNCHANGED, scopes=UNCHANGED, expires=UNCHANGED, by=acts.CLI):
        changes = {}
        if name is not UNCHANGED:
            changes["name"] = _name(name)
        if scopes is not UNCHANGED:
            changes["scopes"] = _scopes(scopes)
        if expires is not UNCHANGED:
            changes["expires_ms"] = parse_expiry(expires)
        what = {name: value for name, value in changes.items() if name != "expires_ms"}
        if "expires_ms" in changes:
            what["expires"] = _iso(changes["expires_ms"])
        self._update(key, changes, acts.act(acts.CREDENTIAL_CHANGED, by, key=key, **what) if changes else None)
        return self.get_credential(key)

    def _update(self, key, changes, act):
        credential = self._credential(key)
        if credential.revoked or not self.storage.update_credential(key, changes, act=act):
            raise BadRequest("key: the credential %r is revoked; create a new one" % key)
        self._forget(key)

    def _forget(self, key):
        if self.authenticator is not None:
            self.authenticator.forget(key)

    # --- forwarding ---------------------------------------------------------------------------------

    def forwarding_states(self, store=None):
        return [state.as_dict() for state in self.forwarding.states(store)]

    def add_forwarding_rule(self, store, name, filter=None, to_store=None, endpoint=None, key=None, secret=None,
                            version=XAPI_2_0_0, check=True, by=acts.CLI):
        """The state (as forwarding_states shows it) of a new rule; the remote secret is kept sealed and never
        shown again. A remote target is checked first unless `check` is false. InvalidField names the field
        at fault."""
        try:
            rule = self.forwarding.add(store, name, filter=filter, to_store=to_store, endpoint=endpoint, key=key,
                                       secret=secret, version=version, check=check, by=by)
        except BadRequest as error:
            raise InvalidField(error.details.get("field", "filter"), error.message) from None
        except ConfigError as error:           # no LRS_SECRET_KEY: remote targets cannot be kept
            raise InvalidField("endpoint", str(error)) from None
        return next(state for state in self.forwarding_states(store) if state["id"] == rule.id)

    def pause_forwarding_rule(self, store, rule_name, by=acts.CLI):
        self.forwarding.pause(store, rule_name, by=by)

    def resume_forwarding_rule(self, store, rule_name, by=acts.CLI):
        self.forwarding.resume(store, rule_name, by=by)

    def remove_forwarding_rule(self, store, rule_name, by=acts.CLI):
        """Remove the rule and what it had still to deliver."""
        self.forwarding.remove(store, rule_name, by=by)

    def dead_letters(self, store, rule_name, limit=100):
        return [{"seq": e.seq, "statement_id": e.statement_id, "stored": _iso(e.created_ms),
                 "attempts": e.attempts, "error": e.error}
                for e in self.forwarding.dead_letters(store, rule_name, limit)]

    def retry_dead_letters(self, store, rule_name, seqs=None):
        """Put a rule's dead letters (those of `seqs`, all when None) back to be delivered; how many."""
        if seqs is not None and (not isinstance(seqs, list) or not all(isinstance(s, int) for s in seqs)):
            raise InvalidField("seqs", "a list of the dead letters' seq numbers, or absent for all")
        return self.forwarding.retry_dead_letters(store, rule_name, seqs)

    # --- erasure of a learner (issue 13) ------------------------------------------------------------

    def erase_learner(self, store, agent, by=acts.CLI):
        """Erase a learner from a store (a data-protection request; lrs/store/chain.py, "Erasure").

        `agent` is an xAPI Agent (JSON text or object) naming the learner by one identifier. Every
        statement of the store in which that identifier appears as an Agent anywhere (actor,
        object, a Group's member, context instructor/team/contextAgents/contextGroups, authority, a
        SubStatement's agents: the statements `related_agents=true` finds) loses its content and
        is never returned again (GET by id answers 404; a statement sent again with its id is a
        conflict, 409, that shows nothing of it); the learner's agent profiles, states and the names
        the LRS keeps for them are deleted; outbox entries of the erased statements are dropped (they
        are never forwarded; statements forwarded before are beyond this LRS: erase them at the
        target too). Their hashes stay in the chain, which records the erasure (who, when, how many)
        and still verifies. {"store", "entry", "statements", "documents", "at", "by"}."""
        store_info = self.store(store)
        try:
            if isinstance(agent, str):
                agent = parse_json(agent, "the agent")
            agent = schemas.validate_agent(agent, XAPI_2_0_0, allow_group=False)
        except BadRequest as error:
            raise InvalidField("agent", error.message) from None
        except schemas.XAPIValidationError as error:
            raise InvalidField("agent", "not an xAPI Agent naming one learner: %s" % error.message) from None
        try:
            entry = self.storage.erase_agent(store_info.id, agent_key(agent), acts.facts(by))
        except UnchainedStatements as error:
            raise Conflict("%s --store %s" % (error, store_info.name)) from None
        recorded = json.loads(entry.target)
        return {"store": store_info.name, "entry": entry.n, "statements": recorded["statements"],
                "documents": recorded["documents"], "at": recorded["at"], "by": recorded["by"]}

    # --- statements ---------------------------------------------------------------------------------

    def find_statements(self, store, params, more_url, version=XAPI_2_0_0):
        """The statements of a store that the xAPI query `params` select, as GET /statements would
        answer a credential with all/read: {"statements": [...], "more": url or ""}. `more_url(token)`
        makes the link to the next page from its cursor; with a statementId or voidedStatementId,
        {"statements": [that one], "more": "", "voided": bool}."""
        store_info = self.store(store)
        reader = Principal(key="admin", store_id=store_info.id, scopes=frozenset({"all/read"}), name="",
                           admin=False)
        params = {name: value for name, value in params.items() if value not in (None, "")}
        if CURSOR_PARAMETER in params:
            if len(params) > 1:
                raise InvalidField(CURSOR_PARAMETER, "cannot be combined with other parameters (QRY-51)")
            request = self.cursors.decode(params[CURSOR_PARAMETER], store_info.id)
        else:
            request = parse_statement_request(params, version)
        if request.statement_id:
            result = self.statements.get_one(reader, request, version, [])
            return {"statements": [json.loads(result.body)], "more": "", "voided": request.voided}
        result = self.statements.query(
            reader, request, version, [],
            lambda req, after_seq, max_seq: more_url(self.cursors.encode(req, after_seq, max_seq, store_info.id)))
        answer = json.loads(result.body)
        answer["voided"] = False
        return answer

    # --- reports (issue 13) -------------------------------------------------------------------------

    def completion_rule(self, store):
        """{"store": name, "rule": the store's completion rule, "default": whether it is the default}."""
        store_info = self.store(store)
        rule = load_rule(self.storage, store_info.id)
        return {"store": store_info.name, "rule": rule.as_dict(), "default": rule == DEFAULT_RULE}

    def set_completion_rule(self, store, fields, by=acts.CLI):
        """Set what counts as completion in a store's reports: `fields` (a dict) changes the default rule's
        completion_verbs, success_verbs, failure_verbs, result_completion, result_success; None resets
        it to the default. Recorded in the store's audit chain: it changes what its reports say."""
        store_info = self.store(store)
        if fields is None:
            save_rule(self.storage, store_info.id, None, acts.act(acts.COMPLETION_RULE_RESET, by))
        else:
            try:
                rule = parse_rule(fields)
            except BadRequest as error:
                raise InvalidField("rule", error.message) from None
            save_rule(self.storage, store_info.id, rule, acts.act(acts.COMPLETION_RULE_SET, by, rule=rule.as_dict()))
        return self.completion_rule(store_info.name)

    def report_grants(self, key):
        """{"key": key, "stores": [names]}: the other stores whose reports the credential may read."""
        credential = self._credential(key)
        names = {s.id: s.name for s in self.storage.list_stores()}
        return {"key": credential.key, "store": names.get(credential.store_id, credential.store_id),
                "stores": sorted(names[i] for i in self.storage.report_grants(key) if i in names)}

    def set_report_grants(self, key, stores, by=acts.CLI):
        """Let the credential read the reports of exactly these stores (names) besides its own (an agency
        auditor reading several departments); [] takes every grant back. Each store granted or taken
        back records it in its audit chain (who may read it changed)."""
        self._credential(key)
        if not isinstance(stores, list) or not all(isinstance(name, str) for name in stores):
            raise InvalidField("stores", "a list of store names")
        wanted = [self.store(name, field="stores").id for name in stores]
        self.storage.set_report_grants(key, wanted, granted=acts.act(acts.REPORTS_GRANTED, by, key=key),
                                       ungranted=acts.act(acts.REPORTS_UNGRANTED, by, key=key))
        return self.report_grants(key)


def scope_choices():
    """[(scope, what it allows)] in the order of lrs.auth.SCOPES."""
    return [(scope, SCOPE_HELP.get(scope, "")) for scope in SCOPES]
