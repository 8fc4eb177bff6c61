"""The timeline, derived from what is already stored: the lead (submission, first assignment),
its status history, notes, delivered emails (outbox) and the audit rows about it. No second copy.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from lead_manager.audit import repository as audit
from lead_manager.audit.models import AuditAction, AuditEvent
from lead_manager.leads import repository as leads
from lead_manager.leads.models import Lead, LeadStatus
from lead_manager.notes import repository as notes
from lead_manager.outbox import repository as outbox
from lead_manager.timeline.schemas import (
    Assigned,
    ConflictResolved,
    EmailSent,
    Escalated,
    NoteAdded,
    ResumeDownloaded,
    StatusChanged,
    Submitted,
    TimelineEntry,
)

_AUDITED = (
    AuditAction.LEAD_ASSIGNED.value,
    AuditAction.LEAD_ESCALATED.value,
    AuditAction.LEAD_CONFLICT_RESOLVED.value,
    AuditAction.RESUME_DOWNLOADED.value,
)


def _user(value: Any) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def _from_audit(event: AuditEvent) -> TimelineEntry:
    details = event.details or {}
    at, actor = event.at, event.actor
    if event.action == AuditAction.LEAD_ASSIGNED:
        return Assigned(at=at, actor=actor, to=_user(details.get("to")), reason=details["reason"])
    if event.action == AuditAction.LEAD_ESCALATED:
        return Escalated(at=at, actor=actor, step=int(details.get("step", 1)))
    if event.action == AuditAction.LEAD_CONFLICT_RESOLVED:
        return ConflictResolved(
            at=at, actor=actor, decision=str(details.get("decision")), note=details.get("note")
        )
    return ResumeDownloaded(at=at, actor=actor)


def timeline(session: Session, lead: Lead) -> list[TimelineEntry]:
    """Every event of the lead, oldest first (events of the same instant in the order made)."""
    events = audit.for_target(session, str(lead.id), _AUDITED)
    entries: list[TimelineEntry] = [Submitted(at=lead.created_at)]
    if lead.assignment_reason:
        # The assignee at intake: whom the first reassignment took the lead from, if any.
        reassignments = [e for e in events if e.action == AuditAction.LEAD_ASSIGNED]
        first = _user(reassignments[0].details.get("from")) if reassignments else lead.assigned_to
        entries.append(Assigned(at=lead.created_at, to=first, reason=lead.assignment_reason))
    previous: LeadStatus | None = None
    for change in leads.history(session, lead.id):
        status = LeadStatus(change.status)
        if previous is not None:
            entries.append(
                StatusChanged(
                    at=change.changed_at,
                    actor=change.changed_by,
                    from_=previous,
                    to=status,
                    reason=change.reason,
                )
            )
        previous = status
    entries.extend(
        NoteAdded(at=note.created_at, actor=note.author, note_id=note.id, body=note.body)
        for note in notes.for_lead(session, lead.id)
    )
    entries.extend(
        EmailSent(at=message.sent_at, kind=message.kind, to=message.recipient)
        for message in outbox.delivered_for_lead(session, lead.id)
        if message.sent_at is not None and message.recipient is not None
    )
    entries.extend(_from_audit(event) for event in events)
    # Stable: the submission stays before the first assignment it shares an instant with.
    entries.sort(key=lambda entry: entry.at)
    return entries
