"""A signed-in user's own account page: availability, password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from lead_manager.auth import passwords
from lead_manager.auth.dependencies import CurrentPrincipal, CurrentUser
from lead_manager.container import ServicesDep
from lead_manager.core.dependencies import RequestMetaDep, SessionDep
from lead_manager.core.security import HashingBusyError
from lead_manager.users import service as users_service
from lead_manager.users.schemas import PasswordChange, UserSelfUpdate
from lead_manager.web.dependencies import CsrfChecked, start_page_session
from lead_manager.web.flash import Notice, NoticeRedirect
from lead_manager.web.forms import BUSY, field_errors
from lead_manager.web.pages import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PasswordField = Annotated[str, Form(max_length=1024)]


@router.get("/account", response_class=HTMLResponse)
def account_page(
    request: Request,
    user: CurrentUser,
) -> HTMLResponse:
    return render(request, "account.html", user=user, errors={})


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


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(
    request: Request,
    _csrf: CsrfChecked,
    principal: CurrentPrincipal,
    session: SessionDep,
    services: ServicesDep,
    meta: RequestMetaDep,
    current_password: PasswordField = "",
    new_password: PasswordField = "",
) -> Response:
    # CurrentPrincipal, not CurrentUser: its check does not begin the request's writing
    # transaction, which must not be open while the passwords are hashed (auth/passwords.py).
    status_code, errors, headers = 200, {}, {}
    try:
        data = PasswordChange(current_password=current_password, new_password=new_password)
        user = await services.passwords.change(
            session, principal.id, data.current_password, data.new_password, meta=meta
        )
    except ValidationError as exc:
        status_code, errors = 422, field_errors(exc)
    except passwords.WrongPasswordError as exc:
        status_code, errors = 400, {"current_password": exc.detail}
    except HashingBusyError as exc:
        status_code, errors = 503, {"current_password": BUSY}
        headers = {"Retry-After": str(exc.retry_after)}
    if errors:
        account = await run_in_threadpool(users_service.get_user, session, principal.id)
        return render(
            request,
            "account.html",
            user=account,
            errors=errors,
            status_code=status_code,
            headers=headers,
        )
    # The change ended every session of the user, this one too: this browser gets a new one.
    response = NoticeRedirect("/account", Notice.PASSWORD_CHANGED)
    start_page_session(
        request, response, services.authenticator.issue_token(user), services.settings
    )
    return response
