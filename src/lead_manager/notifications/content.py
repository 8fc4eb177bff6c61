"""What an outbox message's email shows, loaded when it is rendered (the payload holds ids)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lead_manager.conflicts import repository as conflicts
from lead_manager.leads import repository as leads
from lead_manager.leads.models import Lead
from lead_manager.outbox.models import MessageKind
from lead_manager.users import repository as users
from lead_manager.users.models import User

# The digest lists at most this many leads (and says how many there are in all).
DIGEST_LIMIT = 100


class MissingDataError(Exception):
    """What the email is about no longer exists (the lead, the recipient): it can never be sent."""


@dataclass(frozen=True, slots=True)
class MessageContent:
    lead: Lead | None
    recipient: User | None
    extra: dict[str, Any] = field(default_factory=dict)


def load(
    session: Session, kind: MessageKind, payload: dict[str, Any], now: datetime
) -> MessageContent:
    lead = None
    if "lead_id" in payload:
        lead = leads.get(session, uuid.UUID(payload["lead_id"]))
        if lead is None:
            raise MissingDataError("the lead no longer exists")
        if lead.erased_at is not None:
            # Erasure drops a lead's unsent messages; this one was claimed just before.
            raise MissingDataError("the lead's personal data has been erased")
    recipient = None
    if "user_id" in payload:
        recipient = users.get(session, uuid.UUID(payload["user_id"]))
        if recipient is None:
            raise MissingDataError("the recipient no longer exists")
    extra: dict[str, Any] = {}
    if kind is MessageKind.DAILY_DIGEST:
        if recipient is None:
            raise MissingDataError("a digest needs its recipient")
        extra = {
            "date": payload.get("date", ""),
            "leads": leads.pending_for(session, recipient.id, DIGEST_LIMIT),
            "total": leads.count_pending_for(session, recipient.id),
            "now": now,
        }
    elif kind is MessageKind.PASSWORD_RESET:
        # Deactivated since the request: the link would not work, so it is not sent.
        if recipient is None or not recipient.is_active:
            raise MissingDataError("the account is not active")
        extra = {
            "expires_at": int(payload["expires_at"]),
            "session_version": int(payload["session_version"]),
        }
    elif lead is not None and kind in _ABOUT_THE_ASSIGNEE:
        assignee = users.get(session, lead.assigned_to) if lead.assigned_to else None
        extra = {"assignee": assignee, "step": int(payload.get("step", 0))}
    if lead is not None and kind in _ABOUT_A_NEW_LEAD:
        # How many conflict hits the intake's check found (the hits themselves stay on the page).
        extra["conflict_hits"] = conflicts.count_hits(session, lead.id)
    return MessageContent(lead, recipient, extra)


# Staff emails about a new lead: they warn of a potential conflict of interest.
_ABOUT_A_NEW_LEAD = frozenset(
    {MessageKind.ATTORNEY_NOTIFICATION, MessageKind.UNASSIGNED_LEAD_ALERT}
)
# Emails that say who has the lead now (after a reassignment or escalation).
_ABOUT_THE_ASSIGNEE = frozenset(
    {
        MessageKind.LEAD_ASSIGNED,
        MessageKind.ESCALATED_LEAD,
        MessageKind.LEAD_REASSIGNED,
        MessageKind.ESCALATION_ALERT,
    }
)
