"""Administrative acts in the audit chain (issue 13): who did what to a store, and when.

The administration service (lrs/admin/service.py) and the forwarding service
(lrs/federation/forwarding.py) record every act they complete through `record`, whichever of the
command line (by "cli"), the admin API or the console (by the administrator credential's key)
asked for it. The facts never hold a secret: a credential is named by its key, a rotated secret
not at all.

An act is recorded in a transaction of its own right after the act itself: if the database
fails between the two, the act is done and the caller gets the error (the act is then missing
from the chain; `audit verify` cannot see that, as the chain holds no record of it).
"""
from ..store.chain import ADMIN
from ..timeutil import format_ms, now_ms

CLI = "cli"

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


def record(storage, store_id, act, by, **what):
    """Append the act (one of the names above) to the store's chain; its ChainEntry."""
    return storage.append_act(store_id, ADMIN, act, facts(by, **what))
