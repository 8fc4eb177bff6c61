"""Erasure of a person's data, on request or when retention runs out: the rules, no HTTP.

Order matters for a retry: the rows are cleared first (in the caller's transaction), then the
files are deleted, and only then does the caller commit. If storage fails part-way, the error
rolls the transaction back: every lead still carries its data and address, so repeating the
request finds the same leads and completes (deleting a file already gone is not an error).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy.orm import Session, sessionmaker

from lead_manager.audit import repository as audit
from lead_manager.audit.models import AuditAction
from lead_manager.conflicts import repository as conflicts
from lead_manager.core.db import transaction, utcnow
from lead_manager.core.errors import DomainError
from lead_manager.core.request_meta import RequestMeta
from lead_manager.leads.models import Lead
from lead_manager.notifications.transport import eml_copy
from lead_manager.privacy import repository
from lead_manager.privacy.personal_data import email_hash
from lead_manager.storage.base import ResumeStorage, StorageError

log = structlog.get_logger(__name__)

# Leads erased per transaction by retention: bounded work (and SQLite write lock) per step.
RETENTION_BATCH = 100


class ErasureIncompleteError(DomainError):
    """A file could not be deleted: nothing is marked erased, and repeating the request completes
    it once storage is back."""

    status_code = 503


@dataclass(frozen=True, slots=True)
class Eraser:
    """What erasure needs besides the session."""

    storage: ResumeStorage
    # SECRET_KEY: the key of the address hash kept in the audit trail.
    secret_key: str
    # Where the mail transport without SMTP keeps copies of sent emails (.eml files).
    mail_dir: Path


def erase_person(
    session: Session,
    eraser: Eraser,
    address: str,
    reason: str,
    *,
    actor: uuid.UUID | None,
    meta: RequestMeta,
) -> int:
    """Erase every lead of the person with this address; how many were erased (0 when none).

    The audit row records the request (also when nothing matched) under the address's keyed hash.
    """
    leads = repository.leads_of_person(session, address)
    erased = erase_leads(session, eraser, leads, utcnow())
    address_hash = email_hash(eraser.secret_key, address)
    audit.record(
        session,
        AuditAction.PERSON_ERASED,
        actor=actor,
        target=address_hash,
        meta=meta,
        reason=reason,
        erased_leads=erased,
        lead_ids=[str(lead.id) for lead in leads],
    )
    # The hash's first characters correlate log lines with the audit row; never the address.
    log.info("person erased", email_hash=address_hash[:12], erased_leads=erased)
    return erased


def erase_leads(session: Session, eraser: Eraser, leads: Sequence[Lead], now: datetime) -> int:
    """Remove the personal data of `leads` wherever it is kept; how many were erased by this call.

    Raises ErasureIncompleteError when a file cannot be deleted: the caller's transaction must
    then roll back (the request's and the CLI's do), so nothing is marked erased.
    """
    if not leads:
        return 0
    lead_ids = [lead.id for lead in leads]
    resume_keys = [lead.resume_key for lead in leads if lead.resume_key]
    message_ids = repository.outbox_ids(session, lead_ids)

    erased = repository.erase_lead_rows(session, lead_ids, now)
    repository.clear_history_reasons(session, lead_ids)
    repository.clear_audit_free_text(session, lead_ids)
    repository.delete_notes(session, lead_ids)
    conflicts.forget_leads(session, lead_ids)
    repository.drop_unsent_messages(session, lead_ids)
    repository.scrub_sent_messages(session, lead_ids)
    repository.delete_idempotency_keys(session, lead_ids)
    session.flush()

    # Files last: a database error above leaves every file in place.
    for key in resume_keys:
        try:
            eraser.storage.delete(key)
        except (StorageError, OSError) as exc:
            log.error("erasure incomplete: resume not deleted", error=str(exc))
            raise ErasureIncompleteError(
                "The erasure could not be completed: resume storage is unavailable. Nothing has "
                "been marked erased; repeat the request once storage is back."
            ) from exc
    for message_id in message_ids:
        try:
            eml_copy(eraser.mail_dir, message_id).unlink(missing_ok=True)
        except OSError as exc:
            log.error("erasure incomplete: email copy not deleted", error=str(exc))
            raise ErasureIncompleteError(
                "The erasure could not be completed: a stored copy of an email could not be "
                "deleted from MAIL_DIR. Nothing has been marked erased; repeat the request."
            ) from exc
    return erased


def purge_expired(
    factory: sessionmaker[Session], eraser: Eraser, *, retention_days: int, now: datetime
) -> int:
    """Erase closed leads with no activity for `retention_days`; how many were erased.

    In batches, one transaction each (committed as it goes): a storage failure stops the run with
    the error, the batch it was in untouched, and what is left is erased by the next run.
    """
    if retention_days <= 0:
        return 0
    cutoff = now - timedelta(days=retention_days)
    total = 0
    while True:
        with transaction(factory) as session:
            leads = repository.expired_leads(session, cutoff, RETENTION_BATCH)
            erased = erase_leads(session, eraser, leads, now)
            if erased:
                audit.record(
                    session,
                    AuditAction.RETENTION_ERASED,
                    actor=None,
                    target=None,
                    meta=RequestMeta(),
                    retention_days=retention_days,
                    erased_leads=erased,
                    lead_ids=[str(lead.id) for lead in leads],
                )
        total += erased
        if len(leads) < RETENTION_BATCH:
            break
    if total:
        log.info("expired leads erased", erased_leads=total, retention_days=retention_days)
    return total


def earlier_erasures(session: Session, secret_key: str, address: str) -> list[datetime]:
    """When this address was erased before (newest first): proof a request was honoured."""
    return [event.at for event in repository.erasures_of(session, email_hash(secret_key, address))]
