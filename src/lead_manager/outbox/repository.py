"""All SQL of the outbox: claiming due messages with a lease, and recording the outcome."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update
from sqlalchemy.orm import Session

from lead_manager.core.db import Base
from lead_manager.outbox.models import OutboxMessage, OutboxStatus

# On the table, not the ORM entity: the ORM's bulk INSERT path costs more CPU than the statement.
_INSERT_MESSAGE = insert(Base.metadata.tables[OutboxMessage.__tablename__])


def add_messages(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert new messages (column values; the rest take their defaults) in one executemany."""
    if rows:
        session.connection().execute(_INSERT_MESSAGE, list(rows))


def claim_due(
    session: Session,
    worker: str,
    now: datetime,
    lease_until: datetime,
    limit: int,
    *,
    kinds: Collection[str] | None = None,
) -> Sequence[OutboxMessage]:
    """Lease up to `limit` due messages (of `kinds`, when given) to `worker`.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent dispatchers take disjoint batches. SQLite:
    the transaction began with BEGIN IMMEDIATE, so only one dispatcher claims at a time. Either
    way an expired lease (a dispatcher that died) makes the message due again.
    """
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING.value,
            OutboxMessage.available_at <= now,
            or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
        )
        .order_by(OutboxMessage.available_at, OutboxMessage.id)
        .limit(limit)
    )
    if kinds is not None:
        due = due.where(OutboxMessage.kind.in_(list(kinds)))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(session.scalars(due).all())
    if not ids:
        return []
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(locked_by=worker, locked_until=lease_until)
        .execution_options(synchronize_session=False)
    )
    return session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.available_at)
    ).all()


def mark_sent(
    session: Session, message_id: uuid.UUID, worker: str, now: datetime, recipient: str | None
) -> bool:
    """Only the lease holder records the outcome (a dispatcher whose lease expired does not)."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.locked_by == worker)
        .values(
            status=OutboxStatus.SENT.value,
            sent_at=now,
            recipient=recipient,
            locked_by=None,
            locked_until=None,
            attempts=OutboxMessage.attempts + 1,
            last_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def mark_failed_attempt(
    session: Session,
    message_id: uuid.UUID,
    worker: str,
    error: str,
    retry_at: datetime | None,
) -> bool:
    """Record a failed attempt: due again at `retry_at`, or given up on when it is None."""
    values: dict[str, object] = {
        "attempts": OutboxMessage.attempts + 1,
        "last_error": error[:2000],
        "locked_by": None,
        "locked_until": None,
    }
    if retry_at is None:
        values["status"] = OutboxStatus.FAILED.value
    else:
        values["available_at"] = retry_at
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.locked_by == worker)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def delivered_for_lead(session: Session, lead_id: uuid.UUID) -> Sequence[OutboxMessage]:
    """A lead's delivered emails (those with a recipient address), in the order they went out."""
    return session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.lead_id == lead_id,
            OutboxMessage.status == OutboxStatus.SENT.value,
            OutboxMessage.recipient.is_not(None),
        )
        .order_by(OutboxMessage.sent_at, OutboxMessage.id)
    ).all()


_COUNTS_BY_STATUS = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)


def counts_by_status(connection: Connection) -> dict[str, int]:
    """Messages per status (pending, sent, failed), every status present: the backlog."""
    counts = {status.value: 0 for status in OutboxStatus}
    for status, count in connection.execute(_COUNTS_BY_STATUS).all():
        counts[str(status)] = int(count)
    return counts


def failed(session: Session, kinds: Collection[str]) -> Sequence[OutboxMessage]:
    """The messages of `kinds` given up on, oldest first."""
    return session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.FAILED.value,
            OutboxMessage.kind.in_(list(kinds)),
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()


def requeue_failed(session: Session, now: datetime, kinds: Collection[str]) -> int:
    """Make every failed message of `kinds` due now with a fresh set of attempts; how many
    there were.

    The last error stays until the next attempt replaces it.
    """
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.FAILED.value,
            OutboxMessage.kind.in_(list(kinds)),
        )
        .values(
            status=OutboxStatus.PENDING.value,
            attempts=0,
            available_at=now,
            locked_by=None,
            locked_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))
