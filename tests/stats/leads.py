"""Leads written straight into the database with chosen times, for the statistics and export
tests (the API would stamp them with the present)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from lead_manager.leads.models import Lead, LeadStatus
from tests.conftest import LiveServer


def add_lead(
    server: LiveServer,
    created_at: datetime,
    *,
    responded_after: timedelta | None = None,
    status: LeadStatus | None = None,
    assigned_to: uuid.UUID | None = None,
    **columns: Any,
) -> uuid.UUID:
    lead_id = uuid.uuid4()
    if status is None:
        status = LeadStatus.PENDING if responded_after is None else LeadStatus.REACHED_OUT
    values: dict[str, Any] = {
        "first_name": "Test",
        "last_name": "Lead",
        "email": f"{lead_id.hex[:12]}@example.com",
        "resume_key": lead_id.hex,
        "resume_filename": "cv.pdf",
        "resume_content_type": "application/pdf",
        "resume_size": 100,
    }
    values.update(columns)
    with server.session() as session:
        session.add(
            Lead(
                id=lead_id,
                status=status.value,
                assigned_to=assigned_to,
                created_at=created_at,
                updated_at=created_at,
                first_response_seconds=responded_after.total_seconds() if responded_after else None,
                **values,
            )
        )
        session.commit()
    return lead_id
