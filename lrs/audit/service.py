"""What the HTTP layer asks of the audit (issue 13): the public key and a store's checkpoints."""
from ..errors import BadRequest, NotFound
from .checkpoints import checkpoint_json, public_key_pem

NO_KEY = "this LRS signs no checkpoints (LRS_SIGNING_KEY_FILE is not set)"


class AuditService:
    def __init__(self, storage, checkpointer=None):
        self.storage, self.checkpointer = storage, checkpointer

    def public_key_pem(self):
        """The PEM of the key that signs checkpoints; NotFound when there is none."""
        if self.checkpointer is None:
            raise NotFound(NO_KEY)
        return public_key_pem(self.checkpointer.key)

    def checkpoints(self, principal, params):
        """{"store", "checkpoints": [...]} of the credential's store, after entry `after` (default 0)."""
        unknown = sorted(set(params) - {"after"})
        if unknown:
            raise BadRequest("unknown parameter(s): %s (known: after)" % ", ".join(unknown))
        after = params.get("after", "0")
        if not after.isdigit():
            raise BadRequest("after must be an entry number (a whole number >= 0), got %r" % after)
        if self.checkpointer is None:
            raise NotFound(NO_KEY)
        return {"store": principal.store_id,
                "checkpoints": [checkpoint_json(c) for c in self.storage.list_checkpoints(principal.store_id,
                                                                                          int(after))]}
