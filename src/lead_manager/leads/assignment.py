"""Who works a lead after intake: reassignment by staff, and escalation when nobody answers.

Every change of assignee is audited (`lead.assigned`, the timeline's `assigned` entries) and its
emails are outbox rows of the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import structlog
from sqlalchemy.orm import Session

from lead_manager.audit import repository as audit
from lead_manager.audit.models import AuditAction
from lead_manager.core.business_hours import ResponseClock
from lead_manager.core.db import utcnow
from lead_manager.core.errors import ConflictError, ForbiddenError, InvalidInputError
from lead_manager.core.request_meta import RequestMeta
from lead_manager.leads import repository
from lead_manager.leads.events import emit_event
from lead_manager.leads.models import AssignmentReason, Lead
from lead_manager.outbox import service as outbox
from lead_manager.outbox.models import MessageKind
from lead_manager.users import repository as users
from lead_manager.users.models import Role, User
from lead_manager.webhooks.models import WebhookEvent

log = structlog.get_logger(__name__)


def may_reassign(user: User, lead: Lead) -> bool:
    """Admins, and the lead's current assignee."""
    return user.role == Role.ADMIN.value or lead.assigned_to == user.id


def reassign(
    session: Session, lead: Lead, target_id: uuid.UUID, *, actor: User, meta: RequestMeta
) -> Lead:
    """Hand a lead to another active attorney (available or not); they get an email."""
    if not may_reassign(actor, lead):
        raise ForbiddenError("Only an administrator or the lead's assignee can reassign it.")
    target = users.get(session, target_id)
    if target is None or not target.is_active or target.role != Role.ATTORNEY.value:
        raise InvalidInputError("Leads can only be assigned to an active attorney.", "user_id")
    previous = lead.assigned_to
    if previous == target.id:
        return lead
    if not repository.reassign(session, lead.id, previous, target.id, utcnow()):
        raise ConflictError("The lead was reassigned meanwhile; reload it and try again.")
    session.refresh(lead)
    _record_assignment(
        session, lead.id, previous, target.id, AssignmentReason.MANUAL, actor.id, meta
    )
    outbox.enqueue(
        session,
        lead.id,
        [outbox.Email(MessageKind.LEAD_ASSIGNED, target.id)],
        request_id=meta.request_id,
    )
    emit_event(session, WebhookEvent.LEAD_ASSIGNED, lead, meta)
    return lead


def _record_assignment(
    session: Session,
    lead_id: uuid.UUID,
    previous: uuid.UUID | None,
    new: uuid.UUID | None,
    reason: AssignmentReason,
    actor: uuid.UUID | None,
    meta: RequestMeta,
) -> None:
    # `from` too: the timeline's first `assigned` entry names the assignee at intake.
    details = {
        "to": str(new) if new else None,
        "from": str(previous) if previous else None,
        "reason": reason.value,
    }
    audit.record(
        session, AuditAction.LEAD_ASSIGNED, actor=actor, target=str(lead_id), meta=meta, **details
    )


def escalate(
    session: Session, lead_id: uuid.UUID, step: int, now: datetime, clock: ResponseClock
) -> bool:
    """Take the next escalation step of a lead past its deadline, if no one has taken it.

    The first time, the lead goes round-robin to another available attorney, whose clock starts
    again; they get the escalated notification and the previous assignee hears of it. When no
    other attorney is available, or the second time, every active admin is emailed and the lead
    is never escalated again. All of it in the caller's transaction, with the claim.
    """
    if not repository.claim_escalation(session, lead_id, step, now):
        return False
    lead = repository.get(session, lead_id)
    assert lead is not None  # the claim just updated it
    session.refresh(lead)
    meta = RequestMeta()
    taken = step + 1
    previous = lead.assigned_to
    successor = None
    if taken == 1:
        successor = users.claim_next_attorney(session, now, exclude=previous)
    audit.record(
        session, AuditAction.LEAD_ESCALATED, actor=None, target=str(lead.id), meta=meta, step=taken
    )
    emails: list[outbox.Email] = []
    if successor is not None:
        repository.hand_over(session, lead.id, successor, clock.respond_by(now))
        _record_assignment(
            session, lead.id, previous, successor, AssignmentReason.ESCALATION, None, meta
        )
        session.refresh(lead)
        emit_event(session, WebhookEvent.LEAD_ASSIGNED, lead, meta)
        emails.append(outbox.Email(MessageKind.ESCALATED_LEAD, successor))
        if previous is not None:
            emails.append(outbox.Email(MessageKind.LEAD_REASSIGNED, previous))
    else:
        repository.finish_escalation(session, lead.id)
        emails.extend(
            outbox.Email(MessageKind.ESCALATION_ALERT, admin.id, {"step": taken})
            for admin in users.active_admins(session)
        )
    outbox.enqueue(session, lead.id, emails, request_id=None)
    log.info(
        "lead escalated",
        lead_id=str(lead.id),
        step=taken,
        reassigned_to=str(successor) if successor else None,
        emails=len(emails),
    )
    return True
