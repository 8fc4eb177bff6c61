from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lead_manager.core.db import Base, new_id, utcnow


class AuditAction(StrEnum):
    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    LEAD_STATUS_CHANGED = "lead.status_changed"
    RESUME_DOWNLOADED = "lead.resume_downloaded"
    # details {"to": user id or null, "from": user id or null, "reason": AssignmentReason}
    LEAD_ASSIGNED = "lead.assigned"
    # details {"step": 1 | 2}
    LEAD_ESCALATED = "lead.escalated"
    # details {"decision": "cleared" | "confirmed", "note": ...} (conflict checks)
    LEAD_CONFLICT_RESOLVED = "lead.conflict_resolved"
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    # Passwords: each ends the user's earlier sessions. A reset request's target is the account
    # (null for an unknown address: the row is written either way, so both cost the same).
    PASSWORD_CHANGED = "user.password_changed"  # noqa: S105 - an action name
    PASSWORD_RESET_REQUESTED = "user.password_reset_requested"  # noqa: S105 - an action name
    # details {"via": "link" | "shell"}
    PASSWORD_RESET = "user.password_reset"  # noqa: S105 - an action name
    # Privacy: target is the keyed hash of the person's address (never the address itself).
    PERSON_ERASED = "privacy.erased"
    PERSON_EXPORTED = "privacy.exported"
    # Leads erased by the retention job or `purge-expired` (details list their ids).
    RETENTION_ERASED = "privacy.retention_erased"
    LEADS_EXPORTED = "leads.exported"
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_DELETED = "webhook.deleted"
    # Conflicts of interest: changes to the register.
    PARTY_CREATED = "party.created"
    PARTY_DELETED = "party.deleted"
    PARTIES_IMPORTED = "party.imported"


class AuditEvent(Base):
    """Who did what, when: append-only, read by admins."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at", "id"),
        # What happened to one thing (a lead's timeline).
        Index("ix_audit_events_target", "target", "at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str | None] = mapped_column(String(100), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    client_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
