"""Intake judgement: returning prospects (contact keys, `duplicate_of`, continuity of the
attorney, similar leads), the conflict check and its decision, and the acknowledgement limit.

The intake calls `check_conflicts` before its transaction begins, then (service.submit_lead)
`assess` before it builds the lead, `assign` for the
attorney, and `record` once the lead row exists: all in the submission's transaction, so the
attorney's notification, rendered later from the stored rows, knows the result.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lead_manager.audit import repository as audit
from lead_manager.audit.models import AuditAction
from lead_manager.conflicts import repository as conflicts_repository
from lead_manager.conflicts import service as conflicts
from lead_manager.conflicts.models import ConflictStatus, NameRole
from lead_manager.conflicts.names import blocking_keys, length_window, normalise
from lead_manager.conflicts.repository import KeyQuery
from lead_manager.conflicts.schemas import ConflictHitRead, ConflictRead
from lead_manager.core.db import transaction, utcnow
from lead_manager.core.errors import ConflictError, ForbiddenError
from lead_manager.core.matching_keys import email_key, phone_key
from lead_manager.core.request_meta import RequestMeta
from lead_manager.core.validation import split_opposing_parties
from lead_manager.leads import judgement_repository as repository
from lead_manager.leads.models import AssignmentReason, Lead
from lead_manager.leads.schemas import LeadCreate, LeadRead, SimilarLead, SimilarLeads
from lead_manager.users import repository as users
from lead_manager.users.models import Role, User

# One address gets at most this many acknowledgements in ACKNOWLEDGEMENT_WINDOW.
MAX_ACKNOWLEDGEMENTS = 3
ACKNOWLEDGEMENT_WINDOW = timedelta(hours=24)
MAX_SIMILAR = 20
MAX_DUPLICATES_SHOWN = 100
# Similar leads by name: the score from which a name counts as similar (one typo in ten
# characters is 0.9; "John Smith" / "Jane Smith" is 0.7).
SIMILAR_NAME_THRESHOLD = 0.85


@dataclass(frozen=True, slots=True)
class JudgementOptions:
    phone_region: str
    conflict_threshold: float
    conflict_check: bool = True


@dataclass(slots=True)
class Assessment:
    email_key: str
    phone_key: str | None
    opposing_parties: list[str]
    duplicate_of: uuid.UUID | None = None
    earlier_attorney: uuid.UUID | None = None
    acknowledge: bool = True
    checked_at: datetime | None = None
    hits: list[conflicts.Hit] = field(default_factory=list)

    def lead_columns(self) -> dict[str, Any]:
        """The lead's own columns of the judgement (set when the lead is built)."""
        return {
            "email_key": self.email_key,
            "phone_key": self.phone_key,
            "duplicate_of": self.duplicate_of,
            "opposing_parties": self.opposing_parties or None,
            "conflict_status": (
                ConflictStatus.POTENTIAL if self.hits else ConflictStatus.CLEAR
            ).value,
            "conflict_checked_at": self.checked_at,
        }


@dataclass(frozen=True, slots=True)
class ConflictCheck:
    """What the conflict check found for a submission, and when (None: the check is off)."""

    hits: list[conflicts.Hit]
    checked_at: datetime | None


def check_conflicts(
    read_factory: sessionmaker[Session], data: LeadCreate, options: JudgementOptions
) -> ConflictCheck:
    """The prospect and the other side against the register and earlier leads, in a read
    transaction of its own before the submission's.

    The check is the slowest part of an intake (hundreds of candidate names scored), and on
    SQLite the submission's transaction holds the database's write lock from its first
    statement: run inside it, the check queued every other submission behind it. A lead
    committed while the check runs is not seen, as it would not be a moment earlier either.
    """
    if not options.conflict_check:
        return ConflictCheck([], None)
    with transaction(read_factory) as reads:
        hits = conflicts.check(
            reads,
            prospect=f"{data.first_name} {data.last_name}",
            prospect_email=str(data.email),
            opposing=split_opposing_parties(data.opposing_parties or ""),
            threshold=options.conflict_threshold,
        )
    return ConflictCheck(hits, utcnow())


def assess(
    session: Session,
    data: LeadCreate,
    now: datetime,
    options: JudgementOptions,
    conflict: ConflictCheck,
) -> Assessment:
    """In the submission's transaction: the contact keys, the earliest lead they match, the
    acknowledgement limit (serialised per address), and the conflict check's result."""
    found = Assessment(
        email_key=email_key(str(data.email)),
        phone_key=phone_key(data.phone, options.phone_region),
        opposing_parties=split_opposing_parties(data.opposing_parties or ""),
        checked_at=conflict.checked_at,
        hits=conflict.hits,
    )
    earliest = repository.earliest_match(session, found.email_key, found.phone_key)
    if earliest is not None:
        found.duplicate_of, found.earlier_attorney = earliest
    repository.serialise_acknowledgements(session, found.email_key)
    # Every lead of an address within the window got an acknowledgement unless it was over the
    # limit, so fewer than MAX earlier leads means fewer than MAX acknowledgements. (At the edge
    # of the window this can refuse one that counting acknowledgements would allow: the limit
    # errs on the side of sending less.)
    recent = repository.recent_leads_of(
        session, found.email_key, now - ACKNOWLEDGEMENT_WINDOW, MAX_ACKNOWLEDGEMENTS
    )
    found.acknowledge = recent < MAX_ACKNOWLEDGEMENTS
    return found


def assign(
    session: Session, found: Assessment, now: datetime
) -> tuple[uuid.UUID | None, AssignmentReason]:
    """A returning prospect goes to their earlier attorney when still active and available;
    anyone else round-robin."""
    if found.earlier_attorney is not None and users.claim_attorney(
        session, found.earlier_attorney, now
    ):
        return found.earlier_attorney, AssignmentReason.RETURNING_PROSPECT
    attorney = users.claim_next_attorney(session, now)
    if attorney is None:
        return None, AssignmentReason.NONE_AVAILABLE
    return attorney, AssignmentReason.ROUND_ROBIN


def record(session: Session, lead: Lead, found: Assessment) -> None:
    """After the lead row: its name keys (for later leads) and its conflict hits."""
    conflicts_repository.add_lead_keys(
        session,
        conflicts.name_key_rows(
            lead.id, f"{lead.first_name} {lead.last_name}", found.opposing_parties
        ),
    )
    conflicts_repository.add_hits(session, conflicts.hit_rows(lead.id, found.hits))


def conflict_of(session: Session, lead: Lead) -> ConflictRead:
    return ConflictRead(
        status=ConflictStatus(lead.conflict_status),
        hits=[
            ConflictHitRead.model_validate(hit)
            for hit in conflicts_repository.hits_of(session, lead.id)
        ],
        checked_at=lead.conflict_checked_at,
        resolved_by=lead.conflict_resolved_by,
        resolved_at=lead.conflict_resolved_at,
        note=lead.conflict_note,
    )


def duplicates_of(session: Session, lead: Lead) -> list[uuid.UUID]:
    """Later leads linked to this one (the first MAX_DUPLICATES_SHOWN)."""
    return repository.later_duplicates(session, lead.id, MAX_DUPLICATES_SHOWN)


def check_may_decide(lead: Lead, user: User) -> None:
    if user.role != Role.ADMIN.value and lead.assigned_to != user.id:
        raise ForbiddenError("Only an admin or the lead's attorney can decide on its conflict.")


def resolve_conflict(
    session: Session,
    lead: Lead,
    decision: str,
    note: str,
    *,
    actor: uuid.UUID,
    meta: RequestMeta,
) -> Lead:
    """Record the decision on a lead with hits (potential, or decided before: a second look
    may change it). A lead whose check found nothing has nothing to decide: 409."""
    current = lead.conflict_status
    if current == ConflictStatus.CLEAR.value:
        raise ConflictError("This lead has no potential conflict to decide on.")
    now = utcnow()
    changed = repository.set_conflict_decision(
        session,
        lead.id,
        current,
        {
            "conflict_status": decision,
            "conflict_resolved_by": actor,
            "conflict_resolved_at": now,
            "conflict_note": note,
            "updated_at": now,
        },
    )
    if not changed:
        raise ConflictError("Someone else decided on this conflict meanwhile; reload the lead.")
    audit.record(
        session,
        AuditAction.LEAD_CONFLICT_RESOLVED,
        actor=actor,
        target=str(lead.id),
        meta=meta,
        decision=decision,
        note=note,
    )
    session.refresh(lead)
    return lead


def similar_leads(session: Session, lead: Lead) -> SimilarLeads:
    """Leads sharing the email or phone, and leads whose name is similar, best first."""
    reasons: dict[uuid.UUID, list[str]] = {}
    scores: dict[uuid.UUID, float] = {}
    for other, same_email, same_phone in repository.contact_matches(session, lead, MAX_SIMILAR):
        reasons[other] = ["email"] * same_email + ["phone"] * same_phone
        scores[other] = 1.0
    name = normalise(f"{lead.first_name} {lead.last_name}")
    if name.text:
        block = KeyQuery(
            frozenset(blocking_keys(name)),
            *length_window(len(name), SIMILAR_NAME_THRESHOLD),
            role=NameRole.PROSPECT.value,
        )
        for _query, owner, _candidate, score in conflicts.score_candidates(
            [conflicts.NameQuery(NameRole.PROSPECT, "", name)],
            conflicts_repository.lead_candidates(session, [block]),
            SIMILAR_NAME_THRESHOLD,
        ):
            if owner == lead.id or score < SIMILAR_NAME_THRESHOLD:
                continue
            if "name" not in reasons.setdefault(owner, []):
                reasons[owner].append("name")
            scores[owner] = max(scores.get(owner, 0.0), score)
    rows = repository.list_rows(session, reasons)
    ranked = sorted(rows, key=lambda i: (-scores[i], -rows[i].created_at.timestamp()))
    return SimilarLeads(
        items=[
            SimilarLead(
                lead=LeadRead.model_validate(rows[i], from_attributes=True),
                reasons=reasons[i],
                score=scores[i],
            )
            for i in ranked[:MAX_SIMILAR]
        ]
    )
