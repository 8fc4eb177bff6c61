"""Writing side effects into the outbox, inside the caller's transaction."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from lead_manager.notifications.models import MessageKind, OutboxMessage


def enqueue(
    session: Session,
    kind: MessageKind,
    *,
    lead_id: uuid.UUID,
    recipient_id: uuid.UUID | None = None,
    request_id: str | None,
) -> None:
    payload = {"lead_id": str(lead_id)}
    if recipient_id is not None:
        payload["user_id"] = str(recipient_id)
    session.add(OutboxMessage(kind=kind.value, payload=payload, request_id=request_id))
