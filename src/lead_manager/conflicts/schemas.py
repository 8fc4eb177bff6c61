from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from lead_manager.conflicts.models import ConflictStatus, PartyKind
from lead_manager.core.validation import Email, SingleLineText


def _not_blank(value: str) -> str:
    # After trimming (str.strip also removes U+00A0, U+3000 …): the length constraints of a
    # nested Annotated are checked before its strip.
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


PartyName = Annotated[SingleLineText, StringConstraints(max_length=200), AfterValidator(_not_blank)]
Matter = Annotated[SingleLineText, StringConstraints(strip_whitespace=True, max_length=200)]
DecisionNote = Annotated[
    SingleLineText, StringConstraints(max_length=1000), AfterValidator(_not_blank)
]


class PartyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PartyName
    kind: PartyKind
    email: Email | None = None
    matter: Matter | None = None

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> PartyCreate:
        """A form's fields or a CSV row's cells, where one left empty means none (an empty
        email included: in the JSON API it is no address, and refused as the schema says)."""
        return cls.model_validate(fields, context={_BLANK_IS_MISSING: True})

    @field_validator("email", mode="before")
    @classmethod
    def _blank_email(cls, value: object, info: ValidationInfo) -> object:
        blank_is_missing = bool(info.context and info.context.get(_BLANK_IS_MISSING))
        return None if blank_is_missing and _blank(value) else value

    @field_validator("matter", mode="before")
    @classmethod
    def _blank_matter(cls, value: object) -> object:
        # Any text is a matter by the schema; an empty one is stored as none.
        return None if _blank(value) else value


_BLANK_IS_MISSING = "blank_is_missing"


def _blank(value: object) -> bool:
    return isinstance(value, str) and not value.strip()


class PartyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: PartyKind
    email: str | None
    matter: str | None
    created_at: datetime


class PartyPage(BaseModel):
    items: list[PartyRead]
    next_cursor: str | None


class ImportRowError(BaseModel):
    line: int
    detail: str


class ImportResult(BaseModel):
    created: int
    errors: list[ImportRowError]


class ConflictHitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    source: Literal["party", "lead"]
    id: uuid.UUID = Field(validation_alias="ref_id")
    name: str
    kind: str
    matched: Literal["prospect", "opposing_party"]
    query: str
    score: float


class ConflictRead(BaseModel):
    status: ConflictStatus
    hits: list[ConflictHitRead]
    checked_at: datetime | None
    resolved_by: uuid.UUID | None
    resolved_at: datetime | None
    note: str | None


class ConflictDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["cleared", "confirmed"]
    note: DecisionNote
