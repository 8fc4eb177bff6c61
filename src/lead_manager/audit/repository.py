from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from lead_manager.audit.models import AuditAction, AuditEvent
from lead_manager.core.request_meta import RequestMeta


def record(
    session: Session,
    action: AuditAction,
    *,
    actor: uuid.UUID | None,
    target: str | None,
    meta: RequestMeta,
    **details: Any,
) -> None:
    session.add(
        AuditEvent(
            action=action.value,
            actor=actor,
            target=target,
            details=details,
            client_ip=meta.client_ip,
            request_id=meta.request_id,
        )
    )


def page(
    session: Session, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> Sequence[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    if after is not None:
        at, event_id = after
        stmt = stmt.where(
            or_(AuditEvent.at < at, and_(AuditEvent.at == at, AuditEvent.id < event_id))
        )
    return session.scalars(stmt).all()


def for_target(session: Session, target: str, actions: Sequence[str]) -> Sequence[AuditEvent]:
    """The events of `actions` about `target`, oldest first."""
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.target == target, AuditEvent.action.in_(actions))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
