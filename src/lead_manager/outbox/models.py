from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lead_manager.core.db import Base, new_id, utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class MessageKind(StrEnum):
    LEAD_ACKNOWLEDGEMENT = "lead_acknowledgement"
    ATTORNEY_NOTIFICATION = "attorney_notification"
    UNASSIGNED_LEAD_ALERT = "unassigned_lead_alert"
    # Working a lead: a manual reassignment (to the new assignee), an escalation (to the new
    # assignee, marked escalated; to the previous one; to every admin), the daily digest.
    LEAD_ASSIGNED = "lead_assigned"
    ESCALATED_LEAD = "escalated_lead"
    LEAD_REASSIGNED = "lead_reassigned"
    ESCALATION_ALERT = "escalation_alert"
    DAILY_DIGEST = "daily_digest"
    # A password reset link (payload: the user's id and session version, the link's expiry; the
    # dispatcher signs the link when it renders, so no secret is stored in the outbox).
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a message kind, not a secret
    # An event for one webhook endpoint (its signed body is built when the event happens).
    WEBHOOK = "webhook"


# The kinds the mail channel delivers (every kind but the webhook).
EMAIL_KINDS = frozenset(MessageKind) - {MessageKind.WEBHOOK}


class OutboxMessage(Base):
    """A side effect written in the same transaction as the change that causes it.

    The payload carries ids only; the dispatcher loads current data when it renders the email.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "available_at"),
        # A lead's messages: its timeline, and dropping its unsent mail when it is erased.
        Index("ix_outbox_lead", "lead_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The lead the message is about (also in the payload); a plain column, not a foreign key:
    # the outbox is the leads' dependency, not the other way round.
    lead_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(100), default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    # The address an email went to, recorded with its delivery (the timeline's `email_sent`).
    recipient: Mapped[str | None] = mapped_column(String(320), default=None)
