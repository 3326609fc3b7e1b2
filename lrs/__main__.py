"""Command line: python -m lrs serve | stores create|list|rename |
credentials create|list|revoke|rotate|update | forwarding add|list|pause|resume|remove|new-key|dead-letters |
forward | pull | audit verify|backfill|keygen|checkpoint | erase | reports completion-rule|grant|revoke|grants."""
import argparse
import getpass
import json
import os
import sys

from schemas.versions import XAPI_2_0_0

from .auth import parse_scopes
from .config import ConfigError, Settings
from .errors import LRSError
from .timeutil import format_ms

DEPLOY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "deploy")


def _storage(settings):
    from .services import open_configured_storage
    return open_configured_storage(settings)


def cmd_serve(args, settings):
    """Run the LRS under gunicorn with the deployment configuration."""
    from .auth import ensure_admin
    storage = _storage(settings)
    ensure_admin(storage, settings)            # prints a generated admin credential once
    storage.close()
    argv = [sys.executable, "-m", "gunicorn", "-c", os.path.join(DEPLOY, "gunicorn.conf.py"),
            "-b", "%s:%d" % (args.host, args.port)]
    if args.workers:
        argv += ["-w", str(args.workers)]
    argv.append("wsgi:app")
    os.chdir(os.path.dirname(DEPLOY))
    os.execv(sys.executable, argv)


def _store_or_exit(storage, name):
    store = storage.get_store(name)
    if store is None:
        raise SystemExit("no store named %r (python -m lrs stores list)" % name)
    return store


def _admin(settings):
    from .admin.service import AdminService
    from .federation.forwarding import ForwardingService
    storage = _storage(settings)
    return AdminService(storage, settings, ForwardingService(storage, settings))


def cmd_stores_create(args, settings):
    store = _admin(settings).create_store(args.name)
    print("created store %s (id %s)" % (store["name"], store["id"]))


def cmd_stores_list(args, settings):
    for store in _admin(settings).list_stores():
        print("%s\t%s\tcreated %s\tstatements %d\tdocuments %d\tcredentials %d"
              % (store["name"], store["id"], store["created"], store["statements"], store["documents"],
                 store["credentials"]))


def cmd_stores_rename(args, settings):
    store = _admin(settings).rename_store(args.name, args.new_name)
    print("renamed store %s to %s" % (args.name, store["name"]))


def cmd_credentials_create(args, settings):
    view, secret = _admin(settings).create_credential(
        args.store, name=args.name, scopes=parse_scopes(args.scopes), expires=args.expires, admin=args.admin)
    print("key:    %s\nsecret: %s\n(the secret is shown only now; the LRS keeps only its hash)" % (view["key"], secret))


def cmd_credentials_list(args, settings):
    for c in _admin(settings).list_credentials(args.store):
        print("%s\t%s\t%s\t%s\t%s%s\texpires %s\tlast used %s"
              % (c["key"], c["store"], " ".join(c["scopes"]), c["state"], c["name"],
                 "\tadmin" if c["administrator"] else "", c["expires"] or "never", c["last_used"] or "never"))


def cmd_credentials_revoke(args, settings):
    _admin(settings).revoke_credential(args.key)
    print("revoked %s" % args.key)


def _checkpoints_against(args, settings):
    """{store id: [Checkpoint]} from --against, every signature checked (exit 1 on a bad one)."""
    from .audit import checkpoints as signed
    if args.public_key:
        with open(args.public_key, "rb") as handle:
            public_key = signed.load_public_key(handle.read())
    elif settings.signing_key_file:
        public_key = signed.load_signing_key(settings.signing_key_file).public_key()
    else:
        raise ConfigError("--against needs the LRS's public key: --public-key FILE or LRS_SIGNING_KEY_FILE")
    by_store = {}
    for fields in signed.read_checkpoint_file(args.against):
        checkpoint = signed.checkpoint_from_json(fields)
        if not signed.check_signature(public_key, fields):
            print("checkpoint of store %s at entry %d: the signature does not verify with this public key"
                  % (checkpoint.store_id, checkpoint.n))
            raise SystemExit(1)
        by_store.setdefault(checkpoint.store_id, []).append(checkpoint)
    return by_store


def cmd_audit_verify(args, settings):
    """Recompute the audit chain of one store (or of every named store); exit 1 on a difference."""
    from .audit.verify import describe, verify_store
    against = _checkpoints_against(args, settings) if args.against else {}
    storage = _storage(settings)
    stores = [_store_or_exit(storage, args.store)] if args.store else storage.list_stores()
    failed = False
    for store in stores:
        result = verify_store(storage, store.id, against.get(store.id, ()))
        if against.get(store.id):
            print("store %s: checked against %d signed checkpoints" % (store.name, len(against[store.id])))
        if result.ok:
            print("store %s: %d entries verify; head entry %d, seq %d, hash %s"
                  % (store.name, result.entries, result.head.n, result.head.seq, result.head.hash.hex()))
            for line in describe(result):
                print("  " + line)
        else:
            failed = True
            print("store %s: DIFFERS at %s (%d entries verified before it)"
                  % (store.name, result.problem, result.entries))
    storage.close()
    if failed:
        raise SystemExit(1)
    print("everything verifies")


def cmd_audit_backfill(args, settings):
    """Chain what a store kept before its chain recorded it (older databases)."""
    from .audit.acts import facts
    storage = _storage(settings)
    stores = [_store_or_exit(storage, args.store)] if args.store else storage.list_stores()
    for store in stores:
        entry = storage.backfill_chain(store.id, facts("cli"))
        if entry is None:
            print("store %s: everything is chained already" % store.name)
        else:
            done = json.loads(entry.target)
            print("store %s: backfill recorded at entry %d: %d statements (seq %d to %d) and %d documents chained now"
                  % (store.name, entry.n, done["statements"], done["first_seq"], done["last_seq"], done["documents"]))
    storage.close()


def cmd_erase(args, settings):
    """Erase a learner from a store (a data-protection request)."""
    admin = _admin(settings)
    admin.store(args.store)
    if not args.yes:
        if not sys.stdin.isatty():
            raise SystemExit("error: erasing cannot be undone: confirm with --yes")
        answer = input("erase every statement and document of %s from store %s? This cannot be undone [y/N] "
                       % (args.agent, args.store))
        if answer.strip().lower() not in ("y", "yes"):
            raise SystemExit("nothing erased")
    done = admin.erase_learner(args.store, args.agent)
    print("store %s: erased %d statements and %d documents of the learner (chain entry %d, %s)"
          % (done["store"], done["statements"], done["documents"], done["entry"], done["at"]))
    admin.storage.close()


def cmd_audit_keygen(args, settings):
    from .audit.checkpoints import generate_key_file, public_key_pem
    try:
        key = generate_key_file(args.path)
    except FileExistsError:
        raise SystemExit("error: %s exists; a signing key is never overwritten" % args.path) from None
    print("wrote the signing key to %s (keep it private); its public key:\n%s" % (args.path, public_key_pem(key)))


def cmd_audit_checkpoint(args, settings):
    from .audit.checkpoints import load_signing_key, make_checkpoint
    if not settings.signing_key_file:
        raise ConfigError("LRS_SIGNING_KEY_FILE is not set: there is no key to sign checkpoints with")
    key = load_signing_key(settings.signing_key_file, settings.signing_key_generate)
    storage = _storage(settings)
    for store in storage.list_stores():
        checkpoint = make_checkpoint(storage, key, store.id)
        print("store %s: %s" % (store.name, "signed entry %d" % checkpoint.n if checkpoint else "nothing new to sign"))


def cmd_credentials_rotate(args, settings):
    view, secret = _admin(settings).rotate_secret(args.key)
    print("key:    %s\nsecret: %s\n(the new secret is shown only now; the old one no longer works)"
          % (view["key"], secret))


def cmd_credentials_update(args, settings):
    changes = {name: getattr(args, name) for name in ("name", "expires") if getattr(args, name) is not None}
    if args.scopes is not None:
        changes["scopes"] = parse_scopes(args.scopes)
    if args.never_expires:
        changes["expires"] = None
    c = _admin(settings).update_credential(args.key, **changes)
    print("%s\t%s\t%s\texpires %s" % (c["key"], c["name"], " ".join(c["scopes"]), c["expires"] or "never"))


def _forwarding(settings):
    from .federation.forwarding import ForwardingService
    return ForwardingService(_storage(settings), settings)


def _read_secret():
    """The remote target's secret: asked for on a terminal, else the first line of standard input
    (never an argument: arguments show in process lists and shell history)."""
    if sys.stdin.isatty():
        return getpass.getpass("secret of the key on the target LRS: ")
    return sys.stdin.readline().rstrip("\r\n")


def cmd_forwarding_add(args, settings):
    service = _forwarding(settings)
    params = {name: getattr(args, name) for name in ("verb", "activity", "agent", "registration")
              if getattr(args, name) is not None}
    for name in ("related_activities", "related_agents"):
        if getattr(args, name):
            params[name] = "true"
    secret = _read_secret() if args.endpoint else None
    rule = service.add(args.store, args.name, filter=params, to_store=args.to_store, endpoint=args.endpoint,
                       key=args.key, secret=secret, version=args.version, check=not args.no_check)
    print("added forwarding rule %s of store %s (id %s)" % (rule.name, args.store, rule.id))


def cmd_forwarding_list(args, settings):
    states = _forwarding(settings).states(args.store)
    if args.json:
        print(json.dumps([state.as_dict() for state in states], indent=2))
        return
    for state in states:
        d = state.as_dict()
        age = "-" if d["oldest_pending_age_ms"] is None else "%.1fs" % (d["oldest_pending_age_ms"] / 1000.0)
        print("%s\t%s\t-> %s\t%s\tpending %d\tin flight %d\tdelivered %d\tdead %d\toldest %s\tfilter %s%s"
              % (d["store"], d["name"], d["target"], d["state"], d["pending"], d["in_flight"], d["delivered"],
                 d["dead"], age, json.dumps(d["filter"]) if d["filter"] else "all",
                 "\tlast error: %s" % d["last_error"] if d["last_error"] else ""))


def _forwarding_action(action, done):
    def handler(args, settings):
        getattr(_forwarding(settings), action)(args.store, args.name)
        print("%s forwarding rule %s of store %s" % (done, args.name, args.store))
    return handler


def cmd_dead_letters_list(args, settings):
    entries = _forwarding(settings).dead_letters(args.store, args.name, args.limit)
    if args.json:
        print(json.dumps([{"seq": e.seq, "statement": e.statement_id, "stored": format_ms(e.created_ms),
                           "attempts": e.attempts, "error": e.error} for e in entries], indent=2))
        return
    for e in entries:
        print("%d\t%s\tstored %s\tattempts %d\t%s" % (e.seq, e.statement_id, format_ms(e.created_ms), e.attempts,
                                                     e.error))


def _dead_letters_action(action, done):
    def handler(args, settings):
        count = getattr(_forwarding(settings), action)(args.store, args.name, args.seq or None)
        print("%s %d dead letters of forwarding rule %s of store %s" % (done, count, args.name, args.store))
    return handler


def cmd_forwarding_new_key(args, settings):
    from .federation.secrets import new_key
    print(new_key())


def _add_forwarding_parser(commands):
    forwarding = commands.add_parser("forwarding", help="forwarding rules (federation)").add_subparsers(
        dest="action", required=True)
    add = forwarding.add_parser("add", help="forward a store's matching statements to another store or LRS; "
                                            "a remote target's secret is read from standard input")
    add.add_argument("--store", default="default", help="the store whose statements are forwarded")
    add.add_argument("name")
    target = add.add_mutually_exclusive_group(required=True)
    target.add_argument("--to-store", help="another store of this deployment")
    target.add_argument("--endpoint", help="a remote xAPI LRS, e.g. https://agency.example.gov/xapi/")
    add.add_argument("--key", help="the key of a credential on the remote LRS")
    add.add_argument("--version", default=XAPI_2_0_0, help="the xAPI version to speak to the remote LRS")
    add.add_argument("--no-check", action="store_true",
                     help="keep the rule without checking the remote LRS (GET about, the key and secret), "
                          "e.g. for a target that is down on purpose")
    add.add_argument("--verb", help="filter: verb IRI")
    add.add_argument("--activity", help="filter: activity IRI")
    add.add_argument("--agent", help="filter: agent as JSON, e.g. '{\"mbox\": \"mailto:a@example.gov\"}'")
    add.add_argument("--registration", help="filter: registration UUID")
    add.add_argument("--related-activities", action="store_true")
    add.add_argument("--related-agents", action="store_true")
    add.set_defaults(handler=cmd_forwarding_add)
    listing = forwarding.add_parser("list", help="rules and their state")
    listing.add_argument("--store", default=None)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_forwarding_list)
    for action, done in (("pause", "paused"), ("resume", "resumed"), ("remove", "removed")):
        parser = forwarding.add_parser(action)
        parser.add_argument("--store", default="default")
        parser.add_argument("name")
        parser.set_defaults(handler=_forwarding_action(action, done))
    forwarding.add_parser("new-key", help="print a new key for LRS_SECRET_KEY").set_defaults(
        handler=cmd_forwarding_new_key)
    dead = forwarding.add_parser("dead-letters", help="what a rule's target refused, or gave up on").add_subparsers(
        dest="dead_action", required=True)
    listing = dead.add_parser("list", help="a rule's dead letters with the target's answers, in stored order")
    listing.add_argument("--store", default="default")
    listing.add_argument("name")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_dead_letters_list)
    for action, done, what in (("retry", "retrying", "deliver again"), ("drop", "dropped", "forget for good")):
        parser = dead.add_parser(action, help="%s a rule's dead letters (all, or those given by --seq)" % what)
        parser.add_argument("--store", default="default")
        parser.add_argument("name")
        parser.add_argument("--seq", type=int, action="append", help="a dead letter's seq (repeatable)")
        parser.set_defaults(handler=_dead_letters_action(action + "_dead_letters", done))


def cmd_forward(args, settings):
    """Deliver the forwarding rules' outboxes (issue 12) until stopped, or once with --once."""
    import signal

    from .federation.forwarder import Forwarder, ForwarderOptions
    from .observability import configure_logging
    configure_logging(settings.log_level)
    service = _forwarding(settings)
    service.check_secrets()                    # refuse rules it cannot decrypt, in one line
    options = ForwarderOptions(batch_size=args.batch_size, lease_ms=int(args.lease * 1000), timeout_s=args.timeout,
                               max_attempts=args.max_attempts, max_batch_size=args.max_batch_size,
                               pipeline=max(1, args.pipeline))
    forwarder = Forwarder(service.storage, settings, service, options)
    if args.once:
        claimed = forwarder.drain(max_wait_s=args.max_wait)
        forwarder.close()
        print("forwarded: %d entries handled" % claimed)
        return
    stopping = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.append(True))
    forwarder.run_forever(poll_s=args.poll, stop=lambda: bool(stopping))
    forwarder.close()


def cmd_pull(args, settings):
    """Copy statements from another xAPI LRS into a store (issue 12); resumable, re-runs duplicate nothing."""
    import signal

    from .federation.pull import PullError, Puller, terminal_progress
    from .observability import configure_logging
    configure_logging(settings.log_level)
    filters = {}
    for given in args.filter or ():
        name, sep, value = given.partition("=")
        if not sep:
            raise SystemExit("error: --filter takes NAME=VALUE (e.g. verb=http://adlnet.gov/expapi/verbs/completed)")
        filters[name.replace("-", "_")] = value
    since_ms = None
    if args.since:
        from schemas import XAPIValidationError, parse_timestamp
        from schemas.versions import LENIENT_TIMESTAMPS
        try:
            since_ms = parse_timestamp(args.since, LENIENT_TIMESTAMPS)
        except XAPIValidationError:
            raise SystemExit("error: --since must be an ISO 8601 timestamp, got %r" % args.since) from None
    secret = args.secret if args.secret is not None else _read_secret()
    progress = terminal_progress()
    puller = Puller(_storage(settings), settings, args.store, getattr(args, "from"), args.key, secret, args.version,
                    filters=filters, since_ms=since_ms, page_limit=args.page_size, progress=progress)

    def report(result):
        if progress:
            sys.stderr.write("\n")                     # end the progress line
        print("pulled %d statements (%d refused) in %d pages" % (result.copied, result.refused, result.pages))
    try:
        if not args.follow:
            report(puller.run())
            return
        stopping = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.append(True))
        puller.follow(args.poll, stop=lambda: bool(stopping), on_result=report)
    except PullError as error:
        raise SystemExit("error: %s (the next run resumes where this one stopped)" % error) from None


def _add_pull_parser(commands):
    pull = commands.add_parser("pull", help="copy statements from another xAPI LRS into a store (resumable)")
    pull.add_argument("--from", required=True, metavar="URL", help="the source LRS's xAPI endpoint, e.g. "
                                                                   "https://dept.example.gov/xapi/")
    pull.add_argument("--key", required=True, help="the key of a credential on the source that may read statements")
    pull.add_argument("--secret", help="its secret (default: read from standard input or asked on a terminal, "
                                       "which keeps it out of process lists)")
    pull.add_argument("--store", required=True, help="the store to copy into")
    pull.add_argument("--since", help="the first run copies statements stored after this time (ISO 8601)")
    pull.add_argument("--filter", action="append", metavar="NAME=VALUE",
                      help="a statement query filter: verb, activity, agent, registration, related_activities, "
                           "related_agents (repeatable)")
    pull.add_argument("--version", default=XAPI_2_0_0, help="the xAPI version to speak to the source")
    pull.add_argument("--page-size", type=int, default=500, help="statements per request (default 500)")
    pull.add_argument("--follow", action="store_true", help="keep polling for new statements until stopped")
    pull.add_argument("--poll", type=float, default=10.0, help="with --follow: seconds between runs")
    pull.set_defaults(handler=cmd_pull)


def _add_forward_parser(commands):
    forward = commands.add_parser("forward", help="deliver the forwarding rules' statements (run one or several)")
    forward.add_argument("--once", action="store_true", help="deliver what is pending, then exit (tests, cron)")
    forward.add_argument("--max-wait", type=float, default=30.0,
                         help="with --once: seconds to wait for entries waiting for a retry (default 30)")
    forward.add_argument("--poll", type=float, default=1.0, help="seconds between looks at an idle outbox")
    forward.add_argument("--batch-size", type=int, default=100, help="statements per delivery (default 100)")
    forward.add_argument("--max-batch-size", type=int, default=500,
                         help="deliveries grow up to this many statements while a backlog fills them (default 500)")
    forward.add_argument("--pipeline", type=int, default=4,
                         help="batches of one remote rule in flight at once (default 4; 1: one at a time)")
    forward.add_argument("--lease", type=float, default=60.0,
                         help="seconds a claimed batch stays this forwarder's (default 60)")
    forward.add_argument("--timeout", type=float, default=10.0, help="seconds per HTTP request (default 10)")
    forward.add_argument("--max-attempts", type=int, default=50,
                         help="attempts before a transient failure becomes a dead letter (default 50)")
    forward.set_defaults(handler=cmd_forward)


def cmd_reports_completion_rule(args, settings):
    """Show a store's completion rule, or set (--set JSON: fields over the default) or reset it."""
    admin = _admin(settings)
    if args.set is not None:
        try:
            fields = json.loads(args.set)
        except ValueError as error:
            raise SystemExit("error: --set takes a JSON object: %s" % error) from None
        view = admin.set_completion_rule(args.store, fields)
    elif args.reset:
        view = admin.set_completion_rule(args.store, None)
    else:
        view = admin.completion_rule(args.store)
    print(json.dumps(view, indent=2))


def _grant_change(change):
    def handler(args, settings):
        admin = _admin(settings)
        current = admin.report_grants(args.key)["stores"]
        wanted = change(current, args.stores)
        view = admin.set_report_grants(args.key, wanted) if wanted != current else admin.report_grants(args.key)
        print("credential %s (store %s) reads the reports of: %s"
              % (view["key"], view["store"], ", ".join([view["store"]] + view["stores"])))
    return handler


def _add_reports_parser(commands):
    reports = commands.add_parser("reports", help="the auditors' reports: completion rules, cross-store grants"
                                  ).add_subparsers(dest="action", required=True)
    rule = reports.add_parser("completion-rule", help="show, set or reset what counts as completion in a store")
    rule.add_argument("--store", default="default")
    change = rule.add_mutually_exclusive_group()
    change.add_argument("--set", metavar="JSON", help="fields over the default rule, e.g. "
                        "'{\"completion_verbs\": [\"http://adlnet.gov/expapi/verbs/completed\"]}'")
    change.add_argument("--reset", action="store_true", help="back to the default rule")
    rule.set_defaults(handler=cmd_reports_completion_rule)
    for action, what, change in (
            ("grant", "let a credential read the reports of other stores", lambda now, given: now + given),
            ("revoke", "take back a credential's reading of other stores' reports",
             lambda now, given: [name for name in now if name not in given])):
        parser = reports.add_parser(action, help=what)
        parser.add_argument("key", help="the credential's key")
        parser.add_argument("stores", nargs="+", metavar="STORE", help="store names")
        parser.set_defaults(handler=_grant_change(change))
    grants = reports.add_parser("grants", help="the stores whose reports a credential may read")
    grants.add_argument("key")
    grants.set_defaults(handler=_grant_change(lambda now, given: now), stores=[])


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m lrs", description="xAPI Learning Record Store")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the LRS (gunicorn, deploy/gunicorn.conf.py)")
    serve.add_argument("--host", default=os.environ.get("LRS_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("LRS_PORT", "8000")))
    serve.add_argument("--workers", type=int, default=0, help="default: one per core")
    serve.set_defaults(handler=cmd_serve)

    stores = commands.add_parser("stores", help="stores (agencies, departments)").add_subparsers(
        dest="action", required=True)
    create = stores.add_parser("create")
    create.add_argument("name")
    create.set_defaults(handler=cmd_stores_create)
    stores.add_parser("list").set_defaults(handler=cmd_stores_list)
    rename = stores.add_parser("rename")
    rename.add_argument("name")
    rename.add_argument("new_name")
    rename.set_defaults(handler=cmd_stores_rename)

    credentials = commands.add_parser("credentials", help="key/secret pairs").add_subparsers(
        dest="action", required=True)
    create = credentials.add_parser("create")
    create.add_argument("--store", default="default")
    create.add_argument("--scopes", default="statements/write statements/read/mine",
                        help="space- or comma-separated xAPI scopes")
    create.add_argument("--name", default="")
    create.add_argument("--admin", action="store_true")
    create.add_argument("--expires", help="ISO 8601 date (valid through that day, UTC) or date and time")
    create.set_defaults(handler=cmd_credentials_create)
    listing = credentials.add_parser("list")
    listing.add_argument("--store", default=None)
    listing.set_defaults(handler=cmd_credentials_list)
    revoke = credentials.add_parser("revoke")
    revoke.add_argument("key")
    revoke.set_defaults(handler=cmd_credentials_revoke)
    rotate = credentials.add_parser("rotate", help="replace the secret (the new one is shown once)")
    rotate.add_argument("key")
    rotate.set_defaults(handler=cmd_credentials_rotate)
    update = credentials.add_parser("update", help="change the name, scopes or expiry")
    update.add_argument("key")
    update.add_argument("--name")
    update.add_argument("--scopes", help="space- or comma-separated xAPI scopes (replace the current ones)")
    expiry = update.add_mutually_exclusive_group()
    expiry.add_argument("--expires", help="ISO 8601 date (valid through that day, UTC) or date and time")
    expiry.add_argument("--never-expires", action="store_true")
    update.set_defaults(handler=cmd_credentials_update)
    _add_forwarding_parser(commands)
    _add_forward_parser(commands)
    _add_pull_parser(commands)

    audit = commands.add_parser("audit", help="the tamper-evident history").add_subparsers(
        dest="action", required=True)
    verify = audit.add_parser("verify", help="recompute the hash chain; exit 1 at the first difference")
    verify.add_argument("--store", default=None, help="one store's name (default: every store)")
    verify.add_argument("--against", default=None, metavar="CHECKPOINT_FILE",
                        help="also check the chain against signed checkpoints kept elsewhere (the JSON of "
                             "GET /reports/audit/checkpoints)")
    verify.add_argument("--public-key", default=None, metavar="PEM_FILE",
                        help="the public key of GET /reports/audit/key (default: from LRS_SIGNING_KEY_FILE)")
    verify.set_defaults(handler=cmd_audit_verify)
    backfill = audit.add_parser("backfill", help="chain the statements and documents a store kept before its chain "
                                                 "recorded them (older databases); recorded as a backfill")
    backfill.add_argument("--store", default=None, help="one store's name (default: every store)")
    backfill.set_defaults(handler=cmd_audit_backfill)
    keygen = audit.add_parser("keygen", help="write a new Ed25519 signing key (PEM, mode 0600)")
    keygen.add_argument("path")
    keygen.set_defaults(handler=cmd_audit_keygen)
    checkpoint = audit.add_parser("checkpoint", help="sign every store's chain head now")
    checkpoint.set_defaults(handler=cmd_audit_checkpoint)

    erase = commands.add_parser("erase", help="erase a learner's statements and documents from a store (a "
                                              "data-protection request); the audit chain records it")
    erase.add_argument("--store", required=True)
    erase.add_argument("--agent", required=True, help='the learner as an xAPI Agent, e.g. {"mbox": "mailto:a@b.example"}')
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erase.set_defaults(handler=cmd_erase)
    _add_reports_parser(commands)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        args.handler(args, settings)
    except (ConfigError, ValueError) as error:
        raise SystemExit("error: %s" % error) from None
    except LRSError as error:
        raise SystemExit("error: %s" % error.message) from None


if __name__ == "__main__":
    main()
