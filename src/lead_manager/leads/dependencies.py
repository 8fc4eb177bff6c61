from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, BinaryIO

from fastapi import Depends, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from lead_manager.auth.dependencies import CurrentUser
from lead_manager.core.db import transaction
from lead_manager.core.dependencies import RequestMetaDep, SessionDep, SettingsDep
from lead_manager.core.rate_limit import RateLimiter
from lead_manager.core.request_meta import RequestMeta
from lead_manager.core.validation import check_single_line
from lead_manager.leads import service
from lead_manager.leads.models import Lead, LeadStatus
from lead_manager.leads.schemas import LeadCreate, LeadFilters, decode_cursor
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


async def submission_limit(request: Request, meta: RequestMetaDep) -> None:
    """LEAD_RATE_LIMIT per client address; every attempt counts, accepted or not."""
    limiter: RateLimiter = request.app.state.rate_limiter
    await limiter.consume_async(request.app.state.lead_limit, meta.client_ip or "unknown")


SubmissionLimit = Annotated[None, Depends(submission_limit)]


@dataclass(frozen=True, slots=True)
class LeadIntake:
    """A public submission, for the API and the web form alike: the request's transaction.

    Its transaction is opened, used and committed in one worker-thread call rather than by
    SessionDep. On SQLite the write lock is held from the first write (the attorney claim) to
    the commit; with SessionDep the commit waits for the endpoint to return to the event loop
    and for a second thread hop, and under load those waits, not the work, held the lock and
    queued every other submission behind it.
    """

    write_factory: sessionmaker[Session]
    storage: ResumeStorage
    max_resume_bytes: int
    idempotency_ttl: timedelta
    meta: RequestMeta

    async def submit(
        self, data: LeadCreate, resume: UploadFile, idempotency_key: str | None = None
    ) -> Lead:
        return await run_in_threadpool(
            self._submit, data, resume.file, resume.filename, idempotency_key
        )

    def _submit(
        self, data: LeadCreate, resume: BinaryIO, filename: str | None, idempotency_key: str | None
    ) -> Lead:
        with transaction(self.write_factory) as session:
            return service.intake(
                session,
                self.write_factory,
                self.storage,
                data,
                resume,
                filename,
                max_resume_bytes=self.max_resume_bytes,
                idempotency_key=idempotency_key,
                idempotency_ttl=self.idempotency_ttl,
                meta=self.meta,
            )


async def get_lead_intake(
    request: Request, settings: SettingsDep, storage: StorageDep, meta: RequestMetaDep
) -> LeadIntake:
    return LeadIntake(
        write_factory=request.app.state.write_session_factory,
        storage=storage,
        max_resume_bytes=settings.max_resume_bytes,
        idempotency_ttl=settings.idempotency_ttl,
        meta=meta,
    )


LeadIntakeDep = Annotated[LeadIntake, Depends(get_lead_intake)]
