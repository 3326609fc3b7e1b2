"""Forwarding rules: validated, kept and managed here; the CLI (and later the admin HTTP API)
call this service, never the store.

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

from schemas.versions import SUPPORTED_VERSIONS, XAPI_2_0_0

from ..audit import acts
from ..errors import BadRequest, NotFound
from ..store import ForwardingCounts, ForwardingRule
from ..timeutil import now_ms
from ..xapi.query import parse_statement_request
from .secrets import SecretBox

FILTER_PARAMETERS = ("verb", "activity", "agent", "registration", "related_activities", "related_agents")


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
            version=XAPI_2_0_0, by=acts.CLI):
        """Validate and keep a rule; BadRequest (or NotFound for an unknown store) says why not."""
        source = self._store(store_name)
        name = (name or "").strip()
        if not name:
            raise BadRequest("a forwarding rule needs a name")
        params = dict(filter or {})
        filters = self._compile(params)
        rule = ForwardingRule(id=uuid.uuid4().hex, store_id=source.id, name=name, filter=params, filters=filters,
                              created_ms=now_ms())
        if (to_store is None) == (endpoint is None):
            raise BadRequest("a forwarding rule needs one target: another store or a remote LRS endpoint")
        if to_store is not None:
            target = self._store(to_store)
            if target.id == source.id:
                raise BadRequest("a store cannot forward to itself")
            rule.target_store_id = target.id
        else:
            rule.endpoint, rule.key, rule.version = self._remote(endpoint, key, secret, version)
            rule.secret_sealed = self.box.seal(secret)
        try:
            self.storage.add_forwarding_rule(rule)
        except ValueError as error:
            raise BadRequest(str(error)) from None
        target = {"to_store": to_store} if to_store is not None else {"endpoint": rule.endpoint, "key": rule.key,
                                                                       "version": rule.version}
        acts.record(self.storage, source.id, acts.FORWARDING_ADDED, by, rule=name, filter=params, **target)
        return rule

    @staticmethod
    def _compile(params):
        unknown = sorted(set(params) - set(FILTER_PARAMETERS))
        if unknown:
            raise BadRequest("a forwarding filter takes only %s, not %s" % (", ".join(FILTER_PARAMETERS),
                                                                             ", ".join(unknown)))
        if any(not isinstance(value, str) for value in params.values()):
            raise BadRequest("forwarding filter values are strings, as in a query")
        # both versions parse filters alike; 2.0.0's agent rules are the stricter (VER-15 table)
        return [tuple(pair) for pair in parse_statement_request(params, XAPI_2_0_0).filters]

    @staticmethod
    def _remote(endpoint, key, secret, version):
        parts = urlsplit(endpoint or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadRequest("the endpoint must be an http(s) URL of an xAPI LRS, got %r" % endpoint)
        if parts.username or parts.password or parts.query or parts.fragment:
            raise BadRequest("the endpoint must not carry credentials, a query or a fragment: give the key "
                             "and secret apart")
        if not key or not secret:
            raise BadRequest("a remote target needs the key and the secret of a credential on it")
        if version not in SUPPORTED_VERSIONS:
            raise BadRequest("the xAPI version to speak must be one of %s, got %r"
                             % (", ".join(SUPPORTED_VERSIONS), version))
        return endpoint.rstrip("/") + "/", key, version

    def pause(self, store_name, rule_name, by=acts.CLI):
        self._change(store_name, rule_name, acts.FORWARDING_PAUSED, by,
                     lambda rule: self.storage.set_forwarding_rule_active(rule.id, False))

    def resume(self, store_name, rule_name, by=acts.CLI):
        self._change(store_name, rule_name, acts.FORWARDING_RESUMED, by,
                     lambda rule: self.storage.set_forwarding_rule_active(rule.id, True))

    def remove(self, store_name, rule_name, by=acts.CLI):
        """Remove the rule and what it had still to deliver."""
        self._change(store_name, rule_name, acts.FORWARDING_REMOVED, by,
                     lambda rule: self.storage.remove_forwarding_rule(rule.id))

    def _change(self, store_name, rule_name, act, by, change):
        rule = self.get(store_name, rule_name)
        if change(rule):
            acts.record(self.storage, rule.store_id, act, by, rule=rule.name)

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
