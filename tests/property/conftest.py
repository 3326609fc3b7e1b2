"""Fixtures of the property-based tests: the API test apps (tests/api/conftest.py) on both
backends, with SQLite's synchronous=NORMAL so that hundreds of generated requests stay fast."""
import pytest

from tests import strategies  # noqa: F401  (registers and loads the hypothesis profiles)
from tests.api.conftest import ADMIN_KEY, ADMIN_SECRET, XAPIClient, backend, basic, make_app  # noqa: F401


class LRS:
    """One app under test: a client per version, and the stored bytes of a statement."""

    def __init__(self, app):
        self.app = app
        self.clients = {version: XAPIClient(app, version) for version in strategies.VERSIONS}
        services = app.extensions["lrs"]
        self.storage = services.storage
        self.store_id = services.authenticator.authenticate(basic(ADMIN_KEY, ADMIN_SECRET)).store_id

    def stored(self, statement_id):
        """(JSON bytes, stored ms, voided) of the statement as the store keeps it, or None."""
        found = self.storage.get_statements(self.store_id, [statement_id.lower()]).get(statement_id.lower())
        return None if found is None else (found.body, found.stored_ms, found.voided)

    def attachment(self, sha2):
        return self.storage.get_attachments(self.store_id, [sha2]).get(sha2)


@pytest.fixture
def lrs(make_app):
    return LRS(make_app(sqlite_synchronous="NORMAL"))
