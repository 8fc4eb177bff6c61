from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema

from lead_manager.conflicts.models import ConflictStatus
from lead_manager.conflicts.schemas import ConflictRead
from lead_manager.core.validation import (
    Email,
    MessageText,
    Name,
    OpposingParties,
    Phone,
    SingleLineText,
    StatusReason,
)
from lead_manager.leads import attribution
from lead_manager.leads.models import IntakeChannel, LeadStatus

# Source and UTM values: one line, trimmed, at most 100 characters.
AttributionText = Annotated[
    SingleLineText, StringConstraints(strip_whitespace=True, max_length=attribution.MAX_LENGTH)
]


class LeadCreate(BaseModel):
    """The prospect's fields (the resume travels beside them, as a file part)."""

    # Not "forbid": the multipart body also carries the resume part and the form's extras.
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "first_name": "Maria",
                    "last_name": "Garcia",
                    "email": "maria.garcia@example.com",
                    "phone": "+1 555 0100",
                    "message": "I was let go after reporting a safety issue.",
                }
            ]
        },
    )

    first_name: Name
    last_name: Name
    email: Email
    phone: Phone | None = None
    message: MessageText | None = None
    # Privacy: the prospect's choice to hear from the firm beyond this enquiry (unticked by default).
    marketing_opt_in: bool = False
    # Attribution (statistics only): where the prospect came from.
    source: AttributionText | None = None
    utm_source: AttributionText | None = None
    utm_medium: AttributionText | None = None
    utm_campaign: AttributionText | None = None
    # The referring host the web form saw (a hidden field); not part of the API.
    referrer_host: SkipJsonSchema[str | None] = None

    # The other side, one name a line or separated by `;` (validated and cleaned to one a line).
    opposing_parties: OpposingParties | None = None

    @field_validator(
        "phone",
        "message",
        "opposing_parties",
        *attribution.ATTRIBUTION_FIELDS,
        mode="before",
    )
    @classmethod
    def _blank_is_missing(cls, value: object) -> object:
        # An HTML form sends an empty string for an untouched optional field.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("marketing_opt_in", mode="before")
    @classmethod
    def _blank_is_no(cls, value: object) -> object:
        # An unticked checkbox sends nothing; a blank value is "no" as well.
        return False if value is None or (isinstance(value, str) and not value.strip()) else value

    @field_validator("referrer_host", mode="before")
    @classmethod
    def _host_or_nothing(cls, value: object) -> str | None:
        return attribution.clean_host(value) if isinstance(value, str) else None


class LeadCreated(BaseModel):
    """What the public intake returns: nothing internal."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    status: LeadStatus
    created_at: datetime


class LeadRead(LeadCreated):
    assigned_to: uuid.UUID | None
    # The first-response deadline: null unless PENDING with FIRST_RESPONSE_SLA_MINUTES on.
    respond_by: datetime | None = None
    # Returning prospects and conflicts.
    duplicate_of: uuid.UUID | None
    conflict_status: ConflictStatus


class ResumeRead(BaseModel):
    filename: str
    content_type: str
    size: int


class StatusChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    status: LeadStatus
    changed_at: datetime
    changed_by: uuid.UUID | None
    reason: str | None


class PrivacyRead(BaseModel):
    """What the prospect was told and chose at intake (null for leads from before it was kept)."""

    notice_version: str | None
    channel: IntakeChannel | None
    marketing_opt_in: bool


class LeadDetail(LeadRead):
    phone: str | None
    message: str | None
    # Null once the lead's personal data is erased (the file is gone).
    resume: ResumeRead | None
    history: list[StatusChangeRead]
    privacy: PrivacyRead
    # Set when the lead's personal data was erased: the row stays for statistics, anonymous.
    erased_at: datetime | None
    # Attribution, as submitted; `referrer_host` is what the web form saw.
    source: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    referrer_host: str | None = None
    # Returning prospects and conflicts.
    opposing_parties: list[str]
    duplicates: list[uuid.UUID]
    conflict: ConflictRead


class LeadUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"status": "REACHED_OUT"},
                {"status": "DECLINED", "reason": "Outside our practice areas."},
            ]
        },
    )

    status: LeadStatus
    # Required when the new status is DECLINED (checked by the service: repeating the current
    # status needs none).
    reason: StatusReason | None = None


class LeadPage(BaseModel):
    items: list[LeadRead]
    next_cursor: str | None


class LeadFilters(BaseModel):
    status: LeadStatus | None = None
    q: str | None = None
    assigned_to: uuid.UUID | None = None
    # `assigned_to=me` resolves to the caller's id before it gets here; `assigned_to=none`
    # arrives as `unassigned`: the leads no one has been given (the admins' to hand out).
    unassigned: bool = False
    limit: int = 50
    # PENDING leads past respond_by.
    overdue: bool = False
    # Not a filter: whether deadlines are in force (FIRST_RESPONSE_SLA_MINUTES > 0). Without,
    # no lead shows a respond_by and none is overdue.
    deadlines: bool = True
    # Returning prospects and conflicts: leave out leads with `duplicate_of`; one conflict status.
    exclude_duplicates: bool = False
    conflict: ConflictStatus | None = None


class LeadAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # An active attorney (available or not).
    user_id: uuid.UUID


SimilarReason = Literal["email", "phone", "name"]


class SimilarLead(BaseModel):
    lead: LeadRead
    reasons: list[SimilarReason]
    score: float


class SimilarLeads(BaseModel):
    items: list[SimilarLead]
