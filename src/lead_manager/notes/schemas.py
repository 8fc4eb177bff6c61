from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from lead_manager.core.validation import CONTROL_CHARACTERS_BUT_NEWLINES


def _plain_text(value: str) -> str:
    # Newline and tab are the only control characters a note may hold (a carriage return too is
    # refused; the pages turn a browser's CRLF into LF first).
    if "\r" in value or CONTROL_CHARACTERS_BUT_NEWLINES.search(value):
        raise ValueError("must not contain control characters other than newline and tab")
    # str.strip: every Unicode white space (pydantic's strip_whitespace trims after the length
    # check, so a note of spaces would pass as an empty one).
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


NoteText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=5000,
        description="Plain text, 1-5000 characters (trimmed); newline and tab are the only "
        "control characters allowed.",
    ),
    AfterValidator(_plain_text),
]


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: NoteText


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    body: str
    # The writer's user id (null once that account is deleted).
    author: uuid.UUID | None
    created_at: datetime


class NoteList(BaseModel):
    items: list[NoteRead]
