from __future__ import annotations

from fastapi import APIRouter, Response, status

from lead_manager.auth.dependencies import CurrentUser
from lead_manager.core.dependencies import SessionDep
from lead_manager.core.openapi import LOCATION_HEADER, error_responses
from lead_manager.leads.dependencies import LeadByPath
from lead_manager.notes import service
from lead_manager.notes.schemas import NoteCreate, NoteList, NoteRead

router = APIRouter(prefix="/api/v1/leads", tags=["leads"])


@router.post(
    "/{lead_id}/notes",
    status_code=status.HTTP_201_CREATED,
    response_model=NoteRead,
    responses={
        201: {"description": "The note was added", "headers": LOCATION_HEADER},
        **error_responses(400, 401, 404, 409, 422),
    },
)
def add_note(
    data: NoteCreate, lead: LeadByPath, user: CurrentUser, session: SessionDep, response: Response
) -> NoteRead:
    """Append a plain-text note to the lead. Notes cannot be edited or deleted."""
    note = service.add_note(session, lead, data.body, author=user.id)
    response.headers["Location"] = f"/api/v1/leads/{lead.id}/notes/{note.id}"
    return NoteRead.model_validate(note)


@router.get("/{lead_id}/notes", response_model=NoteList, responses=error_responses(401, 404, 422))
def list_notes(lead: LeadByPath, session: SessionDep) -> NoteList:
    """The lead's notes, oldest first."""
    return NoteList(
        items=[NoteRead.model_validate(n) for n in service.list_notes(session, lead.id)]
    )
