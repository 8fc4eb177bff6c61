"""`lead-manager erase` and `lead-manager purge-expired`: the privacy duties from the shell."""

from __future__ import annotations

import sys

from pydantic import ValidationError
from sqlalchemy import Engine

# Every table mapped: erasure writes audit rows, whose foreign key names the users table.
import lead_manager.models  # noqa: F401
from lead_manager.core.db import create_write_session_factory, transaction, utcnow
from lead_manager.core.logging import configure_logging
from lead_manager.core.request_meta import RequestMeta
from lead_manager.core.settings import Settings
from lead_manager.privacy.schemas import ErasureRequest
from lead_manager.privacy.service import Eraser, ErasureIncompleteError, erase_person, purge_expired
from lead_manager.storage.base import StorageError
from lead_manager.storage.factory import create_storage


def _eraser(settings: Settings) -> Eraser:
    return Eraser(create_storage(settings), settings.signing_key(), settings.mail_dir)


def _fail(message: str) -> int:
    print(f"lead-manager: {message}", file=sys.stderr)
    return 1


def erase(engine: Engine, settings: Settings, address: str, reason: str) -> int:
    """Erase a person's leads; prints how many. Exit 1 with a one-line reason otherwise."""
    try:
        request = ErasureRequest(email=address, reason=reason)
    except ValidationError as exc:
        reasons = "; ".join(f"{err['loc'][0]}: {err['msg']}" for err in exc.errors())
        return _fail(f"invalid request: {reasons}")
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


def purge(engine: Engine, settings: Settings) -> int:
    """Erase the leads past RETENTION_DAYS now; prints how many."""
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
