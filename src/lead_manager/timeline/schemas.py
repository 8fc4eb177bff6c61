"""Timeline entries: `at`, `type`, `actor` (a user id or null) and the fields of their type."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from lead_manager.leads.models import LeadStatus


class _Entry(BaseModel):
    # `type` is always sent: required in the response schema (it is the discriminator).
    model_config = ConfigDict(
        populate_by_name=True, json_schema_serialization_defaults_required=True
    )

    at: datetime
    actor: uuid.UUID | None = None


class Submitted(_Entry):
    type: Literal["submitted"] = "submitted"


class Assigned(_Entry):
    type: Literal["assigned"] = "assigned"
    to: uuid.UUID | None
    # round_robin, returning_prospect, escalation, manual or none_available.
    reason: str


class StatusChanged(_Entry):
    type: Literal["status_changed"] = "status_changed"
    from_: LeadStatus = Field(alias="from")
    to: LeadStatus
    reason: str | None


class NoteAdded(_Entry):
    type: Literal["note"] = "note"
    note_id: uuid.UUID
    body: str


class EmailSent(_Entry):
    type: Literal["email_sent"] = "email_sent"
    # The kind of email (attorney_notification, escalated_lead...).
    kind: str
    # The address it was delivered to.
    to: str


class Escalated(_Entry):
    type: Literal["escalated"] = "escalated"
    # 1: reassigned (or, with no other attorney available, the admins told); 2: the admins told.
    step: int


class ConflictResolved(_Entry):
    type: Literal["conflict_resolved"] = "conflict_resolved"
    decision: str
    note: str | None = None


class ResumeDownloaded(_Entry):
    type: Literal["resume_downloaded"] = "resume_downloaded"


TimelineEntry = Annotated[
    Submitted
    | Assigned
    | StatusChanged
    | NoteAdded
    | EmailSent
    | Escalated
    | ConflictResolved
    | ResumeDownloaded,
    Field(discriminator="type"),
]


class Timeline(BaseModel):
    items: list[TimelineEntry]
