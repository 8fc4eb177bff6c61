"""`lead-manager`: the commands of an operator (`lead-manager --help` lists them)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import Engine

from lead_manager import __version__
from lead_manager.auth import commands as auth_commands
from lead_manager.conflicts import commands as conflict_commands
from lead_manager.core.settings import get_settings
from lead_manager.privacy import commands as privacy_commands


def _fail(message: str) -> int:
    print(f"lead-manager: {message}", file=sys.stderr)
    return 1


def cmd_migrate(_args: argparse.Namespace) -> int:
    from lead_manager.core.migrations import upgrade_to_head

    settings = get_settings()
    upgrade_to_head(settings.database_url)
    print("database is at the latest schema")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from lead_manager.core.http_protocol import BoundedHeadHttpToolsProtocol

    if args.no_dispatcher:
        # Read by the settings of every uvicorn worker process, not only this one.
        os.environ["EMBEDDED_DISPATCHER"] = "false"
        get_settings.cache_clear()
    settings = get_settings()
    uvicorn.run(
        "lead_manager.main:create_default_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
        proxy_headers=False,  # client addresses come from TRUSTED_PROXIES only (middleware)
        server_header=False,
        timeout_keep_alive=5,
        limit_concurrency=1000,
        # Request heads are bounded by the protocol class (httptools ignores the h11 setting,
        # which still applies should someone run with --http h11).
        http=BoundedHeadHttpToolsProtocol,
        h11_max_incomplete_event_size=32 * 1024,
        log_level=settings.log_level.lower(),
    )
    return 0


def cmd_worker(_args: argparse.Namespace) -> int:
    from lead_manager.channels import delivery_channels
    from lead_manager.core.db import Database
    from lead_manager.core.logging import configure_logging
    from lead_manager.jobs import scheduled_jobs
    from lead_manager.notifications.dispatcher import Dispatcher

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    engine = _migrated_engine()
    database = Database.from_engine(engine)
    Dispatcher(
        settings,
        engine,
        name="worker",
        channels=delivery_channels(settings, database),
        jobs=scheduled_jobs(settings, database),
    ).run_forever()
    engine.dispose()
    return 0


def _migrated_engine() -> Engine:
    from lead_manager.core.db import create_engine
    from lead_manager.core.migrations import ensure_schema_current

    settings = get_settings()
    engine = create_engine(settings)
    try:
        ensure_schema_current(engine, settings.database_url)
    except BaseException:
        engine.dispose()
        raise
    return engine


def cmd_create_user(args: argparse.Namespace) -> int:
    from lead_manager.core.db import create_write_session_factory, transaction
    from lead_manager.core.errors import ConflictError
    from lead_manager.core.request_meta import RequestMeta
    from lead_manager.core.validation_messages import one_line
    from lead_manager.users.schemas import UserCreate
    from lead_manager.users.service import create_user

    password = sys.stdin.readline().rstrip("\r\n")
    try:
        data = UserCreate(
            email=args.email, full_name=args.name or "", password=password, role=args.role
        )
    except ValidationError as exc:
        return _fail(f"invalid user: {one_line(exc)}")
    engine = _migrated_engine()
    try:
        with transaction(create_write_session_factory(engine)) as session:
            user = create_user(session, data, actor=None, meta=RequestMeta())
    except ConflictError as exc:
        return _fail(exc.detail)
    finally:
        engine.dispose()
    print(f"created {user.role} {user.email} ({user.id})")
    return 0


def cmd_ensure_admin(_args: argparse.Namespace) -> int:
    from lead_manager.core.db import create_write_session_factory, transaction
    from lead_manager.users.service import ensure_first_admin

    engine = _migrated_engine()
    with transaction(create_write_session_factory(engine)) as session:
        created = ensure_first_admin(session)
    engine.dispose()
    if created:
        email, password = created
        print("=" * 64)
        print("First administrator created. This password is shown only once:")
        print(f"  email:    {email}")
        print(f"  password: {password}")
        print("=" * 64)
    return 0


def cmd_cleanup_orphans(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from lead_manager.core.db import create_write_session_factory, transaction
    from lead_manager.core.logging import configure_logging
    from lead_manager.leads.cleanup import remove_orphans
    from lead_manager.storage.factory import create_storage

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    grace = timedelta(minutes=args.grace_minutes or settings.orphan_grace_minutes)
    engine = _migrated_engine()
    try:
        with transaction(create_write_session_factory(engine)) as session:
            result = remove_orphans(
                session,
                create_storage(settings),
                grace=grace,
                idempotency_ttl=settings.idempotency_ttl,
            )
    finally:
        engine.dispose()
    print(
        f"removed {result.files} orphan resume file(s), "
        f"{result.partial_uploads} partial upload(s), "
        f"{result.idempotency_keys} expired idempotency key(s)"
    )
    return 0


def cmd_retry_emails(args: argparse.Namespace) -> int:
    from lead_manager.core.db import create_write_session_factory, transaction, utcnow
    from lead_manager.outbox import repository
    from lead_manager.outbox.models import EMAIL_KINDS

    emails = [kind.value for kind in EMAIL_KINDS]
    engine = _migrated_engine()
    try:
        with transaction(create_write_session_factory(engine)) as session:
            if args.list:
                messages = repository.failed(session, emails)
                for message in messages:
                    error_lines = (message.last_error or "").splitlines()
                    first_error_line = error_lines[0][:160] if error_lines else ""
                    print(
                        f"{message.id}  {message.kind}  attempts={message.attempts}  "
                        f"created={message.created_at:%Y-%m-%d %H:%M}Z  {first_error_line}"
                    )
                print(f"{len(messages)} failed email(s)")
                return 0
            count = repository.requeue_failed(session, utcnow(), emails)
    finally:
        engine.dispose()
    print(f"re-queued {count} failed email(s); the dispatcher sends them next")
    return 0


def cmd_send_digest(_args: argparse.Namespace) -> int:
    import socket

    from lead_manager.core.db import Database, utcnow
    from lead_manager.core.logging import configure_logging
    from lead_manager.leads.digest import send_digests

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    zone = settings.response_clock().zone
    engine = _migrated_engine()
    try:
        now = utcnow()
        day = now.astimezone(zone).date()
        worker = f"send-digest:{socket.gethostname()}:{os.getpid()}"
        run = send_digests(Database.from_engine(engine), day, worker, now)
    finally:
        engine.dispose()
    if run.queued == 0 and run.already_sent == 0:
        print(f"digest of {day} ({zone.key}): nothing to send, no attorney has pending leads")
    elif run.queued == 0:
        print(
            f"digest of {day} ({zone.key}): already sent today to all {run.already_sent} attorney(s)"
        )
    else:
        already = f"; {run.already_sent} already had it" if run.already_sent else ""
        print(
            f"digest of {day} ({zone.key}): queued {run.queued} email(s){already}; "
            "the dispatcher (serve or worker) delivers them"
        )
    return 0


def _setting_problem(error: ErrorDetails) -> str:
    """One variable's problem, named as in the environment: `DIGEST_TIME: '25:00' is not ...`."""
    message = error["msg"].removeprefix("Value error, ")
    name = str(error["loc"][0]).upper() if error["loc"] else ""
    return message if not name or message.startswith(name) else f"{name}: {message}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lead-manager",
        description="Lead intake and management for law firms. Settings come from the "
        "environment and ./.env (see docs/configuration.md).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    migrate = sub.add_parser("migrate", help="upgrade the database to the latest schema")
    migrate.set_defaults(handler=cmd_migrate)

    serve = sub.add_parser("serve", help="run the HTTP app (with the dispatcher by default)")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--port", type=int, default=8000, help="port to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="number of server processes (default: %(default)s); see README, scaling out",
    )
    serve.add_argument(
        "--no-dispatcher",
        action="store_true",
        help="do not send email from this process; run `lead-manager worker` for it",
    )
    serve.set_defaults(handler=cmd_serve)

    sub.add_parser(
        "worker", help="run only the outbox dispatcher (email); any number may run at once"
    ).set_defaults(handler=cmd_worker)

    create = sub.add_parser(
        "create-user",
        help="create an account (password read from standard input)",
        description="Create an account. The password is read from standard input, never "
        "from the command line, e.g. `lead-manager create-user --email jane@firm.example "
        "--role attorney --password-stdin < password.txt`.",
    )
    create.add_argument("--email", required=True, help="the account's email address (login)")
    create.add_argument(
        "--role", choices=["attorney", "admin"], required=True, help="attorney or admin"
    )
    create.add_argument("--name", default="", help="full name shown in the app (optional)")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="required: read the password from the first line of standard input",
    )
    create.set_defaults(handler=cmd_create_user)
    auth_commands.add_reset_password(sub, _migrated_engine, _fail)

    cleanup = sub.add_parser(
        "cleanup-orphans",
        help="remove resume files no lead references, and expired idempotency keys",
    )
    cleanup.add_argument(
        "--grace-minutes",
        type=int,
        default=None,
        help="only files older than this (default ORPHAN_GRACE_MINUTES, 60)",
    )
    cleanup.set_defaults(handler=cmd_cleanup_orphans)

    retry = sub.add_parser(
        "retry-emails",
        help="send the emails given up on again (e.g. after fixing the SMTP settings)",
    )
    retry.add_argument("--list", action="store_true", help="only list them, with their last error")
    retry.set_defaults(handler=cmd_retry_emails)

    # erase, purge-expired
    privacy_commands.add_commands(sub, _migrated_engine)
    conflict_commands.add_import_parties(sub, _migrated_engine, _fail)
    sub.add_parser(
        "send-digest", help="send today's digest to attorneys now, unless it already went out"
    ).set_defaults(handler=cmd_send_digest)
    sub.add_parser(
        "ensure-admin", help="create a first admin (printed once) if there are no users"
    ).set_defaults(handler=cmd_ensure_admin)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings_error = None
        get_settings()
    except ValidationError as exc:
        settings_error = "; ".join(_setting_problem(err) for err in exc.errors())
    if settings_error:
        return _fail(f"configuration error: {settings_error}")
    from lead_manager.core.migrations import SchemaBehindError

    try:
        code: int = args.handler(args)
    except SchemaBehindError as exc:
        return _fail(str(exc))
    return code
