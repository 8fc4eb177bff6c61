"""Housekeeping of the leads' storage: resume files no lead references, expired idempotency
keys (`lead-manager cleanup-orphans`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy.orm import Session

from lead_manager.core.db import utcnow
from lead_manager.leads import repository
from lead_manager.storage.base import ResumeStorage

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class OrphanCleanup:
    files: int
    partial_uploads: int
    idempotency_keys: int


def remove_orphans(
    session: Session, storage: ResumeStorage, *, grace: timedelta, idempotency_ttl: timedelta
) -> OrphanCleanup:
    """Remove stored resumes no lead references, and idempotency keys past their lifetime.

    Only files older than `grace` are candidates: a submission in progress stores its file before
    its lead commits. Files are listed before the leads are read, so a lead committed meanwhile
    still protects its file.
    """
    now = utcnow()
    candidates = set(storage.keys(stored_before=now - grace))
    orphans = candidates - repository.all_resume_keys(session)
    for key in sorted(orphans):
        storage.delete(key)
    partial = storage.discard_partial_uploads(now - grace)
    keys = repository.delete_idempotency_keys_before(session, now - idempotency_ttl)
    log.info("orphans removed", files=len(orphans), partial_uploads=partial, idempotency_keys=keys)
    return OrphanCleanup(len(orphans), partial, keys)
