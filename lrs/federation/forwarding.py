"""Forwarding rules: validated, kept and managed here; the CLI and the administration service
(lrs/admin/service.py: the admin HTTP API and the console) call this service, never the store.
A BadRequest names the field at fault in its details (`field`), for forms.

A rule names its source store, a target (another store of this deployment, or a remote xAPI LRS:
endpoint, HTTP Basic key and secret, the xAPI version to speak) and a filter given as xAPI
statement query parameters (verb, activity, agent, registration, related_activities,
related_agents). The filter is parsed by the query's own parser (lrs/xapi/query.py), so a rule
matches exactly the statements that GET /statements with the same parameters would return when
each is stored (QRY-13..QRY-19, QRY-24); the store matches each new statement's index keys
(lrs/xapi/keys.py) against it in the batch's transaction (lrs/store/rules.py).
"""
import uuid
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

import requests

from schemas.versions import SUPPORTED_VERSIONS, XAPI_2_0_0

from ..audit import acts
from ..errors import BadRequest, NotFound
from ..store import ForwardingCounts, ForwardingRule
from ..timeutil import now_ms
from ..xapi.query import parse_statement_request
from .secrets import SecretBox

FILTER_PARAMETERS = ("verb", "activity", "agent", "registration", "related_activities", "related_agents")
CHECK_TIMEOUT_S = 10.0


@dataclass
class RuleState:
    """What an administrator sees of a rule: never its secret."""

    rule: ForwardingRule
    source: str                   # the source store's name
    target: str                   # "store NAME" or the remote endpoint
    counts: ForwardingCounts
    oldest_pending_age_ms: Optional[int]

    def as_dict(self):
        r = self.rule
        return {"id": r.id, "store": self.source, "name": r.name, "target": self.target,
                "version": r.version or None, "key": r.key or None, "filter": r.filter,
                "state": "active" if r.active else "paused", "pending": self.counts.pending,
                "in_flight": self.counts.in_flight, "delivered": self.counts.delivered,
                "dead": self.counts.dead, "oldest_pending_age_ms": self.oldest_pending_age_ms,
                "last_error": self.counts.last_error}


class ForwardingService:
    def __init__(self, storage, settings):
        self.storage = storage
        self.box = SecretBox(settings.secret_key)

    # --- lookup ---------------------------------------------------------------------------

    def _store(self, name):
        store = self.storage.get_store(name)
        if store is None:
            raise NotFound("no store named %r" % name)
        return store

    def get(self, store_name, rule_name):
        store = self._store(store_name)
        for rule in self.storage.list_forwarding_rules(store.id):
            if rule.name == rule_name:
                return rule
        raise NotFound("store %r has no forwarding rule named %r" % (store_name, rule_name))

    # --- changes ----------------------------------------------------------------------------

    def add(self, store_name, name, filter=None, to_store=None, endpoint=None, key=None, secret=None,
            version=XAPI_2_0_0, check=True, by=acts.CLI):
        """Validate and keep a rule; BadRequest (or NotFound for an unknown store) says why not.

        A remote target is checked first unless `check` is false (a target down on purpose):
        it must answer GET about as an xAPI LRS speaking `version`, and accept the key and
        secret (check_remote_target)."""
        source = self._store(store_name)
        name = (name or "").strip()
        if not name:
            raise BadRequest("a forwarding rule needs a name", field="name")
        params = dict(filter or {})
        filters = self._compile(params)
        rule = ForwardingRule(id=uuid.uuid4().hex, store_id=source.id, name=name, filter=params, filters=filters,
                              created_ms=now_ms())
        if (to_store is None) == (endpoint is None):
            raise BadRequest("a forwarding rule needs one target: another store or a remote LRS endpoint", field="target")
        if to_store is not None:
            target = self._store(to_store)
            if target.id == source.id:
                raise BadRequest("a store cannot forward to itself", field="to_store")
            rule.target_store_id = target.id
        else:
            rule.endpoint, rule.key, rule.version = self._remote(endpoint, key, secret, version)
            rule.secret_sealed = self.box.seal(secret)
            if not isinstance(check, bool):
                raise BadRequest("check must be true or false", field="check")
            if check:                         # the answer is about the endpoint the rule names
                try:
                    check_remote_target(rule.endpoint, key, secret, version)
                except BadRequest as error:
                    raise BadRequest(error.message, field="endpoint") from None
        target = {"to_store": to_store} if to_store is not None else {"endpoint": rule.endpoint, "key": rule.key,
                                                                       "version": rule.version}
        try:
            self.storage.add_forwarding_rule(rule, act=acts.act(acts.FORWARDING_ADDED, by, rule=name, filter=params,
                                                                **target))
        except ValueError as error:
            raise BadRequest(str(error), field="name") from None
        return rule

    @staticmethod
    def _compile(params):
        unknown = sorted(set(params) - set(FILTER_PARAMETERS))
        if unknown:
            raise BadRequest("a forwarding filter takes only %s, not %s" % (", ".join(FILTER_PARAMETERS),
                                                                             ", ".join(unknown)), field="filter")
        if any(not isinstance(value, str) for value in params.values()):
            raise BadRequest("forwarding filter values are strings, as in a query", field="filter")
        # both versions parse filters alike; 2.0.0's agent rules are the stricter (VER-15 table)
        return [tuple(pair) for pair in parse_statement_request(params, XAPI_2_0_0).filters]

    @staticmethod
    def _remote(endpoint, key, secret, version):
        parts = urlsplit(endpoint or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadRequest("the endpoint must be an http(s) URL of an xAPI LRS, got %r" % endpoint, field="endpoint")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise BadRequest("the endpoint must not carry credentials, a query or a fragment: give the key "
                             "and secret apart", field="endpoint")
        if not key or not secret:
            raise BadRequest("a remote target needs the key and the secret of a credential on it",
                             field="secret" if key else "key")
        if version not in SUPPORTED_VERSIONS:
            raise BadRequest("the xAPI version to speak must be one of %s, got %r"
                             % (", ".join(SUPPORTED_VERSIONS), version), field="version")
        return endpoint.rstrip("/") + "/", key, version

    def pause(self, store_name, rule_name, by=acts.CLI):
        self._change(store_name, rule_name, acts.FORWARDING_PAUSED, by,
                     lambda rule, act: self.storage.set_forwarding_rule_active(rule.id, False, act=act))

    def resume(self, store_name, rule_name, by=acts.CLI):
        self._change(store_name, rule_name, acts.FORWARDING_RESUMED, by,
                     lambda rule, act: self.storage.set_forwarding_rule_active(rule.id, True, act=act))

    def remove(self, store_name, rule_name, by=acts.CLI):
        """Remove the rule and what it had still to deliver."""
        self._change(store_name, rule_name, acts.FORWARDING_REMOVED, by,
                     lambda rule, act: self.storage.remove_forwarding_rule(rule.id, act=act))

    def _change(self, store_name, rule_name, name, by, change):
        """change(rule, act) makes the change and chains the act with it (when the rule still exists)."""
        rule = self.get(store_name, rule_name)
        change(rule, acts.act(name, by, rule=rule.name))

    # --- state --------------------------------------------------------------------------------

    def states(self, store_name=None):
        """[RuleState] of a store's rules (every store's when None)."""
        store_id = self._store(store_name).id if store_name is not None else None
        names = {s.id: s.name for s in self.storage.list_stores()}
        now = now_ms()
        states = []
        for rule in self.storage.list_forwarding_rules(store_id):
            counts = self.storage.forwarding_counts(rule.id, now)
            target = ("store %s" % names.get(rule.target_store_id, rule.target_store_id) if not rule.remote
                      else rule.endpoint)
            age = now - counts.oldest_pending_ms if counts.oldest_pending_ms is not None else None
            states.append(RuleState(rule=rule, source=names.get(rule.store_id, rule.store_id), target=target,
                                    counts=counts, oldest_pending_age_ms=age))
        return states

    # --- dead letters ---------------------------------------------------------------------------

    def dead_letters(self, store_name, rule_name, limit=100):
        """The rule's dead letters, [OutboxEntry] in stored order, each with the target's answer."""
        return self.storage.list_dead_letters(self.get(store_name, rule_name).id, limit)

    def retry_dead_letters(self, store_name, rule_name, seqs=None):
        """Deliver dead letters again (all when seqs is None); how many."""
        return self.storage.retry_dead_letters(self.get(store_name, rule_name).id, seqs)

    def drop_dead_letters(self, store_name, rule_name, seqs=None):
        """Give up dead letters for good (all when seqs is None); how many."""
        return self.storage.drop_dead_letters(self.get(store_name, rule_name).id, seqs)

    # --- secrets --------------------------------------------------------------------------------

    def secret_of(self, rule):
        """A remote rule's secret, for the forwarder only; ConfigError when it cannot be decrypted."""
        return self.box.open(rule.secret_sealed, self._what(rule))

    def check_secrets(self):
        """Start-up: ConfigError (one line) for the first remote rule whose secret cannot be decrypted."""
        for rule in self.storage.list_forwarding_rules():
            if rule.remote:
                self.secret_of(rule)

    def _what(self, rule):
        store = next((s.name for s in self.storage.list_stores() if s.id == rule.store_id), rule.store_id)
        return "forwarding rule %r of store %r" % (rule.name, store)


# --- checking a remote target when a rule is created ---------------------------------------------

def check_remote_target(endpoint, key, secret, version, timeout_s=CHECK_TIMEOUT_S, session=None):
    """BadRequest, in one line, unless the LRS at `endpoint` answers GET about (XAPI about
    resource) with `version` among its versions (1.0.x versions are one series, as are 2.0.x),
    and an authenticated request (GET statements of an id no one uses) with the key and secret
    is not refused as unauthenticated: 401 is, 403 (a credential that may write but not read)
    is not. A target that cannot be reached, times out or fails (5xx) is refused too: a rule
    for a target that is down on purpose is created without the check."""
    http = session or requests
    where = "the target LRS at %s" % endpoint

    def ask(path, **kwargs):
        try:
            return http.get(endpoint + path, timeout=timeout_s, allow_redirects=False, **kwargs)
        except requests.Timeout:
            raise BadRequest("%s did not answer GET %s within %.0f s (add the rule without the check if it is "
                             "down on purpose)" % (where, path, timeout_s)) from None
        except requests.RequestException as error:
            raise BadRequest("cannot reach %s: %s (add the rule without the check if it is down on purpose)"
                             % (where, _one_line(error))) from None

    about = ask("about")
    versions = _about_versions(about)
    if versions is None:
        raise BadRequest("%s does not answer GET about as an xAPI LRS (%s)" % (where, _answer(about)))
    if not any(_same_series(offered, version) for offered in versions):
        raise BadRequest("%s speaks xAPI %s, not %s: give the rule one of those versions"
                         % (where, ", ".join(versions) or "no version", version))
    answer = ask("statements", params={"statementId": str(uuid.uuid4())}, auth=(key, secret),
                 headers={"X-Experience-API-Version": version})
    if answer.status_code == 401:
        raise BadRequest("%s refuses the key and secret (401): check the credential on the target" % where)
    if answer.status_code not in (200, 403, 404):
        raise BadRequest("%s answers an authenticated request with %s" % (where, _answer(answer)))


def _about_versions(answer):
    if answer.status_code != 200:
        return None
    try:
        about = answer.json()
    except ValueError:
        return None
    versions = about.get("version") if isinstance(about, dict) else None
    if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
        return None
    return versions


def _same_series(offered, version):
    """1.0.0..1.0.3 are one series, as are 2.0.x (major.minor decide what a client may send)."""
    return offered.split(".")[:2] == version.split(".")[:2]


def _one_line(error):
    return "%s: %s" % (type(error).__name__, (str(error).strip().splitlines() or [""])[0][:300])


def _answer(answer):
    text = " ".join(answer.text.split())[:200]
    return ("%d %s" % (answer.status_code, text)).strip()
