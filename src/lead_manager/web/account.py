"""A signed-in user's own account page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lead_manager.auth.dependencies import CurrentUser
from lead_manager.core.dependencies import RequestMetaDep, SessionDep
from lead_manager.users import service as users_service
from lead_manager.users.schemas import UserSelfUpdate
from lead_manager.web.dependencies import CsrfChecked
from lead_manager.web.forms import notice
from lead_manager.web.pages import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/account", response_class=HTMLResponse)
def account_page(
    request: Request,
    user: CurrentUser,
    notice_flag: Annotated[str | None, Query(alias="notice", max_length=40)] = None,
) -> HTMLResponse:
    return render(request, "account.html", user=user, notice=notice(notice_flag))


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
    return RedirectResponse("/account?notice=saved", status_code=303)
