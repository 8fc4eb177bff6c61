"""Lead intake and handling: the business rules, no HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import BinaryIO

import structlog
from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from lead_manager.audit import repository as audit
from lead_manager.audit.models import AuditAction
from lead_manager.core.business_hours import ResponseClock
from lead_manager.core.db import new_id, on_commit, on_rollback, utcnow
from lead_manager.core.errors import ConflictError, InvalidInputError, NotFoundError
from lead_manager.core.logging import mask_email
from lead_manager.core.metrics import LEADS_CREATED
from lead_manager.core.pagination import Cursor, encode_cursor
from lead_manager.core.request_meta import RequestMeta
from lead_manager.leads import attribution, judgement, listing, repository
from lead_manager.leads.events import emit_event
from lead_manager.leads.idempotency import (
    ResumeUpload,
    claim_idempotency_key,
    release_idempotency_key,
    request_fingerprint,
)
from lead_manager.leads.models import (
    IntakeChannel,
    Lead,
    LeadStatus,
    LeadStatusChange,
)
from lead_manager.leads.resume import ResumeInfo, inspect_resume
from lead_manager.leads.schemas import LeadCreate, LeadFilters, LeadPage
from lead_manager.outbox import service as outbox
from lead_manager.outbox.models import MessageKind
from lead_manager.storage.base import ResumeNotFoundError, ResumeStorage, new_resume_key
from lead_manager.users import repository as users
from lead_manager.webhooks.models import WebhookEvent

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class IntakePrivacy:
    """The privacy facts of a submission that the prospect does not choose: the notice version
    in force (PRIVACY_NOTICE_VERSION) and the channel it came through."""

    notice_version: str
    channel: IntakeChannel


def intake(
    session: Session,
    read_factory: sessionmaker[Session],
    write_factory: sessionmaker[Session],
    storage: ResumeStorage,
    data: LeadCreate,
    resume: BinaryIO,
    resume_name: str | None,
    *,
    max_resume_bytes: int,
    idempotency_key: str | None,
    idempotency_ttl: timedelta,
    meta: RequestMeta,
    clock: ResponseClock | None = None,
    privacy: IntakePrivacy,
    options: judgement.JudgementOptions,
) -> Lead:
    """The whole public submission, shared by the API and the web form.

    Checks the resume, honours an Idempotency-Key (a replay returns the first lead), then stores
    everything in the request's transaction.
    """
    upload = ResumeUpload(resume, inspect_resume(resume, resume_name, max_resume_bytes))
    if idempotency_key is not None:
        fingerprint = request_fingerprint(data, upload)
        existing = claim_idempotency_key(write_factory, idempotency_key, fingerprint, idempotency_ttl)  # fmt: skip
        if existing is not None:
            log.info("idempotent replay", lead_id=str(existing))
            return get_lead(session, existing)
        on_rollback(session, lambda: release_idempotency_key(write_factory, idempotency_key))
    conflict = judgement.check_conflicts(read_factory, data, options)
    # One line (fmt: skip): the features' keyword arguments kept this file under 350 lines.
    return submit_lead(session, storage, data, upload, meta, idempotency_key, clock=clock, privacy=privacy, options=options, conflict=conflict)  # fmt: skip


def submit_lead(
    session: Session,
    storage: ResumeStorage,
    data: LeadCreate,
    upload: ResumeUpload,
    meta: RequestMeta,
    idempotency_key: str | None = None,
    *,
    clock: ResponseClock | None = None,
    privacy: IntakePrivacy,
    options: judgement.JudgementOptions,
    conflict: judgement.ConflictCheck,
) -> Lead:
    """Store the resume, the lead, its first history entry and its emails, all or nothing."""
    resume_key = new_resume_key()
    upload.file.seek(0)
    storage.save(resume_key, upload.file)
    # The file is written before the transaction; if the transaction does not commit, it goes.
    on_rollback(session, lambda: storage.delete(resume_key))

    now = utcnow()
    assessment = judgement.assess(session, data, now, options, conflict)
    # Built before the first write: on SQLite that write takes the database's write lock, which
    # is held until the commit, so as little as possible happens in between.
    lead = Lead(
        id=new_id(),
        first_name=data.first_name,
        last_name=data.last_name,
        email=str(data.email),
        phone=data.phone,
        message=data.message,
        status=LeadStatus.PENDING.value,
        resume_key=resume_key,
        resume_filename=upload.info.filename,
        resume_content_type=upload.info.content_type,
        resume_size=upload.info.size,
        request_id=meta.request_id,
        created_at=now,
        updated_at=now,
        # Speed to lead: the first-response deadline (none without an SLA).
        respond_by=clock.respond_by(now) if clock is not None else None,
        privacy_notice_version=privacy.notice_version,
        privacy_channel=privacy.channel.value,
        marketing_opt_in=data.marketing_opt_in,
        **attribution.columns(data),
        **assessment.lead_columns(),
    )
    first_change = LeadStatusChange(
        lead_id=lead.id, status=LeadStatus.PENDING.value, changed_at=now
    )
    # A returning prospect's earlier attorney, else round-robin (leads/judgement.py).
    attorney_id, reason = judgement.assign(session, assessment, now)
    lead.assigned_to = attorney_id
    # Why, for the timeline: a column of the same INSERT, not a row of its own.
    lead.assignment_reason = reason.value
    # The lead stays transient (inserted by value, not added to the session): it is returned
    # as it was built, which is what was stored.
    repository.add(session, lead, first_change)
    judgement.record(session, lead, assessment)
    emails = [outbox.Email(MessageKind.LEAD_ACKNOWLEDGEMENT)] if assessment.acknowledge else []
    if attorney_id is not None:
        emails.append(outbox.Email(MessageKind.ATTORNEY_NOTIFICATION, attorney_id))
    else:
        emails.extend(
            outbox.Email(MessageKind.UNASSIGNED_LEAD_ALERT, admin.id)
            for admin in users.active_admins(session)
        )
    outbox.enqueue(session, lead.id, emails, request_id=meta.request_id)
    emit_event(session, WebhookEvent.LEAD_CREATED, lead, meta)
    if idempotency_key is not None:
        repository.bind_idempotency_key(session, idempotency_key, lead.id)
    # After the commit: the count and the log line then say only what was stored, and their
    # cost is not paid while SQLite's write lock is held.
    on_commit(session, partial(_lead_submitted, lead, upload.info))
    return lead


def _lead_submitted(lead: Lead, resume: ResumeInfo) -> None:
    LEADS_CREATED.inc()
    log.info(
        "lead submitted",
        lead_id=str(lead.id),
        email=mask_email(lead.email),
        assigned_to=str(lead.assigned_to) if lead.assigned_to else None,
        resume_type=resume.content_type,
        resume_size=resume.size,
    )


def list_leads(connection: Connection, filters: LeadFilters, after: Cursor | None) -> LeadPage:
    rows = listing.page(connection, filters, after)
    next_cursor = None
    if len(rows) > filters.limit:
        last = rows[filters.limit - 1]
        next_cursor = encode_cursor(last.created_at, last.id)
    # One validation of the whole page (pydantic-core reads the rows' attributes), not one
    # Python-level call per item.
    return LeadPage.model_validate(
        {"items": rows[: filters.limit], "next_cursor": next_cursor}, from_attributes=True
    )


@dataclass(frozen=True, slots=True)
class LeadCount:
    """A count that stops at a limit: shown as "1,000+" past it."""

    value: int
    more: bool

    def __bool__(self) -> bool:
        return self.value > 0

    def __str__(self) -> str:
        return f"{self.value:,}+" if self.more else str(self.value)


def count_leads(session: Session, filters: LeadFilters, *, at_most: int) -> LeadCount:
    """How many leads match (the `limit` is ignored), up to `at_most`: the inbox's counts."""
    found = listing.count(session, filters, at_most + 1)
    return LeadCount(min(found, at_most), found > at_most)


def get_lead(session: Session, lead_id: uuid.UUID) -> Lead:
    lead = repository.get(session, lead_id)
    if lead is None:
        raise NotFoundError("Lead not found.")
    return lead


def lead_history(session: Session, lead: Lead) -> Sequence[LeadStatusChange]:
    return repository.history(session, lead.id)


# The lifecycle: which status may follow which. Anything else is a conflict.
ALLOWED_TRANSITIONS = frozenset(
    {
        (LeadStatus.PENDING, LeadStatus.REACHED_OUT),
        (LeadStatus.PENDING, LeadStatus.DECLINED),
        (LeadStatus.REACHED_OUT, LeadStatus.RETAINED),
        (LeadStatus.REACHED_OUT, LeadStatus.DECLINED),
    }
)
# Statuses that need a reason when a lead enters them.
REASON_REQUIRED = frozenset({LeadStatus.DECLINED})


def next_statuses(status: LeadStatus) -> list[LeadStatus]:
    """Where a lead in `status` may go next, in the lifecycle's order."""
    return [new for new in LeadStatus if (status, new) in ALLOWED_TRANSITIONS]


def change_status(
    session: Session,
    lead: Lead,
    new: LeadStatus,
    *,
    actor: uuid.UUID,
    meta: RequestMeta,
    reason: str | None = None,
) -> Lead:
    current = LeadStatus(lead.status)
    if current == new:
        return lead
    if lead.erased_at is not None:
        # Kept for statistics only: a change (and its reason) would be about nobody.
        raise ConflictError("This lead's personal data has been erased; it can no longer change.")
    if (current, new) not in ALLOWED_TRANSITIONS:
        raise ConflictError(f"A lead cannot go from {current.value} to {new.value}.")
    if new in REASON_REQUIRED and not reason:
        raise InvalidInputError(f"A reason is required to mark a lead {new.value}.", field="reason")
    now = utcnow()
    responded_after = (now - lead.created_at).total_seconds()
    if not repository.mark_status(
        session, lead.id, current, new, now, responded_after=responded_after
    ):
        # Someone else changed it between our read and our write: report what is there now.
        session.refresh(lead)
        if LeadStatus(lead.status) == new:
            return lead
        raise ConflictError(f"A lead cannot go from {lead.status} to {new.value}.")
    repository.add_status_change(
        session,
        LeadStatusChange(
            lead_id=lead.id, status=new.value, changed_by=actor, changed_at=now, reason=reason
        ),
    )
    session.refresh(lead)
    audit.record(
        session,
        AuditAction.LEAD_STATUS_CHANGED,
        actor=actor,
        target=str(lead.id),
        meta=meta,
        status_from=current.value,
        status_to=new.value,
        # Only when given: the trail says what was written, not an empty field.
        **({"reason": reason} if reason else {}),
    )
    emit_event(session, WebhookEvent.LEAD_STATUS_CHANGED, lead, meta)
    return lead


@dataclass(frozen=True, slots=True)
class ResumeDownload:
    filename: str
    content_type: str
    size: int
    path: Path | None
    chunks: Iterator[bytes] | None


def download_resume(
    session: Session, storage: ResumeStorage, lead: Lead, *, actor: uuid.UUID, meta: RequestMeta
) -> ResumeDownload:
    if lead.erased_at is not None:
        raise NotFoundError("This lead's personal data, resume included, has been erased.")
    path = storage.local_path(lead.resume_key)
    try:
        chunks = None if path is not None else storage.open(lead.resume_key)
    except ResumeNotFoundError as exc:
        # Lost storage is an operator's problem to fix, not a crash for the attorney.
        log.error("resume file missing", lead_id=str(lead.id), resume_key=lead.resume_key)
        raise NotFoundError("The resume file of this lead is missing from storage.") from exc
    audit.record(
        session, AuditAction.RESUME_DOWNLOADED, actor=actor, target=str(lead.id), meta=meta
    )
    return ResumeDownload(
        lead.resume_filename, lead.resume_content_type, lead.resume_size, path, chunks
    )
