from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from lead_manager.audit import repository
from lead_manager.audit.schemas import AuditEventRead, AuditPage
from lead_manager.auth.dependencies import AdminUser
from lead_manager.core.dependencies import SessionDep
from lead_manager.core.openapi import error_responses
from lead_manager.core.pagination import PageCursor, encode_cursor

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=AuditPage, responses=error_responses(401, 403, 422))
def list_audit_events(
    _admin: AdminUser,
    session: SessionDep,
    after: PageCursor,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    """Logins, status changes, user changes and resume downloads, newest first."""
    rows = repository.page(session, limit + 1, after)
    items = [AuditEventRead.model_validate(row) for row in rows[:limit]]
    next_cursor = encode_cursor(items[-1].at, items[-1].id) if len(rows) > limit else None
    return AuditPage(items=items, next_cursor=next_cursor)
