"""The lead inbox and a lead's page: the same lookups, filters and services as the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lead_manager.auth.dependencies import CurrentUser
from lead_manager.core.dependencies import RequestMetaDep, SessionDep
from lead_manager.leads import service as leads_service
from lead_manager.leads.dependencies import LeadByPath, LeadQueryDep
from lead_manager.leads.models import LeadStatus
from lead_manager.leads.router import download_resume
from lead_manager.leads.schemas import LeadFilters
from lead_manager.users import service as users_service
from lead_manager.web.dependencies import CsrfChecked, PageError
from lead_manager.web.forms import display_names, notice
from lead_manager.web.pages import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 25


@router.get("/leads", response_class=HTMLResponse)
def leads_page(
    request: Request, user: CurrentUser, session: SessionDep, query: LeadQueryDep
) -> HTMLResponse:
    if "cursor" in query.errors:
        raise PageError(
            400, "That page link is not valid", "Please start again from the first page."
        )
    filters = query.filters.model_copy(update={"limit": PAGE_SIZE})
    page = leads_service.list_leads(session, filters, query.after)
    pending = leads_service.count_leads(session, LeadFilters(status=LeadStatus.PENDING))
    my_pending = leads_service.count_leads(
        session, LeadFilters(status=LeadStatus.PENDING, assigned_to=user.id)
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
            "q": filters.q or "",
        },
        error=error,
        pending=pending,
        my_pending=my_pending,
        first_page=query.after is None,
        names=display_names(users_service.list_users(session)),
    )


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
def lead_page(
    request: Request,
    lead: LeadByPath,
    user: CurrentUser,
    session: SessionDep,
    notice_flag: Annotated[str | None, Query(alias="notice", max_length=40)] = None,
) -> HTMLResponse:
    return render(
        request,
        "lead.html",
        user=user,
        lead=lead,
        notice=notice(notice_flag),
        history=leads_service.lead_history(session, lead),
        names=display_names(users_service.list_users(session)),
    )


# The API's own endpoint: the same lookup, audit row (on the writing session) and headers.
router.add_api_route("/leads/{lead_id}/resume", download_resume, methods=["GET"])


@router.post("/leads/{lead_id}/reached-out")
def mark_reached_out(
    _csrf: CsrfChecked,
    lead: LeadByPath,
    user: CurrentUser,
    session: SessionDep,
    meta: RequestMetaDep,
) -> Response:
    leads_service.change_status(session, lead, LeadStatus.REACHED_OUT, actor=user.id, meta=meta)
    return RedirectResponse(f"/leads/{lead.id}?notice=reached_out", status_code=303)
