"""The service layer, wired: what the HTTP layer and the command line use, without Flask."""
import secrets
from dataclasses import dataclass

from .admin.service import AdminService
from .audit.service import AuditService
from .auth import Authenticator, configured_admin_exists
from .config import ConfigError, Settings
from .errors import StorageUnavailable
from .federation.forwarding import ForwardingService
from .reports.service import ReportService
from .store import open_storage
from .throttle import FailureThrottle
from .xapi.activities import ActivityService
from .xapi.agents import AgentService
from .xapi.documents import DocumentService
from .xapi.query import CURSOR_SECRET_NAME, CursorCodec
from .xapi.signatures import check_signature
from .xapi.statements import StatementService


class NoMetrics:
    """The metrics hook of the service layer when nothing counts (CLI, tools, tests)."""

    def statements_stored(self, count):
        pass

    def validation_failure(self):
        pass


@dataclass
class Services:
    """One instance per application (per worker process)."""

    settings: Settings
    storage: object
    authenticator: Authenticator
    statements: StatementService
    documents: DocumentService
    activities: ActivityService
    agents: AgentService
    cursors: CursorCodec
    forwarding: ForwardingService
    checkpointer: object = None        # lrs.audit.checkpoints.Checkpointer when signing is set up
    audit: object = None               # lrs.audit.service.AuditService
    reports: object = None             # lrs.reports.service.ReportService
    admin: AdminService = None        # administration (issue 14)


def build_services(settings, storage, metrics=None):
    metrics = metrics or NoMetrics()
    signing = checkpointer(settings, storage)
    services = Services(
        settings=settings, storage=storage,
        authenticator=Authenticator(storage, settings.auth_cache_seconds, throttle=FailureThrottle(
            settings.auth_failures_per_key, settings.auth_failures_per_address,
            settings.auth_failure_window_seconds)),
        statements=StatementService(storage, settings, signature_checker=check_signature, metrics=metrics),
        documents=DocumentService(storage, settings),
        activities=ActivityService(storage),
        agents=AgentService(storage),
        cursors=_cursor_codec(settings, storage),
        forwarding=ForwardingService(storage, settings),
        checkpointer=signing, audit=AuditService(storage, signing),
        reports=ReportService(storage, settings.fallback_xapi_version))
    services.admin = AdminService(storage, settings, services.forwarding, services.statements, services.cursors,
                                  services.authenticator)
    return services


def checkpointer(settings, storage):
    """The audit Checkpointer (not started) when LRS_SIGNING_KEY_FILE is set, else None."""
    if not settings.signing_key_file:
        return None
    from .audit.checkpoints import Checkpointer, load_signing_key
    key = load_signing_key(settings.signing_key_file, settings.signing_key_generate)
    return Checkpointer(storage, key, settings.checkpoint_every_entries, settings.checkpoint_every_seconds)


def _cursor_codec(settings, storage):
    try:
        return CursorCodec(cursor_key(settings, storage), settings.statement_page_limit)
    except StorageUnavailable:          # a worker whose database opens later (issue 17)
        return _CursorCodecOnFirstUse(settings, storage)


class _CursorCodecOnFirstUse:
    """The CursorCodec made when first used, once the database (which may keep its key) is open."""

    def __init__(self, settings, storage):
        self._settings, self._storage, self._codec = settings, storage, None

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if self._codec is None:
            self._codec = CursorCodec(cursor_key(self._settings, self._storage),
                                      self._settings.statement_page_limit)
        return getattr(self._codec, name)


def cursor_key(settings, storage):
    """The key that authenticates `more` cursors: LRS_CURSOR_KEY, else one made once and kept in
    the database, so that every worker and replica issues and accepts the same cursors."""
    if settings.cursor_key:
        return settings.cursor_key.encode("utf-8")
    return storage.get_or_create_secret(CURSOR_SECRET_NAME, lambda: secrets.token_bytes(32))


def open_configured_storage(settings):
    """The storage the settings name; ConfigError or StorageUnavailable with one clear line."""
    options = {"synchronous": settings.sqlite_synchronous} if settings.database_url.startswith("sqlite") else {}
    # Consistent-Through says "now - lag" only if every batch commits well within the lag
    options["max_commit_delay_ms"] = settings.consistent_through_lag_ms // 2 or None
    try:
        storage = open_storage(settings.database_url, **options)
    except StorageUnavailable:
        raise
    except Exception as error:          # a malformed URL, an unusable file: the driver's words
        raise ConfigError("LRS_DATABASE_URL cannot be used: %s" % error) from None
    storage.ping()
    return storage


def preflight(environ=None):
    """Check the settings and the database before serving (gunicorn's on_starting).

    Raises ConfigError or StorageUnavailable, whose message is the one line to print.
    """
    settings = Settings.from_env(environ)
    if settings.signing_key_file:             # a missing key stops start-up unless it may be made
        from .audit.checkpoints import load_signing_key
        load_signing_key(settings.signing_key_file, settings.signing_key_generate)
    storage = open_configured_storage(settings)
    try:
        if settings.admin_key:                # a key taken by another credential stops the master
            try:
                configured_admin_exists(storage, settings, storage.get_store("default"))
            except SystemExit as error:
                raise ConfigError(str(error)) from None
        ForwardingService(storage, settings).check_secrets()      # refuse rules it cannot use
    finally:
        storage.close()
    return settings
