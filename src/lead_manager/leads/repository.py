"""All SQL of the leads domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from lead_manager.core.db import Base
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
)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(filters: LeadFilters) -> list[ColumnElement[bool]]:
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
    return conditions


def page(
    session: Session, filters: LeadFilters, after: Cursor | None
) -> Sequence[Row[uuid.UUID, str, str, str, str, datetime, uuid.UUID | None]]:
    """Newest first, keyset paging on (created_at, id): flat cost at any depth, no OFFSET."""
    stmt = (
        select(*LIST_COLUMNS)
        .order_by(Lead.created_at.desc(), Lead.id.desc())
        .limit(filters.limit + 1)
    )
    stmt = stmt.where(*_conditions(filters))
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
        .values(status=new.value, updated_at=at)
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
