from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from lead_manager.auth.dependencies import AdminUser
from lead_manager.core.dependencies import RequestMetaDep, SessionDep, WriteSessionDep
from lead_manager.core.openapi import error_responses
from lead_manager.core.validation import Email
from lead_manager.leads.dependencies import StorageDep
from lead_manager.leads.router import content_disposition
from lead_manager.privacy import export, service
from lead_manager.privacy.dependencies import EraserDep
from lead_manager.privacy.schemas import ErasureRequest, ErasureResult

router = APIRouter(prefix="/api/v1/privacy", tags=["privacy"])


@router.post(
    "/erasures",
    response_model=ErasureResult,
    responses=error_responses(400, 401, 403, 422, 503),
)
def erase_person(
    request: ErasureRequest,
    admin: AdminUser,
    session: SessionDep,
    eraser: EraserDep,
    meta: RequestMetaDep,
) -> ErasureResult:
    """Erase the personal data of every lead of this person (the address matched ignoring case
    and a `+tag`): names, contact details, message, notes, resume, unsent emails. The leads stay
    as anonymous rows. Repeating it answers 0. 503 when storage fails part-way: repeat it."""
    erased = service.erase_person(
        session, eraser, str(request.email), request.reason, actor=admin.id, meta=meta
    )
    return ErasureResult(erased_leads=erased)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {export.ZIP_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            "description": "A zip: data.json and the person's resumes",
        },
        **error_responses(401, 403, 404, 422, 503),
    },
)
def export_person(
    email: Annotated[Email, Query(description="The person's address (case and +tag ignored)")],
    admin: AdminUser,
    session: WriteSessionDep,
    storage: StorageDep,
    eraser: EraserDep,
    meta: RequestMetaDep,
) -> StreamingResponse:
    """Everything held about a person, for an access request (audited)."""
    person = export.export_person(
        session, storage, str(email), secret_key=eraser.secret_key, actor=admin.id, meta=meta
    )
    return zip_response(person)


def zip_response(person: export.PersonExport) -> StreamingResponse:
    """Shared with the admin page's export button."""
    return StreamingResponse(
        person.chunks(),
        media_type=export.ZIP_MEDIA_TYPE,
        headers={
            "Content-Disposition": content_disposition(person.filename),
            "Cache-Control": "no-store",
        },
    )
