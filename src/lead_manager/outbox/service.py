"""Writing side effects into the outbox, inside the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from lead_manager.outbox import repository
from lead_manager.outbox.models import MessageKind


class Email(NamedTuple):
    """One email to send about a lead; without a recipient it goes to the lead's own address.

    `details`: small values the template needs beyond ids (an escalation step, a day), never
    personal data: the dispatcher loads current data when it renders.
    """

    kind: MessageKind
    recipient_id: uuid.UUID | None = None
    details: Mapping[str, str | int] | None = None


def enqueue(
    session: Session, lead_id: uuid.UUID | None, emails: Sequence[Email], *, request_id: str | None
) -> None:
    """Queue `emails` about one lead (or, like the digest, about none), all in one statement."""
    rows: list[dict[str, Any]] = []
    for email in emails:
        payload: dict[str, Any] = dict(email.details or {})
        if lead_id is not None:
            payload["lead_id"] = str(lead_id)
        if email.recipient_id is not None:
            payload["user_id"] = str(email.recipient_id)
        rows.append(
            {
                "kind": email.kind.value,
                "payload": payload,
                "lead_id": lead_id,
                "request_id": request_id,
            }
        )
    repository.add_messages(session, rows)


def enqueue_payloads(
    session: Session,
    kind: MessageKind,
    payloads: Sequence[tuple[uuid.UUID, dict[str, Any]]],
    *,
    lead_id: uuid.UUID | None,
    request_id: str | None,
) -> None:
    """Queue messages of another kind than email (ids chosen by the caller, who keeps records
    of its own under them), all in one statement."""
    repository.add_messages(
        session,
        [
            {
                "id": message_id,
                "kind": kind.value,
                "payload": payload,
                "lead_id": lead_id,
                "request_id": request_id,
            }
            for message_id, payload in payloads
        ],
    )
