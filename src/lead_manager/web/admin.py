"""Administration pages: accounts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from lead_manager.auth.dependencies import AdminUser
from lead_manager.core.dependencies import RequestMetaDep, SessionDep
from lead_manager.core.errors import ConflictError
from lead_manager.users import service as users_service
from lead_manager.users.dependencies import UserByPath
from lead_manager.users.models import Role, User
from lead_manager.users.schemas import UserCreate, UserUpdate
from lead_manager.web.dependencies import CsrfChecked, PageError
from lead_manager.web.flash import Notice, NoticeRedirect
from lead_manager.web.forms import FormText, field_errors
from lead_manager.web.pages import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _users_page(
    request: Request,
    admin: User,
    session: Session,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "admin_users.html",
        user=admin,
        status_code=status_code,
        users=users_service.list_users(session),
        values=values or {"role": "attorney"},
        errors=errors or {},
        error=error,
        roles=[role.value for role in Role],
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(
    request: Request,
    admin: AdminUser,
    session: SessionDep,
) -> HTMLResponse:
    return _users_page(request, admin, session)


@router.post("/admin/users", response_class=HTMLResponse)
def create_user(
    request: Request,
    _csrf: CsrfChecked,
    admin: AdminUser,
    session: SessionDep,
    meta: RequestMetaDep,
    email: FormText = "",
    full_name: FormText = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    role: Annotated[str, Form(max_length=20)] = "attorney",
) -> Response:
    values = {"email": email, "full_name": full_name, "role": role}
    try:
        data = UserCreate.model_validate({**values, "password": password})
        users_service.create_user(session, data, actor=admin.id, meta=meta)
    except ValidationError as exc:
        return _users_page(
            request, admin, session, values=values, errors=field_errors(exc), status_code=422
        )
    except ConflictError as exc:
        return _users_page(
            request, admin, session, values=values, errors={"email": exc.detail}, status_code=409
        )
    return NoticeRedirect("/admin/users", Notice.CREATED)


# Each button on a user's row sends one of these changes.
USER_CHANGES: dict[str, dict[str, Any]] = {
    "deactivate": {"is_active": False},
    "activate": {"is_active": True},
    "available": {"is_available": True},
    "unavailable": {"is_available": False},
    "make-admin": {"role": Role.ADMIN},
    "make-attorney": {"role": Role.ATTORNEY},
}


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
def update_user(
    request: Request,
    _csrf: CsrfChecked,
    admin: AdminUser,
    target: UserByPath,
    session: SessionDep,
    meta: RequestMetaDep,
    change: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    if change not in USER_CHANGES:
        raise PageError(400, "Unknown change", "Please go back and choose one of the buttons.")
    try:
        users_service.update_user(
            session, target, UserUpdate(**USER_CHANGES[change]), actor=admin.id, meta=meta
        )
    except ConflictError as exc:
        return _users_page(request, admin, session, error=exc.detail, status_code=409)
    return NoticeRedirect("/admin/users", Notice.UPDATED)
