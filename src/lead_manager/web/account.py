"""A signed-in user's own account page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from lead_manager.auth.dependencies import CurrentUser
from lead_manager.core.dependencies import RequestMetaDep, SessionDep
from lead_manager.users import service as users_service
from lead_manager.users.schemas import UserSelfUpdate
from lead_manager.web.dependencies import CsrfChecked
from lead_manager.web.flash import Notice, NoticeRedirect
from lead_manager.web.pages import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/account", response_class=HTMLResponse)
def account_page(
    request: Request,
    user: CurrentUser,
) -> HTMLResponse:
    return render(request, "account.html", user=user)


@router.post("/account")
def update_account(
    _csrf: CsrfChecked,
    user: CurrentUser,
    session: SessionDep,
    meta: RequestMetaDep,
    is_available: Annotated[bool, Form()],
) -> Response:
    changes = UserSelfUpdate(is_available=is_available)
    users_service.update_user(session, user, changes, actor=user.id, meta=meta)
    return NoticeRedirect("/account", Notice.SAVED)
