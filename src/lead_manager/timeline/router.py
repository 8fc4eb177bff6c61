from __future__ import annotations

from fastapi import APIRouter

from lead_manager.core.dependencies import SessionDep
from lead_manager.core.openapi import error_responses
from lead_manager.leads.dependencies import LeadByPath
from lead_manager.timeline import service
from lead_manager.timeline.schemas import Timeline

router = APIRouter(prefix="/api/v1/leads", tags=["leads"])


@router.get(
    "/{lead_id}/timeline", response_model=Timeline, responses=error_responses(401, 404, 422)
)
def get_timeline(lead: LeadByPath, session: SessionDep) -> Timeline:
    """Everything that happened to the lead, oldest first: `submitted`, `assigned`,
    `status_changed`, `note`, `email_sent`, `escalated`, `conflict_resolved`,
    `resume_downloaded`."""
    return Timeline(items=service.timeline(session, lead))
