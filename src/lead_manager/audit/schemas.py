from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    at: datetime
    actor: uuid.UUID | None
    action: str
    target: str | None
    details: dict[str, Any] = Field(default_factory=dict)
    client_ip: str | None
    request_id: str | None


class AuditPage(BaseModel):
    items: list[AuditEventRead]
    next_cursor: str | None
