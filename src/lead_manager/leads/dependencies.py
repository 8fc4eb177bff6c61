from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError

from lead_manager.auth.dependencies import CurrentUser
from lead_manager.core.dependencies import RequestMetaDep, SessionDep
from lead_manager.core.rate_limit import RateLimiter
from lead_manager.core.validation import check_single_line
from lead_manager.leads import service
from lead_manager.leads.models import Lead, LeadStatus
from lead_manager.leads.schemas import LeadFilters, decode_cursor
from lead_manager.storage.base import ResumeStorage


def lead_or_404(lead_id: uuid.UUID, session: SessionDep, _user: CurrentUser) -> Lead:
    return service.get_lead(session, lead_id)


LeadByPath = Annotated[Lead, Depends(lead_or_404)]


def _invalid(field: str, message: str, value: object) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", field), "msg": message, "input": value}]
    )


async def lead_filters(
    user: CurrentUser,
    status: Annotated[LeadStatus | None, Query(description="PENDING or REACHED_OUT")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Substring of the name or email")
    ] = None,
    assigned_to: Annotated[
        str | None, Query(max_length=36, description="A user id, or `me`")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> LeadFilters:
    if q is not None:
        try:
            check_single_line(q)
        except ValueError as exc:
            raise _invalid("q", str(exc), q) from None
    assignee: uuid.UUID | None = None
    if assigned_to == "me":
        assignee = user.id
    elif assigned_to:
        try:
            assignee = uuid.UUID(assigned_to)
        except ValueError:
            raise _invalid("assigned_to", "must be a user id or 'me'", assigned_to) from None
    return LeadFilters(status=status, q=q.strip() if q else None, assigned_to=assignee, limit=limit)


async def page_cursor(
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")] = None,
) -> tuple[datetime, uuid.UUID] | None:
    if not cursor:
        return None
    try:
        return decode_cursor(cursor)
    except ValueError:
        raise _invalid("cursor", "malformed cursor", cursor) from None


LeadFiltersDep = Annotated[LeadFilters, Depends(lead_filters)]
PageCursor = Annotated[tuple[datetime, uuid.UUID] | None, Depends(page_cursor)]


async def get_storage(request: Request) -> ResumeStorage:
    storage: ResumeStorage = request.app.state.storage
    return storage


StorageDep = Annotated[ResumeStorage, Depends(get_storage)]


def submission_limit(request: Request, meta: RequestMetaDep) -> None:
    """LEAD_RATE_LIMIT per client address; every attempt counts, accepted or not."""
    limiter: RateLimiter = request.app.state.rate_limiter
    limiter.consume(request.app.state.lead_limit, meta.client_ip or "unknown")


SubmissionLimit = Annotated[None, Depends(submission_limit)]
