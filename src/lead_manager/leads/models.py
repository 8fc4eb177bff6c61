from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from lead_manager.core.db import Base, new_id, utcnow

# The substring search index (migration 5edd426cf7bf): outside the ORM metadata, kept in step by
# the database. SQLite: the FTS5 table `leads_search` (trigram) with its shadow tables, filled by
# triggers on `leads`; PostgreSQL: pg_trgm GIN indexes on "first last" and email.
SEARCH_TABLE = "leads_search"
SEARCH_INDEX_OBJECTS = frozenset(
    {
        SEARCH_TABLE,
        *(f"{SEARCH_TABLE}_{shadow}" for shadow in ("data", "idx", "config", "docsize", "content")),
        "ix_leads_name_trgm",
        "ix_leads_email_trgm",
    }
)


class LeadStatus(StrEnum):
    PENDING = "PENDING"
    REACHED_OUT = "REACHED_OUT"
    # Outcomes: the prospect became a client, or the firm will not take the matter.
    RETAINED = "RETAINED"
    DECLINED = "DECLINED"


class IntakeChannel(StrEnum):
    """Where a lead came from: the public web form or a direct API call."""

    FORM = "form"
    API = "api"


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        CheckConstraint(
            "status IN ('PENDING', 'REACHED_OUT', 'RETAINED', 'DECLINED')", name="status"
        ),
        # Keyset paging, newest first, with and without the list filters.
        Index("ix_leads_created", "created_at", "id"),
        Index("ix_leads_status_created", "status", "created_at", "id"),
        Index("ix_leads_assignee_created", "assigned_to", "created_at", "id"),
        # Overdue leads (respond_by is set only while PENDING) and the escalation job's scan,
        # which reads the step from the index: leads past their last step cost no row lookup.
        Index("ix_leads_respond_by", "respond_by", "escalation_step"),
        # The statistics: every grouped count of a range of days reads only this index.
        Index(
            "ix_leads_stats",
            "created_at",
            "status",
            "assigned_to",
            "first_response_seconds",
            "source",
            "utm_source",
            "referrer_host",
        ),
        # Returning prospects and conflicts: the earlier leads of an address or a phone number,
        # the later leads linked to one, and the conflict filter's keyset paging.
        Index("ix_leads_email_key", "email_key", "created_at", "id"),
        Index("ix_leads_phone_key", "phone_key", "created_at", "id"),
        Index("ix_leads_duplicate_of", "duplicate_of", "created_at"),
        Index("ix_leads_conflict_created", "conflict_status", "created_at", "id"),
        CheckConstraint(
            "conflict_status IN ('clear', 'potential', 'cleared', 'confirmed')",
            name="conflict_status",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40), default=None)
    message: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(16), default=LeadStatus.PENDING.value)
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    resume_key: Mapped[str] = mapped_column(String(64))
    resume_filename: Mapped[str] = mapped_column(String(255))
    resume_content_type: Mapped[str] = mapped_column(String(100))
    resume_size: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Working a lead: why it went to its first assignee (AssignmentReason), the first-response
    # deadline while it is PENDING (null otherwise, or without an SLA), and how many escalation
    # steps it has had (claimed by a guarded UPDATE, so each step happens once).
    assignment_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    respond_by: Mapped[datetime | None] = mapped_column(default=None)
    escalation_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # Privacy (issue 16): the notice in force at intake, where the lead came from, the prospect's
    # marketing choice, and when the personal data was erased (the row stays, anonymous).
    # Every text column of this table is classified in privacy/personal_data.py.
    privacy_notice_version: Mapped[str | None] = mapped_column(String(50), default=None)
    privacy_channel: Mapped[str | None] = mapped_column(String(8), default=None)
    marketing_opt_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    erased_at: Mapped[datetime | None] = mapped_column(default=None)
    # Attribution (statistics only): as submitted, and the referring host the web form saw.
    source: Mapped[str | None] = mapped_column(String(100), default=None)
    utm_source: Mapped[str | None] = mapped_column(String(100), default=None)
    utm_medium: Mapped[str | None] = mapped_column(String(100), default=None)
    utm_campaign: Mapped[str | None] = mapped_column(String(100), default=None)
    referrer_host: Mapped[str | None] = mapped_column(String(253), default=None)
    # Seconds from submission to the first status change (the history has it too; kept here
    # so that the statistics read response times from an index of the leads they count).
    first_response_seconds: Mapped[float | None] = mapped_column(Float, default=None)

    # Returning prospects and conflicts of interest (leads/judgement.py).
    # Normalised contact keys (core/matching_keys.py): null when there is nothing to match.
    email_key: Mapped[str | None] = mapped_column(String(320), default=None)
    phone_key: Mapped[str | None] = mapped_column(String(16), default=None)
    # The earliest earlier lead with the same email or phone.
    duplicate_of: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("leads.id", ondelete="SET NULL"), default=None
    )
    opposing_parties: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    # A server default only: inserts that name no judgement columns (older code, tests of
    # earlier migrations) still work.
    conflict_status: Mapped[str] = mapped_column(String(16), server_default="clear")
    conflict_checked_at: Mapped[datetime | None] = mapped_column(default=None)
    conflict_resolved_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    conflict_resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    conflict_note: Mapped[str | None] = mapped_column(String(1000), default=None)


class AssignmentReason(StrEnum):
    """Why a lead went to its assignee (the timeline's `assigned` reasons)."""

    ROUND_ROBIN = "round_robin"
    NONE_AVAILABLE = "none_available"
    RETURNING_PROSPECT = "returning_prospect"
    ESCALATION = "escalation"
    MANUAL = "manual"


class LeadStatusChange(Base):
    """One entry of a lead's history; the first is PENDING at creation with no author."""

    __tablename__ = "lead_status_changes"
    __table_args__ = (Index("ix_lead_status_changes_lead", "lead_id", "changed_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    changed_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Why (required for DECLINED), as the person who changed it wrote it.
    reason: Mapped[str | None] = mapped_column(String(500), default=None)


class IdempotencyKey(Base):
    """A client's Idempotency-Key: claimed (lead_id null) while in flight, then bound to the lead."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created", "created_at"),)

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("leads.id", ondelete="CASCADE"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
