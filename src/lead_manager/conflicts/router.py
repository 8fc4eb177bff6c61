from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from lead_manager.auth.dependencies import AdminUser, CurrentUser
from lead_manager.conflicts import csv_import, service
from lead_manager.conflicts.schemas import ImportResult, PartyCreate, PartyPage, PartyRead
from lead_manager.core.dependencies import RequestMetaDep, SessionDep
from lead_manager.core.errors import PayloadTooLargeError, UnsupportedMediaTypeError
from lead_manager.core.openapi import LOCATION_HEADER, error_responses
from lead_manager.core.pagination import PageCursor, query_error
from lead_manager.core.validation import check_single_line

router = APIRouter(prefix="/api/v1/parties", tags=["conflicts"])


@router.post(
    "",
    response_model=PartyRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {"description": "The party was added", "headers": LOCATION_HEADER},
        **error_responses(400, 401, 403, 422),
    },
)
def create_party(
    data: PartyCreate,
    admin: AdminUser,
    session: SessionDep,
    meta: RequestMetaDep,
    response: Response,
) -> PartyRead:
    """Add a party to the conflict register."""
    party = service.create_party(session, data, actor=admin.id, meta=meta)
    # The register has no page per party: the location is its search by name.
    response.headers["Location"] = f"/api/v1/parties?{urlencode({'q': party.name})}"
    return PartyRead.model_validate(party)


@router.get("", response_model=PartyPage, responses=error_responses(401, 422))
def list_parties(
    _user: CurrentUser,
    session: SessionDep,
    after: PageCursor,
    q: Annotated[
        str | None, Query(max_length=200, description="Substring of the name, email or matter")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> PartyPage:
    """The register, newest first; follow `next_cursor` for more."""
    search = q.strip() if q else None
    if search:
        try:
            check_single_line(search)
        except ValueError as exc:
            raise query_error("q", str(exc), search) from None
    return service.list_parties(session, search, limit, after)


@router.delete(
    # The uuid convertor: `import` is not a party id (an OPTIONS on /import must not offer DELETE).
    "/{party_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404, 422),
)
def delete_party(
    party_id: uuid.UUID, admin: AdminUser, session: SessionDep, meta: RequestMetaDep
) -> Response:
    service.delete_party(session, party_id, actor=admin.id, meta=meta)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
    }
}


async def read_csv_body(request: Request) -> bytes:
    """The body as sent, refused past MAX_CSV_BYTES (from Content-Length, else while reading)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "text/csv":
        raise UnsupportedMediaTypeError("Send the register as text/csv.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > csv_import.MAX_CSV_BYTES:
        raise PayloadTooLargeError("The CSV file may be at most 10 MiB.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > csv_import.MAX_CSV_BYTES:
            raise PayloadTooLargeError("The CSV file may be at most 10 MiB.")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/import",
    response_model=ImportResult,
    responses=error_responses(401, 403, 413, 415, 422),
    openapi_extra=CSV_BODY,
)
async def import_parties(
    request: Request, admin: AdminUser, session: SessionDep, meta: RequestMetaDep
) -> ImportResult:
    """Import parties from CSV (header `name,kind,email,matter`, UTF-8, at most 10 MiB): bad rows
    are reported by their line in the file (the header is line 1), the rest imported."""
    data = await read_csv_body(request)
    # Parsing and the inserts block: in the threadpool, as a sync endpoint's work would be.
    return await run_in_threadpool(
        csv_import.import_register, session, data, actor=admin.id, meta=meta
    )
