"""`lead-manager reset-password --email E --password-stdin`: set a user's password from the
shell (an admin who lost theirs, a locked-out account); every session of the user ends."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import Engine


def add_reset_password(
    commands: Any, migrated_engine: Callable[[], Engine], fail: Callable[[str], int]
) -> None:
    """Add the command to the CLI's subparsers (`lead_manager.cli` hands its helpers over)."""
    parser = commands.add_parser(
        "reset-password",
        help="set a user's password (read from standard input); ends their sessions",
        description="Set a user's password. It is read from standard input, never from the "
        "command line, e.g. `lead-manager reset-password --email jane@firm.example "
        "--password-stdin < password.txt`.",
    )
    parser.add_argument("--email", required=True, help="the account's email address")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="required: read the password from the first line of standard input",
    )
    parser.set_defaults(handler=partial(reset_password, migrated_engine=migrated_engine, fail=fail))


def reset_password(
    args: argparse.Namespace, *, migrated_engine: Callable[[], Engine], fail: Callable[[str], int]
) -> int:
    from pydantic import TypeAdapter, ValidationError

    import lead_manager.models  # noqa: F401 - every table, for the audit row's foreign keys
    from lead_manager.auth.passwords import reset_from_shell
    from lead_manager.core.db import create_write_session_factory, transaction
    from lead_manager.core.errors import NotFoundError
    from lead_manager.users.schemas import Password

    try:
        password = TypeAdapter(Password).validate_python(sys.stdin.readline().rstrip("\r\n"))
    except ValidationError as exc:
        reasons = "; ".join(err["msg"].removeprefix("Value error, ") for err in exc.errors())
        return fail(f"invalid password: {reasons}")
    engine = migrated_engine()
    try:
        with transaction(create_write_session_factory(engine)) as session:
            user_id = reset_from_shell(session, args.email, password)
    except NotFoundError as exc:
        return fail(exc.detail)
    finally:
        engine.dispose()
    print(f"password set for {args.email.strip().lower()} ({user_id}); their sessions have ended")
    return 0
