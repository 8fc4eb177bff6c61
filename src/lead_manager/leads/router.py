from __future__ import annotations

from functools import partial
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Header, Response, UploadFile, status
from fastapi.responses import FileResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.convertors import StringConvertor, register_url_convertor

from lead_manager.auth.dependencies import CurrentUser
from lead_manager.conflicts.schemas import ConflictDecision
from lead_manager.core.business_hours import ResponseClock
from lead_manager.core.db import Database, transaction
from lead_manager.core.dependencies import (
    DatabaseDep,
    RequestMetaDep,
    SessionDep,
    WriteSessionDep,
)
from lead_manager.core.openapi import LOCATION_HEADER, error_responses
from lead_manager.leads import assignment, attribution, judgement, listing, service
from lead_manager.leads.dependencies import (
    ClockDep,
    LeadByPath,
    LeadIntakeDep,
    LeadQuery,
    StorageDep,
    SubmissionLimit,
    ValidLeadQuery,
)
from lead_manager.leads.models import IntakeChannel
from lead_manager.leads.resume import ACCEPTED_LABEL, ACCEPTED_TYPES, download_filename
from lead_manager.leads.schemas import (
    LeadAssign,
    LeadCreate,
    LeadCreated,
    LeadDetail,
    LeadPage,
    LeadRead,
    LeadUpdate,
    PrivacyRead,
    ResumeRead,
    SimilarLeads,
    StatusChangeRead,
)

router = APIRouter(prefix="/api/v1/leads", tags=["leads"])


class LeadIdConvertor(StringConvertor):
    """A lead's path segment: anything but `export.csv`, which is the CSV export's (so other
    methods on it are 405, not a lead route's 422 for a malformed id)."""

    regex = r"(?!export\.csv$)[^/]+"


register_url_convertor("lead_id", LeadIdConvertor())

BINARY = {"type": "string", "format": "binary"}

# API responses get no-store from the middleware; the resume download also serves the pages.
NO_STORE = "no-store"
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x20-\x7e]+$",
        description="Retry safely: the same key and fields return the first lead.",
    ),
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=LeadCreated,
    responses={
        201: {"description": "The lead was stored", "headers": LOCATION_HEADER},
        **error_responses(400, 409, 413, 415, 422, 429, 503),
    },
)
async def submit_lead(
    data: Annotated[LeadCreate, Form()],
    resume: Annotated[UploadFile, File(description=f"{ACCEPTED_LABEL}; see MAX_RESUME_BYTES")],
    intake: LeadIntakeDep,
    _limit: SubmissionLimit,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Public intake: the prospect's details and resume. No authentication."""
    lead = await intake.submit(data, resume, idempotency_key, channel=IntakeChannel.API)
    # Serialised here: returned as a model, FastAPI would validate it a second time.
    return Response(
        LeadCreated.model_validate(lead).model_dump_json(),
        status_code=status.HTTP_201_CREATED,
        media_type="application/json",
        headers={"Location": f"/api/v1/leads/{lead.id}"},
    )


@router.get("", response_model=LeadPage, responses=error_responses(401, 422))
async def list_leads(query: ValidLeadQuery, database: DatabaseDep) -> Response:
    """Newest first. Follow `next_cursor` for older leads; it stays valid as new leads arrive."""
    if listing.one_index_serves(query.filters):
        # A few index seeks: on the event loop (Database.loop_read), where two thread hops (the
        # statement, the end of its transaction) would cost more than the read.
        page = database.loop_read(
            partial(service.list_leads, filters=query.filters, after=query.after)
        )
    else:
        # A search or a mix of filters may read far before a page fills: off the loop.
        page = await run_in_threadpool(_list_in_thread, database, query)
    # The page is already a validated LeadPage: serialised here, FastAPI would validate it again.
    return Response(page.model_dump_json(), media_type="application/json")


def _list_in_thread(database: Database, query: LeadQuery) -> LeadPage:
    with transaction(database.sessions) as session:
        return service.list_leads(session.connection(), query.filters, query.after)


def _detail(session: SessionDep, lead: LeadByPath, clock: ResponseClock) -> LeadDetail:
    item = LeadRead.model_validate(lead).model_dump()
    if not clock.enabled:
        item["respond_by"] = None
    return LeadDetail(
        **item,
        phone=lead.phone,
        message=lead.message,
        resume=None
        if lead.erased_at is not None
        else ResumeRead(
            filename=lead.resume_filename,
            content_type=lead.resume_content_type,
            size=lead.resume_size,
        ),
        history=[StatusChangeRead.model_validate(c) for c in service.lead_history(session, lead)],
        privacy=PrivacyRead(
            notice_version=lead.privacy_notice_version,
            channel=lead.privacy_channel,
            marketing_opt_in=lead.marketing_opt_in,
        ),
        erased_at=lead.erased_at,
        **attribution.columns(lead),
        # Returning prospects and conflicts.
        opposing_parties=lead.opposing_parties or [],
        duplicates=judgement.duplicates_of(session, lead),
        conflict=judgement.conflict_of(session, lead),
    )


@router.get(
    "/{lead_id:lead_id}", response_model=LeadDetail, responses=error_responses(401, 404, 422)
)
def get_lead(lead: LeadByPath, session: SessionDep, clock: ClockDep) -> LeadDetail:
    return _detail(session, lead, clock)


@router.patch(
    "/{lead_id:lead_id}",
    response_model=LeadDetail,
    responses=error_responses(400, 401, 404, 409, 422),
)
def update_lead(
    changes: LeadUpdate,
    lead: LeadByPath,
    user: CurrentUser,
    session: SessionDep,
    meta: RequestMetaDep,
    clock: ClockDep,
) -> LeadDetail:
    """Move a lead along its lifecycle: PENDING → REACHED_OUT or DECLINED, REACHED_OUT →
    RETAINED or DECLINED (DECLINED needs a `reason`). Repeating the current status changes
    nothing; any other move is 409."""
    service.change_status(
        session, lead, changes.status, actor=user.id, meta=meta, reason=changes.reason
    )
    return _detail(session, lead, clock)


@router.post(
    "/{lead_id}/assign",
    response_model=LeadDetail,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
def assign_lead(
    data: LeadAssign,
    lead: LeadByPath,
    user: CurrentUser,
    session: SessionDep,
    meta: RequestMetaDep,
    clock: ClockDep,
) -> LeadDetail:
    """Give the lead to another active attorney (available or not), who is emailed. Allowed to
    admins and the lead's current assignee (others: 403)."""
    assignment.reassign(session, lead, data.user_id, actor=user, meta=meta)
    return _detail(session, lead, clock)


@router.get(
    "/{lead_id}/similar", response_model=SimilarLeads, responses=error_responses(401, 404, 422)
)
def get_similar_leads(lead: LeadByPath, session: SessionDep) -> SimilarLeads:
    """Leads sharing the email or phone number, and leads whose name is similar (case, accents,
    token order or a one-letter typo apart): best first, at most 20."""
    return judgement.similar_leads(session, lead)


@router.post(
    "/{lead_id}/conflict",
    response_model=LeadDetail,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
def resolve_conflict(
    decision: ConflictDecision,
    lead: LeadByPath,
    user: CurrentUser,
    session: SessionDep,
    meta: RequestMetaDep,
    clock: ClockDep,
) -> LeadDetail:
    """Record the decision on a potential conflict of interest (an admin or the assigned
    attorney); 409 when the check found nothing."""
    judgement.check_may_decide(lead, user)
    judgement.resolve_conflict(
        session, lead, decision.decision, decision.note, actor=user.id, meta=meta
    )
    return _detail(session, lead, clock)


@router.get(
    "/{lead_id}/resume",
    response_class=Response,
    responses={
        200: {
            # The type detected from the content at upload (text is served as UTF-8).
            "content": {media_type: {"schema": BINARY} for media_type in ACCEPTED_TYPES},
            "description": "The uploaded bytes",
            "headers": {
                "Content-Disposition": {
                    "description": "`attachment` with the uploaded file's base name "
                    "(RFC 6266 `filename*` when it is not ASCII)",
                    "schema": {"type": "string"},
                }
            },
        },
        **error_responses(401, 404, 422, 503),
    },
)
def download_resume(
    lead: LeadByPath,
    user: CurrentUser,
    session: WriteSessionDep,
    storage: StorageDep,
    meta: RequestMetaDep,
) -> Response:
    download = service.download_resume(session, storage, lead, actor=user.id, meta=meta)
    return resume_response(download)


def resume_response(download: service.ResumeDownload) -> Response:
    """The stored bytes as an attachment; shared with the web page's download link.

    The name gets the detected type's extension at download, not at upload, so that names
    stored before the rule existed are served safely too.
    """
    filename = download_filename(download.filename, download.content_type)
    headers = {
        "Cache-Control": NO_STORE,
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": content_disposition(filename),
    }
    if download.path is not None:
        return FileResponse(download.path, media_type=download.content_type, headers=headers)
    assert download.chunks is not None
    headers["Content-Length"] = str(download.size)
    return StreamingResponse(download.chunks, media_type=download.content_type, headers=headers)


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback plus `filename*` when the name is not plain ASCII.

    Stored names are already base names without quotes or control characters (resume.py).
    """
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    if ascii_name == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
