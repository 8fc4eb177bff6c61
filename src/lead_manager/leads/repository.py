"""All SQL of the leads domain but the list's (listing.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from lead_manager.core.db import Base
from lead_manager.leads.models import IdempotencyKey, Lead, LeadStatus, LeadStatusChange

# Leads whose personal data was erased stay as anonymous rows for statistics; every listing of
# leads (the inbox, counts, the digest, exports) leaves them out with this condition.
NOT_ERASED: ColumnElement[bool] = Lead.erased_at.is_(None)


def get(session: Session, lead_id: uuid.UUID) -> Lead | None:
    return session.get(Lead, lead_id)


def history(session: Session, lead_id: uuid.UUID) -> Sequence[LeadStatusChange]:
    return session.scalars(
        select(LeadStatusChange)
        .where(LeadStatusChange.lead_id == lead_id)
        .order_by(LeadStatusChange.changed_at, LeadStatusChange.id)
    ).all()


def _set_values(instance: Lead | LeadStatusChange) -> dict[str, Any]:
    """The column values set on a transient instance; the INSERT gives the rest their defaults."""
    state = instance_state(instance)
    return {
        attr.key: state.dict[attr.key]
        for attr in state.mapper.column_attrs
        if attr.key in state.dict
    }


# On the tables, with the values as parameters: ORM-enabled statements, or `.values()` built per
# call, cost several times the CPU of the INSERT itself (coercion, cache keys, the ORM plugin).
_INSERT_LEAD = insert(Base.metadata.tables[Lead.__tablename__])
_INSERT_STATUS_CHANGE = insert(Base.metadata.tables[LeadStatusChange.__tablename__])


def add(session: Session, lead: Lead, change: LeadStatusChange) -> None:
    """Insert a new lead and its first history entry (the lead first, by foreign key).

    Core INSERTs of the instances' values, on the connection: the instances stay transient (the
    caller may return them as they are), and a submission skips the ORM unit of work and
    execution layer, most of its CPU.
    """
    connection = session.connection()
    connection.execute(_INSERT_LEAD, _set_values(lead))
    connection.execute(_INSERT_STATUS_CHANGE, _set_values(change))


def mark_status(
    session: Session,
    lead_id: uuid.UUID,
    expected: LeadStatus,
    new: LeadStatus,
    at: datetime,
    *,
    responded_after: float,
) -> bool:
    """Compare-and-set, so two attorneys marking at once record one change, not two. The
    first change also records `responded_after` (seconds since submission)."""
    result = session.execute(
        update(Lead)
        .where(Lead.id == lead_id, Lead.status == expected.value)
        # Any first response stops the clock: only PENDING leads have a deadline.
        .values(
            status=new.value,
            updated_at=at,
            respond_by=None,
            first_response_seconds=func.coalesce(Lead.first_response_seconds, responded_after),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def add_status_change(session: Session, change: LeadStatusChange) -> None:
    session.add(change)
    session.flush()


def get_idempotency_key(session: Session, key: str) -> IdempotencyKey | None:
    return session.get(IdempotencyKey, key)


def bind_idempotency_key(session: Session, key: str, lead_id: uuid.UUID) -> None:
    session.execute(update(IdempotencyKey).where(IdempotencyKey.key == key).values(lead_id=lead_id))


def delete_idempotency_key(session: Session, key: str) -> None:
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.key == key))


def delete_idempotency_keys_before(session: Session, cutoff: datetime) -> int:
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    return int(getattr(result, "rowcount", 0))


def all_resume_keys(session: Session) -> set[str]:
    return set(session.scalars(select(Lead.resume_key)).all())


# Working a lead: assignment, escalation, the digest.
# The escalation step a lead reaches when every admin has been told: it is never escalated again.
FINAL_ESCALATION_STEP = 2


def reassign(
    session: Session,
    lead_id: uuid.UUID,
    expected: uuid.UUID | None,
    new: uuid.UUID,
    at: datetime,
) -> bool:
    """Compare-and-set on the assignee: a reassignment made meanwhile by someone else wins."""
    current = Lead.assigned_to.is_(None) if expected is None else Lead.assigned_to == expected
    result = session.execute(
        update(Lead)
        .where(Lead.id == lead_id, current)
        .values(assigned_to=new, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def due_escalations(session: Session, now: datetime, limit: int) -> Sequence[Row[uuid.UUID, int]]:
    """(id, step) of PENDING leads past their deadline with a step still to take, most late first.

    A range of ix_leads_respond_by that reads the step from the index itself.
    """
    return session.execute(
        select(Lead.id, Lead.escalation_step)
        .where(Lead.respond_by <= now, Lead.escalation_step < FINAL_ESCALATION_STEP)
        .order_by(Lead.respond_by)
        .limit(limit)
    ).all()


def claim_escalation(session: Session, lead_id: uuid.UUID, step: int, now: datetime) -> bool:
    """Take escalation step `step` + 1 of a lead: true for exactly one caller.

    A guarded UPDATE in the caller's transaction (with the reassignment and its emails): a
    concurrent dispatcher's UPDATE waits for ours and then matches nothing; if ours rolls back
    (a crash), the step is due again.
    """
    result = session.execute(
        update(Lead)
        .where(
            Lead.id == lead_id,
            Lead.status == LeadStatus.PENDING.value,
            Lead.escalation_step == step,
            Lead.respond_by <= now,
        )
        .values(escalation_step=step + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def hand_over(
    session: Session, lead_id: uuid.UUID, assignee: uuid.UUID, respond_by: datetime | None
) -> None:
    """An escalated lead goes to its new attorney, whose clock starts now."""
    session.execute(
        update(Lead)
        .where(Lead.id == lead_id)
        .values(assigned_to=assignee, respond_by=respond_by)
        .execution_options(synchronize_session=False)
    )


def finish_escalation(session: Session, lead_id: uuid.UUID) -> None:
    """Every admin has been told: no step is left (the lead keeps its past deadline)."""
    session.execute(
        update(Lead)
        .where(Lead.id == lead_id)
        .values(escalation_step=FINAL_ESCALATION_STEP)
        .execution_options(synchronize_session=False)
    )


def assignees_with_pending(session: Session) -> list[uuid.UUID]:
    """Everyone with at least one PENDING lead assigned (the digest's recipients, before their
    role and state are checked)."""
    assignees = session.scalars(
        select(Lead.assigned_to)
        .where(Lead.status == LeadStatus.PENDING.value, Lead.assigned_to.is_not(None), NOT_ERASED)
        .distinct()
    ).all()
    return [assignee for assignee in assignees if assignee is not None]


def pending_for(session: Session, user_id: uuid.UUID, limit: int) -> Sequence[Lead]:
    """A user's PENDING leads, oldest first (the digest)."""
    return session.scalars(
        select(Lead)
        .where(Lead.assigned_to == user_id, Lead.status == LeadStatus.PENDING.value, NOT_ERASED)
        .order_by(Lead.created_at, Lead.id)
        .limit(limit)
    ).all()


def count_pending_for(session: Session, user_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Lead)
            .where(Lead.assigned_to == user_id, Lead.status == LeadStatus.PENDING.value, NOT_ERASED)
        )
        or 0
    )
