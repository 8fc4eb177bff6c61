"""All SQL of the leads domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    delete,
    false,
    func,
    insert,
    null,
    or_,
    select,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from lead_manager.core.db import Base, utcnow
from lead_manager.core.pagination import Cursor
from lead_manager.leads.models import IdempotencyKey, Lead, LeadStatus, LeadStatusChange
from lead_manager.leads.schemas import LeadFilters

# Only the columns a list item shows: no message text, no resume metadata.
LIST_COLUMNS = (
    Lead.id,
    Lead.first_name,
    Lead.last_name,
    Lead.email,
    Lead.status,
    Lead.created_at,
    Lead.assigned_to,
    Lead.respond_by,
)
# Without an SLA no lead has a deadline, whatever was stored while there was one.
_NO_DEADLINE = type_coerce(null(), Lead.respond_by.type).label("respond_by")


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(filters: LeadFilters, page_on_sqlite: bool = False) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the filters, shared by the page and the count."""
    conditions: list[ColumnElement[bool]] = []
    if filters.status is not None:
        conditions.append(Lead.status == filters.status.value)
    if filters.assigned_to is not None:
        conditions.append(Lead.assigned_to == filters.assigned_to)
    if filters.q:
        pattern = _like_pattern(filters.q)
        conditions.append(
            or_(
                Lead.first_name.ilike(pattern, escape="\\"),
                Lead.last_name.ilike(pattern, escape="\\"),
                Lead.email.ilike(pattern, escape="\\"),
                (Lead.first_name + " " + Lead.last_name).ilike(pattern, escape="\\"),
            )
        )
    if filters.overdue:
        # A range of ix_leads_respond_by: respond_by is set only while a lead is PENDING.
        overdue = Lead.respond_by < utcnow()
        if page_on_sqlite:
            # SQLite (no statistics) would rather walk ix_leads_created for the ORDER BY, through
            # every lead older than the overdue ones; as a subquery the range drives the page.
            # PostgreSQL weighs both ways by its statistics and picks well as it is.
            overdue = Lead.id.in_(select(Lead.id).where(overdue))
        conditions.append(overdue if filters.deadlines else false())
    return conditions


def page(
    session: Session, filters: LeadFilters, after: Cursor | None
) -> Sequence[Row[uuid.UUID, str, str, str, str, datetime, uuid.UUID | None, datetime | None]]:
    """Newest first, keyset paging on (created_at, id): flat cost at any depth, no OFFSET."""
    deadline = Lead.respond_by if filters.deadlines else _NO_DEADLINE
    stmt = (
        select(*LIST_COLUMNS[:-1], deadline)
        .order_by(Lead.created_at.desc(), Lead.id.desc())
        .limit(filters.limit + 1)
    )
    on_sqlite = filters.overdue and session.get_bind().dialect.name == "sqlite"
    stmt = stmt.where(*_conditions(filters, on_sqlite))
    if after is not None:
        # A row-value comparison, not `a < x OR (a = x AND b < y)`: SQLite and PostgreSQL seek the
        # index to the cursor with it, where the OR form scans every newer row (300 ms at 1M).
        stmt = stmt.where(tuple_(Lead.created_at, Lead.id) < after)
    # On the connection: the page is plain rows, and the ORM's execution layer (session.execute)
    # costs more CPU than the query itself.
    return session.connection().execute(stmt).all()


def count(session: Session, filters: LeadFilters) -> int:
    return session.scalar(select(func.count()).select_from(Lead).where(*_conditions(filters))) or 0


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
    session: Session, lead_id: uuid.UUID, expected: LeadStatus, new: LeadStatus, at: datetime
) -> bool:
    """Compare-and-set, so two attorneys marking at once record one change, not two."""
    result = session.execute(
        update(Lead)
        .where(Lead.id == lead_id, Lead.status == expected.value)
        # Any first response stops the clock: only PENDING leads have a deadline.
        .values(status=new.value, updated_at=at, respond_by=None)
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
        .where(Lead.status == LeadStatus.PENDING.value, Lead.assigned_to.is_not(None))
        .distinct()
    ).all()
    return [assignee for assignee in assignees if assignee is not None]


def pending_for(session: Session, user_id: uuid.UUID, limit: int) -> Sequence[Lead]:
    """A user's PENDING leads, oldest first (the digest)."""
    return session.scalars(
        select(Lead)
        .where(Lead.assigned_to == user_id, Lead.status == LeadStatus.PENDING.value)
        .order_by(Lead.created_at, Lead.id)
        .limit(limit)
    ).all()


def count_pending_for(session: Session, user_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Lead)
            .where(Lead.assigned_to == user_id, Lead.status == LeadStatus.PENDING.value)
        )
        or 0
    )
