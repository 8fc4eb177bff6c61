"""All SQL of erasure and export: finding a person's leads, and every table erasure touches.

Erasure reaches into other domains' tables on purpose: this file is the one place that says what
is removed where (leads, their history, audit rows about them, the outbox, idempotency keys).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from lead_manager.audit.models import AuditAction, AuditEvent
from lead_manager.core.matching_keys import email_key
from lead_manager.leads.models import IdempotencyKey, Lead, LeadStatus, LeadStatusChange
from lead_manager.notes.models import Note
from lead_manager.outbox.models import MessageKind, OutboxMessage, OutboxStatus
from lead_manager.privacy.personal_data import AUDIT_FREE_TEXT, LEAD_PERSONAL_COLUMNS

# Closed leads that retention erases; RETAINED leads are clients, PENDING ones are still open.
RETENTION_STATUSES = (LeadStatus.DECLINED.value, LeadStatus.REACHED_OUT.value)


def leads_of_person(session: Session, address: str) -> list[Lead]:
    """Every lead of that person not yet erased, oldest first: the same `email_key` (case and a
    `+tag` ignored) that links duplicates, through its index."""
    return list(
        session.scalars(
            select(Lead)
            .where(Lead.email_key == email_key(address), Lead.erased_at.is_(None))
            .order_by(Lead.created_at, Lead.id)
        )
    )


def expired_leads(session: Session, cutoff: datetime, limit: int) -> list[Lead]:
    """Closed leads (DECLINED, REACHED_OUT) with no activity since `cutoff`: not updated, no
    status change, no note."""
    recent_change = exists().where(
        LeadStatusChange.lead_id == Lead.id, LeadStatusChange.changed_at >= cutoff
    )
    recent_note = exists().where(Note.lead_id == Lead.id, Note.created_at >= cutoff)
    return list(
        session.scalars(
            select(Lead)
            .where(
                Lead.erased_at.is_(None),
                Lead.status.in_(RETENTION_STATUSES),
                Lead.updated_at < cutoff,
                ~recent_change,
                ~recent_note,
            )
            .order_by(Lead.updated_at, Lead.id)
            .limit(limit)
        ).all()
    )


def outbox_ids(session: Session, lead_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    return list(
        session.scalars(select(OutboxMessage.id).where(OutboxMessage.lead_id.in_(lead_ids))).all()
    )


def _cleared_values() -> dict[str, Any]:
    columns = Lead.__table__.columns
    return {name: None if columns[name].nullable else "" for name in LEAD_PERSONAL_COLUMNS}


def erase_lead_rows(session: Session, lead_ids: Sequence[uuid.UUID], now: datetime) -> int:
    """Clear the personal columns and the file reference; the dates stay as they were."""
    result = session.execute(
        update(Lead)
        .where(Lead.id.in_(lead_ids), Lead.erased_at.is_(None))
        .values(
            **_cleared_values(),
            # The statistics' source survives the UTM fields (source, else utm_source).
            source=func.coalesce(Lead.source, Lead.utm_source),
            resume_key="",
            erased_at=now,
            # No longer worked: out of the overdue list, never escalated.
            respond_by=None,
            # Not the column's onupdate: the lead keeps its dates for statistics.
            updated_at=Lead.updated_at,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


def clear_history_reasons(session: Session, lead_ids: Sequence[uuid.UUID]) -> None:
    session.execute(
        update(LeadStatusChange)
        .where(LeadStatusChange.lead_id.in_(lead_ids), LeadStatusChange.reason.is_not(None))
        .values(reason=None)
        .execution_options(synchronize_session=False)
    )


def clear_audit_free_text(session: Session, lead_ids: Sequence[uuid.UUID]) -> None:
    """Drop the free-text details (a status change's reason…) of audit rows about the leads."""
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.target.in_([str(lead_id) for lead_id in lead_ids]),
            AuditEvent.action.in_(list(AUDIT_FREE_TEXT)),
        )
    ).all()
    for event in events:
        keys = AUDIT_FREE_TEXT[event.action]
        if any(event.details.get(key) is not None for key in keys):
            # A new dict: the JSON column notices assignment, not mutation.
            event.details = {k: (None if k in keys else v) for k, v in event.details.items()}
    session.flush()


def drop_unsent_messages(session: Session, lead_ids: Sequence[uuid.UUID]) -> int:
    """Emails (and other side effects) about the leads not yet delivered are never sent."""
    result = session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.lead_id.in_(lead_ids),
            OutboxMessage.status != OutboxStatus.SENT.value,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


def scrub_sent_messages(session: Session, lead_ids: Sequence[uuid.UUID]) -> None:
    """Delivered messages stay (kind, dates: the timeline and statistics) without what could lead
    back to the person: the submission's request id and any error text."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.lead_id.in_(lead_ids))
        .values(request_id=None, last_error=None, recipient=None)
        .execution_options(synchronize_session=False)
    )
    # Webhook events carried the lead's fields in their body: the delivered ones keep nothing.
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.lead_id.in_(lead_ids), OutboxMessage.kind == MessageKind.WEBHOOK.value)
        .values(payload={})
        .execution_options(synchronize_session=False)
    )


def delete_idempotency_keys(session: Session, lead_ids: Sequence[uuid.UUID]) -> None:
    # The key's fingerprint is a hash of the submitted fields: not kept for an erased person.
    session.execute(
        delete(IdempotencyKey)
        .where(IdempotencyKey.lead_id.in_(lead_ids))
        .execution_options(synchronize_session=False)
    )


def delete_notes(session: Session, lead_ids: Sequence[uuid.UUID]) -> None:
    """What staff wrote about the person goes with their data (the timeline loses the entries)."""
    session.execute(
        delete(Note).where(Note.lead_id.in_(lead_ids)).execution_options(synchronize_session=False)
    )


def erasures_of(session: Session, address_hash: str) -> Sequence[AuditEvent]:
    """Earlier erasures of the person with this address hash, newest first."""
    return session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action == AuditAction.PERSON_ERASED.value,
            AuditEvent.target == address_hash,
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
