"""Administrative acts in the audit chain (issue 13): who did what to a store, and when.

The administration service (lrs/admin/service.py) and the forwarding service
(lrs/federation/forwarding.py) describe every act with `act` and hand it to the storage method
that makes the change, whichever of the command line (by "cli"), the admin API or the console (by
the administrator credential's key) asked for it; start-up (lrs.auth.ensure_admin, by "startup")
chains the default store and the admin credential it creates the same way. The facts never hold a
secret: a credential is named by its key, a rotated secret not at all.

The storage method chains the act in the transaction of the change itself (lrs/store/base.py,
rules.chain_act), on both backends: the change and its chain entry are kept both or neither. If
the process dies or the database fails at any point, either the act is done and in the chain, or
it is not done and the caller gets the error; an act missing from the chain cannot happen (and
could not be detected by `audit verify`, as the chain would hold no record of it). An act that
changes nothing (a credential already revoked, a rule already gone) is not chained.
"""
from ..store.chain import Act
from ..timeutil import format_ms, now_ms

CLI = "cli"
STARTUP = "startup"          # lrs.auth.ensure_admin: the default store and admin credential

# the acts, by name
STORE_CREATED, STORE_RENAMED = "store.created", "store.renamed"
CREDENTIAL_CREATED, CREDENTIAL_REVOKED = "credential.created", "credential.revoked"
CREDENTIAL_ROTATED, CREDENTIAL_CHANGED = "credential.rotated", "credential.changed"
FORWARDING_ADDED, FORWARDING_PAUSED = "forwarding.added", "forwarding.paused"
FORWARDING_RESUMED, FORWARDING_REMOVED = "forwarding.resumed", "forwarding.removed"
COMPLETION_RULE_SET, COMPLETION_RULE_RESET = "completion-rule.set", "completion-rule.reset"
REPORTS_GRANTED, REPORTS_UNGRANTED = "reports.granted", "reports.ungranted"


def facts(by, **what):
    """The facts of an act or an erasure: what, plus who (`by`) and when (`at`, now)."""
    return dict(what, by=by or CLI, at=format_ms(now_ms()))


def act(name, by, /, **what):
    """The act `name` (one of the names above) done by `by`, with the facts `what`: a chain.Act to
    hand to the storage method that makes the change."""
    return Act(name, facts(by, **what))


def credential_created(by, key, name, scopes, admin, expires):
    """The act of creating a credential, by the admin service and by start-up alike: the key and
    what it may do (ISO expiry or None), never the secret."""
    return act(CREDENTIAL_CREATED, by, key=key, name=name, scopes=scopes, admin=admin, expires=expires)
