"""Storing copies of statements from elsewhere (another store, a remote LRS) under their own ids,
through the statement service: the forwarder's store-to-store delivery and the pull sync share it.

A copy is validated like a POST, under the xAPI version of its `version` property (VER-15 table;
the LRS sets that property on every statement it stores, SVER-5). A statement held already with the
same content is no change (CMP-2); one held with different content, or one the rules refuse, is
reported with the reason and the others are stored.
"""
import json

from schemas.versions import selected_by

from ..auth import Principal
from ..errors import BadRequest, Conflict


def copier(store_id, key, name):
    """The principal copies are stored as: it writes statements and defines activities (the
    source accepted the definitions already); `key` and `name` become the copies' authority."""
    return Principal(key=key, store_id=store_id, scopes=frozenset(("statements/write", "define")), name=name,
                     admin=False)


def store_copies(service, principal, items, attachments):
    """Store [(key, statement)] in order; (keys stored, {key: reason refused}).

    `attachments` maps sha2 -> (content type, data) for the attachments without fileUrl.
    StorageUnavailable and other failures of the store propagate: nothing is reported refused then.
    """
    stored, refused = [], {}
    for version, run in _runs_by_version(items):
        if version is None:
            refused.update({key: "400 statement %s has a version no rule set knows: %r"
                            % (s.get("id"), s.get("version")) for key, s in run})
            continue
        try:
            _store(service, principal, run, version, attachments)
            stored += [key for key, _ in run]
        except (BadRequest, Conflict) as error:
            if len(run) == 1:
                refused[run[0][0]] = "%d %s" % (error.status, error.message)
                continue
            for item in run:                          # find the statements that are refused
                try:
                    _store(service, principal, [item], version, attachments)
                    stored.append(item[0])
                except (BadRequest, Conflict) as one_error:
                    refused[item[0]] = "%d %s" % (one_error.status, one_error.message)
    return stored, refused


def _store(service, principal, run, version, attachments):
    statements = [json.loads(json.dumps(statement)) for _, statement in run]      # the service changes them
    used = {a["sha2"] for s in statements for a in s.get("attachments", ()) if "fileUrl" not in a}
    service.store(principal, statements, version, {h: d for h, d in attachments.items() if h in used})


def attachment_hashes(statements):
    """The sha2 of every attachment without fileUrl (whose data must go along), in order, once."""
    hashes = []
    for statement in statements:
        for attachment in statement.get("attachments", ()):
            if "fileUrl" not in attachment and attachment["sha2"] not in hashes:
                hashes.append(attachment["sha2"])
    return hashes


def _runs_by_version(items):
    """[(version or None, [(key, statement)])]: consecutive statements of one version together."""
    runs = []
    for key, statement in items:
        rules = selected_by(statement.get("version", "")) if isinstance(statement.get("version"), str) else None
        version = rules.version if rules else None
        if runs and runs[-1][0] == version:
            runs[-1][1].append((key, statement))
        else:
            runs.append((version, [(key, statement)]))
    return runs
