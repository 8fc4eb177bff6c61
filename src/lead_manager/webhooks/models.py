from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lead_manager.core.db import Base, new_id, utcnow


class WebhookEvent(StrEnum):
    LEAD_CREATED = "lead.created"
    LEAD_STATUS_CHANGED = "lead.status_changed"
    LEAD_ASSIGNED = "lead.assigned"


class WebhookEndpoint(Base):
    """A URL that receives the events it subscribed to."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON)
    # The `whsec_…` signing secret, encrypted with a key derived from SECRET_KEY (signing.py):
    # it must be readable to sign, and a copy of the database alone must not reveal it.
    secret_ciphertext: Mapped[str] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One event for one endpoint: its outbox message (same id; attempts, sent_at, status are
    there) and the HTTP status of the last attempt."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at"),)

    # The outbox message's id, also the `webhook-id` the receiver sees.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # Not a foreign key: an endpoint deleted while a lead is being submitted must not make
    # the submission fail; deleting an endpoint deletes its deliveries (repository).
    endpoint_id: Mapped[uuid.UUID] = mapped_column()
    event_type: Mapped[str] = mapped_column(String(50))
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
