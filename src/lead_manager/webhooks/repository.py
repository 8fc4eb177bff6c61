"""All SQL of the webhooks domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.orm import Session

from lead_manager.core.db import Base
from lead_manager.outbox.models import OutboxMessage
from lead_manager.webhooks.models import WebhookDelivery, WebhookEndpoint

_INSERT_DELIVERY = insert(Base.metadata.tables[WebhookDelivery.__tablename__])
_SUBSCRIPTIONS = select(WebhookEndpoint.id, WebhookEndpoint.events)


def add_endpoint(session: Session, endpoint: WebhookEndpoint) -> None:
    session.add(endpoint)
    session.flush()


def endpoints(session: Session) -> Sequence[WebhookEndpoint]:
    return session.scalars(
        select(WebhookEndpoint).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    ).all()


def get_endpoint(session: Session, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
    return session.get(WebhookEndpoint, endpoint_id)


def delete_endpoint(session: Session, endpoint_id: uuid.UUID) -> None:
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id))
    session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))


def subscribers(session: Session, event_type: str) -> list[uuid.UUID]:
    """The endpoints subscribed to `event_type` (a handful of rows: filtered here, not in SQL,
    where a JSON array is read differently by each database)."""
    rows = session.connection().execute(_SUBSCRIPTIONS).all()
    return [endpoint_id for endpoint_id, events in rows if event_type in events]


def add_deliveries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(_INSERT_DELIVERY, list(rows))


def record_status(session: Session, delivery_id: uuid.UUID, status_code: int | None) -> None:
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(status_code=status_code)
        .execution_options(synchronize_session=False)
    )


def deliveries(
    session: Session, endpoint_id: uuid.UUID, limit: int
) -> Sequence[Row[uuid.UUID, str, int, int | None, datetime | None, str, str | None, datetime]]:
    """The endpoint's most recent deliveries, newest first, with their outbox state."""
    return session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.event_type,
            OutboxMessage.attempts,
            WebhookDelivery.status_code,
            OutboxMessage.sent_at,
            OutboxMessage.status,
            OutboxMessage.last_error,
            WebhookDelivery.created_at,
        )
        .join(OutboxMessage, OutboxMessage.id == WebhookDelivery.id)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(limit)
    ).all()


def endpoint_for_delivery(session: Session, endpoint_id: uuid.UUID) -> Row[str, str] | None:
    """What a delivery needs of its endpoint: the URL and the sealed secret."""
    return session.execute(
        select(WebhookEndpoint.url, WebhookEndpoint.secret_ciphertext).where(
            WebhookEndpoint.id == endpoint_id
        )
    ).first()
