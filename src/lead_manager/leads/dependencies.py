"""Lead lookups, list filters and the intake, for the API and the pages alike."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, BinaryIO, NamedTuple

from fastapi import Depends, Query, UploadFile
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from lead_manager.auth.dependencies import CurrentPrincipal, CurrentUser
from lead_manager.conflicts.models import ConflictStatus
from lead_manager.container import ServicesDep
from lead_manager.core.business_hours import ResponseClock
from lead_manager.core.db import transaction
from lead_manager.core.dependencies import RequestMetaDep, SessionDep
from lead_manager.core.pagination import Cursor, CursorQuery, decode_cursor, query_error
from lead_manager.core.request_meta import RequestMeta
from lead_manager.core.validation import check_single_line
from lead_manager.leads import service
from lead_manager.leads.judgement import JudgementOptions
from lead_manager.leads.models import IntakeChannel, Lead, LeadStatus
from lead_manager.leads.schemas import LeadCreate, LeadFilters
from lead_manager.leads.service import IntakePrivacy
from lead_manager.storage.base import ResumeStorage


def lead_or_404(lead_id: uuid.UUID, session: SessionDep, _user: CurrentUser) -> Lead:
    return service.get_lead(session, lead_id)


LeadByPath = Annotated[Lead, Depends(lead_or_404)]


class DroppedInput(NamedTuple):
    message: str
    value: str


@dataclass(frozen=True, slots=True)
class LeadQuery:
    """The list filters and page position as asked for; `errors` names what had to be dropped.

    The API answers 422 for any error (`valid_lead_query`); the inbox page shows the message
    beside the list instead, except for a broken cursor.
    """

    filters: LeadFilters
    after: Cursor | None
    errors: dict[str, DroppedInput] = field(default_factory=dict)


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


# The list's filter parameters, declared once: the lead list and the CSV export take them alike.
StatusQuery = Annotated[
    str | None,
    Query(max_length=20, json_schema_extra={"enum": [status.value for status in LeadStatus]}),
]
SearchQuery = Annotated[
    str | None, Query(max_length=200, description="Substring of the name or email")
]
AssigneeQuery = Annotated[
    str | None,
    Query(max_length=36, description="A user id, `me`, or `none` for unassigned leads"),
]
OverdueQuery = Annotated[
    str | None,
    Query(
        max_length=5,
        description="`true`: only PENDING leads past their `respond_by`",
        json_schema_extra={"enum": ["true", "false"]},
    ),
]


async def lead_query(
    user: CurrentPrincipal,
    services: ServicesDep,
    status: StatusQuery = None,
    q: SearchQuery = None,
    assigned_to: AssigneeQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: CursorQuery = None,
    overdue: OverdueQuery = None,
    duplicates: Annotated[
        str | None,
        Query(
            max_length=20,
            description="`exclude` leaves out leads that have `duplicate_of`",
            json_schema_extra={"enum": ["exclude", "include"]},
        ),
    ] = None,
    conflict: Annotated[
        str | None,
        Query(max_length=20, json_schema_extra={"enum": [s.value for s in ConflictStatus]}),
    ] = None,
) -> LeadQuery:
    errors: dict[str, DroppedInput] = {}
    only_overdue = False
    if overdue is not None:
        if overdue.lower() in _TRUE | _FALSE:
            only_overdue = overdue.lower() in _TRUE
        else:
            errors["overdue"] = DroppedInput("must be true or false", overdue)
    chosen_status: LeadStatus | None = None
    if status is not None:
        try:
            chosen_status = LeadStatus(status)
        except ValueError:
            errors["status"] = DroppedInput(f"must be one of {', '.join(LeadStatus)}", status)
    search = q.strip() if q else None
    if search:
        try:
            check_single_line(search)
        except ValueError as exc:
            errors["q"] = DroppedInput(str(exc), search)
            search = None
    assignee: uuid.UUID | None = None
    if assigned_to == "me":
        assignee = user.id
    elif assigned_to and assigned_to != "none":
        try:
            assignee = uuid.UUID(assigned_to)
        except ValueError:
            errors["assigned_to"] = DroppedInput("must be a user id, 'me' or 'none'", assigned_to)
    after: Cursor | None = None
    if cursor:
        try:
            after = decode_cursor(cursor)
        except ValueError:
            errors["cursor"] = DroppedInput("malformed cursor", cursor)
    exclude_duplicates = duplicates == "exclude"
    if duplicates and duplicates not in {"exclude", "include"}:
        errors["duplicates"] = DroppedInput("must be 'exclude' or 'include'", duplicates)
    conflict_status: ConflictStatus | None = None
    if conflict:
        try:
            conflict_status = ConflictStatus(conflict)
        except ValueError:
            errors["conflict"] = DroppedInput(
                f"must be one of {', '.join(ConflictStatus)}", conflict
            )
    filters = LeadFilters(
        status=chosen_status,
        q=search,
        assigned_to=assignee,
        unassigned=assigned_to == "none",
        limit=limit,
        overdue=only_overdue,
        deadlines=services.clock.enabled,
        exclude_duplicates=exclude_duplicates,
        conflict=conflict_status,
    )
    return LeadQuery(filters, after, errors)


LeadQueryDep = Annotated[LeadQuery, Depends(lead_query)]


async def valid_lead_query(query: LeadQueryDep) -> LeadQuery:
    """`lead_query` for the API: any dropped input is a 422 naming the parameter."""
    for name, dropped in query.errors.items():
        raise query_error(name, dropped.message, dropped.value)
    return query


ValidLeadQuery = Annotated[LeadQuery, Depends(valid_lead_query)]


async def get_clock(services: ServicesDep) -> ResponseClock:
    return services.clock


# The first-response deadline's settings (FIRM_TIMEZONE, BUSINESS_HOURS, the SLA), parsed once.
ClockDep = Annotated[ResponseClock, Depends(get_clock)]


async def get_storage(services: ServicesDep) -> ResumeStorage:
    return services.storage


StorageDep = Annotated[ResumeStorage, Depends(get_storage)]


async def submission_limit(services: ServicesDep, meta: RequestMetaDep) -> None:
    """LEAD_RATE_LIMIT per client address; every attempt counts, accepted or not."""
    await services.rate_limiter.consume_async(services.lead_limit, meta.client_ip or "unknown")


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

    read_factory: sessionmaker[Session]
    write_factory: sessionmaker[Session]
    storage: ResumeStorage
    max_resume_bytes: int
    idempotency_ttl: timedelta
    meta: RequestMeta
    clock: ResponseClock
    notice_version: str
    judgement: JudgementOptions

    async def submit(
        self,
        data: LeadCreate,
        resume: UploadFile,
        idempotency_key: str | None = None,
        *,
        channel: IntakeChannel,
    ) -> Lead:
        privacy = IntakePrivacy(self.notice_version, channel)
        return await run_in_threadpool(
            self._submit, data, resume.file, resume.filename, idempotency_key, privacy
        )

    def _submit(
        self,
        data: LeadCreate,
        resume: BinaryIO,
        filename: str | None,
        idempotency_key: str | None,
        privacy: IntakePrivacy,
    ) -> Lead:
        with transaction(self.write_factory) as session:
            return service.intake(
                session,
                self.read_factory,
                self.write_factory,
                self.storage,
                data,
                resume,
                filename,
                max_resume_bytes=self.max_resume_bytes,
                idempotency_key=idempotency_key,
                idempotency_ttl=self.idempotency_ttl,
                meta=self.meta,
                clock=self.clock,
                privacy=privacy,
                options=self.judgement,
            )


async def get_lead_intake(services: ServicesDep, meta: RequestMetaDep) -> LeadIntake:
    return LeadIntake(
        read_factory=services.database.sessions,
        write_factory=services.database.write_sessions,
        storage=services.storage,
        max_resume_bytes=services.settings.max_resume_bytes,
        idempotency_ttl=services.settings.idempotency_ttl,
        meta=meta,
        clock=services.clock,
        notice_version=services.settings.privacy_notice_version,
        judgement=JudgementOptions(
            phone_region=services.settings.phone_region,
            conflict_threshold=services.settings.conflict_name_threshold,
            conflict_check=services.settings.conflict_check,
        ),
    )


LeadIntakeDep = Annotated[LeadIntake, Depends(get_lead_intake)]
