"""`lead-manager erase` and `lead-manager purge-expired`: the privacy duties from the shell.

Imported by the CLI when it builds its parser: the heavy imports wait until a command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from lead_manager.core.settings import Settings
    from lead_manager.privacy.service import Eraser


def add_commands(sub: argparse._SubParsersAction[Any], engine: Callable[[], Engine]) -> None:
    """Add the two commands; `engine` opens the (migrated) database when one runs."""
    erase_parser = sub.add_parser(
        "erase", help="erase a person's data (every lead of that address)"
    )
    erase_parser.add_argument(
        "--email", required=True, help="the person's address (case and a +tag ignored)"
    )
    erase_parser.add_argument(
        "--reason", required=True, help="why, kept in the audit trail (not the person's name)"
    )
    erase_parser.set_defaults(
        handler=lambda args: _with_engine(engine, lambda e: erase(e, args.email, args.reason))
    )
    sub.add_parser(
        "purge-expired", help="erase the closed leads past RETENTION_DAYS now"
    ).set_defaults(handler=lambda _args: _with_engine(engine, purge))


def _with_engine(engine: Callable[[], Engine], command: Callable[[Engine], int]) -> int:
    opened = engine()
    try:
        return command(opened)
    finally:
        opened.dispose()


def _fail(message: str) -> int:
    print(f"lead-manager: {message}", file=sys.stderr)
    return 1


def _eraser(settings: Settings) -> Eraser:
    from lead_manager.privacy.service import Eraser
    from lead_manager.storage.factory import create_storage

    return Eraser(create_storage(settings), settings.signing_key(), settings.mail_dir)


def erase(engine: Engine, address: str, reason: str) -> int:
    """Erase a person's leads; prints how many. Exit 1 with a one-line reason otherwise."""
    from pydantic import ValidationError

    # Every table mapped: erasure writes audit rows, whose foreign key names the users table.
    import lead_manager.models  # noqa: F401
    from lead_manager.core.db import create_write_session_factory, transaction
    from lead_manager.core.logging import configure_logging
    from lead_manager.core.request_meta import RequestMeta
    from lead_manager.core.settings import get_settings
    from lead_manager.core.validation_messages import one_line
    from lead_manager.privacy.schemas import ErasureRequest
    from lead_manager.privacy.service import ErasureIncompleteError, erase_person

    try:
        request = ErasureRequest(email=address, reason=reason)
    except ValidationError as exc:
        return _fail(f"invalid request: {one_line(exc)}")
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        with transaction(create_write_session_factory(engine)) as session:
            erased = erase_person(
                session,
                _eraser(settings),
                str(request.email),
                request.reason,
                actor=None,
                meta=RequestMeta(),
            )
    except ErasureIncompleteError as exc:
        return _fail(exc.detail)
    print(f"erased {erased} lead(s)")
    return 0


def purge(engine: Engine) -> int:
    """Erase the leads past RETENTION_DAYS now; prints how many."""
    import lead_manager.models  # noqa: F401
    from lead_manager.core.db import create_write_session_factory, utcnow
    from lead_manager.core.logging import configure_logging
    from lead_manager.core.settings import get_settings
    from lead_manager.privacy.service import ErasureIncompleteError, purge_expired
    from lead_manager.storage.base import StorageError

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    if settings.retention_days <= 0:
        print("erased 0 lead(s): RETENTION_DAYS is 0, leads are kept")
        return 0
    try:
        erased = purge_expired(
            create_write_session_factory(engine),
            _eraser(settings),
            retention_days=settings.retention_days,
            now=utcnow(),
        )
    except (ErasureIncompleteError, StorageError) as exc:
        return _fail(str(exc))
    print(f"erased {erased} lead(s) with no activity for {settings.retention_days} days")
    return 0
