"""The lead inbox and a lead's page: the same lookups, filters and services as the API."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from lead_manager.auth.dependencies import CurrentUser
from lead_manager.core.business_hours import ResponseClock
from lead_manager.core.db import utcnow
from lead_manager.core.dependencies import RequestMetaDep, SessionDep
from lead_manager.core.errors import ConflictError, InvalidInputError
from lead_manager.leads import assignment
from lead_manager.leads import service as leads_service
from lead_manager.leads.dependencies import ClockDep, LeadByPath, LeadQueryDep
from lead_manager.leads.models import Lead, LeadStatus
from lead_manager.leads.router import download_resume
from lead_manager.leads.schemas import LeadFilters, LeadUpdate
from lead_manager.notes import service as notes_service
from lead_manager.notes.schemas import NoteCreate
from lead_manager.timeline import service as timeline_service
from lead_manager.users import service as users_service
from lead_manager.users.models import Role, User
from lead_manager.web.conflicts import lead_judgement_context
from lead_manager.web.dependencies import CsrfChecked, PageError
from lead_manager.web.flash import Notice, NoticeRedirect
from lead_manager.web.forms import FormText, display_names, field_errors
from lead_manager.web.pages import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 25
# The inbox's counts stop here ("1,000+"): past it the number tells an attorney nothing more, and
# counting every pending lead of a large backlog took most of the page's time.
INBOX_COUNT_LIMIT = 1_000


@router.get("/leads", response_class=HTMLResponse)
def leads_page(
    request: Request, user: CurrentUser, session: SessionDep, query: LeadQueryDep
) -> HTMLResponse:
    if "cursor" in query.errors:
        raise PageError(
            400, "That page link is not valid", "Please start again from the first page."
        )
    filters = query.filters.model_copy(update={"limit": PAGE_SIZE})
    page = leads_service.list_leads(session.connection(), filters, query.after)
    pending = leads_service.count_leads(
        session, LeadFilters(status=LeadStatus.PENDING), at_most=INBOX_COUNT_LIMIT
    )
    my_pending = leads_service.count_leads(
        session,
        LeadFilters(status=LeadStatus.PENDING, assigned_to=user.id),
        at_most=INBOX_COUNT_LIMIT,
    )
    overdue = leads_service.count_leads(
        session, LeadFilters(overdue=True, deadlines=filters.deadlines), at_most=INBOX_COUNT_LIMIT
    )
    # A blank field of the filter form means "any", not a mistake.
    dropped = {name for name, value in query.errors.items() if value.value}
    error = None
    if "q" in dropped:
        error = "The search must not contain control characters."
    elif dropped:
        error = "Some filters were not understood and have been left out."
    return render(
        request,
        "leads.html",
        user=user,
        page=page,
        query={
            "status": filters.status.value if filters.status else "",
            "mine": filters.assigned_to == user.id,
            "unassigned": filters.unassigned,
            # What the paging and export links carry.
            "assigned_to": (
                "me" if filters.assigned_to == user.id else "none" if filters.unassigned else ""
            ),
            "q": filters.q or "",
            "overdue": filters.overdue,
            "conflict": filters.conflict.value if filters.conflict else "",
            "duplicates": "exclude" if filters.exclude_duplicates else "",
        },
        error=error,
        pending=pending,
        my_pending=my_pending,
        overdue=overdue,
        deadlines=filters.deadlines,
        now=utcnow(),
        first_page=query.after is None,
        names=display_names(users_service.list_users(session)),
    )


def _lead_page(
    request: Request,
    lead: Lead,
    user: User,
    session: Session,
    clock: ResponseClock,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    users = users_service.list_users(session)
    respond_by = lead.respond_by if clock.enabled else None
    return render(
        request,
        "lead.html",
        user=user,
        status_code=status_code,
        lead=lead,
        errors=errors or {},
        values=values or {},
        # Newest first: the latest note or change is in view without scrolling past the rest.
        timeline=list(reversed(timeline_service.timeline(session, lead))),
        next_statuses=leads_service.next_statuses(LeadStatus(lead.status)),
        respond_by=respond_by,
        respond_by_local=(
            respond_by.astimezone(clock.zone).strftime("%a %-d %b %Y, %H:%M %Z")
            if respond_by
            else None
        ),
        overdue=respond_by is not None and respond_by < utcnow(),
        may_reassign=assignment.may_reassign(user, lead),
        attorneys=[
            u
            for u in users
            if u.role == Role.ATTORNEY.value and u.is_active and u.id != lead.assigned_to
        ],
        names=display_names(users),
        # Conflicts of interest and returning prospects (lead_conflicts.html).
        **lead_judgement_context(session, lead, user),
    )


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
def lead_page(
    request: Request,
    lead: LeadByPath,
    user: CurrentUser,
    session: SessionDep,
    clock: ClockDep,
) -> HTMLResponse:
    return _lead_page(request, lead, user, session, clock)


# The API's own endpoint: the same lookup, audit row (on the writing session) and headers.
router.add_api_route("/leads/{lead_id}/resume", download_resume, methods=["GET"])


def _done(lead: Lead, notice: Notice) -> RedirectResponse:
    return NoticeRedirect(f"/leads/{lead.id}", notice)


@router.post("/leads/{lead_id}/reached-out")
def mark_reached_out(
    _csrf: CsrfChecked,
    lead: LeadByPath,
    user: CurrentUser,
    session: SessionDep,
    meta: RequestMetaDep,
) -> Response:
    leads_service.change_status(session, lead, LeadStatus.REACHED_OUT, actor=user.id, meta=meta)
    return _done(lead, Notice.REACHED_OUT)


@router.post("/leads/{lead_id}/status", response_class=HTMLResponse)
def change_status(
    request: Request,
    _csrf: CsrfChecked,
    lead: LeadByPath,
    user: CurrentUser,
    session: SessionDep,
    meta: RequestMetaDep,
    clock: ClockDep,
    status: Annotated[str, Form(max_length=20)] = "",
    reason: FormText = "",
) -> Response:
    values = {"status": status, "reason": reason}
    try:
        # A blank reason is no reason (the API's rule then decides whether one is needed).
        changes = LeadUpdate.model_validate({"status": status, "reason": reason.strip() or None})
        leads_service.change_status(
            session, lead, changes.status, actor=user.id, meta=meta, reason=changes.reason
        )
    except ValidationError as exc:
        errors = field_errors(exc)
        if "status" in errors:
            errors["status"] = "Choose one of the statuses offered."
        return _lead_page(
            request, lead, user, session, clock, errors=errors, values=values, status_code=422
        )
    except (ConflictError, InvalidInputError) as exc:
        field = exc.field if isinstance(exc, InvalidInputError) and exc.field else "status"
        return _lead_page(
            request,
            lead,
            user,
            session,
            clock,
            errors={field: exc.detail},
            values=values,
            status_code=exc.status_code,
        )
    return _done(lead, Notice.STATUS_CHANGED)


@router.post("/leads/{lead_id}/notes", response_class=HTMLResponse)
def add_note(
    request: Request,
    _csrf: CsrfChecked,
    lead: LeadByPath,
    user: CurrentUser,
    session: SessionDep,
    clock: ClockDep,
    body: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    try:
        # Browsers send a textarea's line breaks as CRLF; a note keeps plain newlines.
        note = NoteCreate.model_validate({"body": body.replace("\r\n", "\n")})
    except ValidationError as exc:
        return _lead_page(
            request,
            lead,
            user,
            session,
            clock,
            errors={"body": field_errors(exc)["body"]},
            values={"body": body},
            status_code=422,
        )
    notes_service.add_note(session, lead, note.body, author=user.id)
    return _done(lead, Notice.NOTE_ADDED)


@router.post("/leads/{lead_id}/assign", response_class=HTMLResponse)
def assign_lead(
    request: Request,
    _csrf: CsrfChecked,
    lead: LeadByPath,
    user: CurrentUser,
    session: SessionDep,
    meta: RequestMetaDep,
    clock: ClockDep,
    user_id: Annotated[str, Form(max_length=36)] = "",
) -> Response:
    try:
        target = uuid.UUID(user_id)
        assignment.reassign(session, lead, target, actor=user, meta=meta)
    except (ValueError, InvalidInputError, ConflictError) as exc:
        message = exc.detail if isinstance(exc, InvalidInputError | ConflictError) else None
        return _lead_page(
            request,
            lead,
            user,
            session,
            clock,
            errors={"user_id": message or "Choose an attorney from the list."},
            status_code=getattr(exc, "status_code", 422),
        )
    return _done(lead, Notice.REASSIGNED)
