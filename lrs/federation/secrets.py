"""Remote targets' secrets, encrypted at rest under LRS_SECRET_KEY (Fernet: AES-128-CBC with an
HMAC-SHA256, from `cryptography`).

A forwarding rule must present its target's secret, so it cannot be hashed like a credential's.
LRS_SECRET_KEY holds one or more Fernet keys, comma-separated: the first encrypts, every one
decrypts, so a key is rotated by putting the new one first and re-adding the rules (or keeping the
old one listed). The secret is never logged, printed or returned by the service's listings.
"""
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ..errors import ConfigError


class SecretBox:
    def __init__(self, keys_text):
        keys = [key.strip() for key in (keys_text or "").split(",") if key.strip()]
        self._fernet = MultiFernet([fernet_key(key) for key in keys]) if keys else None

    @property
    def ready(self):
        return self._fernet is not None

    def seal(self, secret):
        if self._fernet is None:
            raise ConfigError("LRS_SECRET_KEY is not set: a remote target's secret cannot be kept without it "
                              "(make a key with: python -m lrs forwarding new-key)")
        return self._fernet.encrypt(secret.encode("utf-8"))

    def open(self, sealed, what):
        """The secret; ConfigError naming `what` when no key of LRS_SECRET_KEY opens it."""
        if self._fernet is None:
            raise ConfigError("LRS_SECRET_KEY is not set, but %s has an encrypted secret" % what)
        try:
            return self._fernet.decrypt(bytes(sealed)).decode("utf-8")
        except InvalidToken:
            raise ConfigError("%s has a secret that LRS_SECRET_KEY cannot decrypt (was the key changed? "
                              "list the old key after the new one)" % what) from None


def fernet_key(text):
    """A Fernet of one key; ConfigError (without the key's text) when it is not one."""
    try:
        return Fernet(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ConfigError("LRS_SECRET_KEY must be Fernet keys (44 characters of url-safe base64 each, "
                          "comma-separated; make one with: python -m lrs forwarding new-key)") from None


def new_key():
    return Fernet.generate_key().decode("ascii")
