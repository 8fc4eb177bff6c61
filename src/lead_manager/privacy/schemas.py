from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from lead_manager.core.validation import Email, StatusReason


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    # Why (a ticket number, "request by email of 30 Nov"): kept in the audit trail, so it should
    # not repeat the person's name. One line, 1-500 characters.
    reason: StatusReason


class ErasureResult(BaseModel):
    erased_leads: int


class ExportRequest(BaseModel):
    """The admin page's export form (the API takes the address as a query parameter)."""

    email: Email
