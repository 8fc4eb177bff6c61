"""Forgotten passwords: asking for a reset link, and setting a new password with it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from lead_manager.auth.passwords import InvalidResetLinkError
from lead_manager.auth.schemas import PasswordResetConfirm, PasswordResetRequest
from lead_manager.container import ServicesDep
from lead_manager.core.dependencies import RequestMetaDep, SessionDep
from lead_manager.core.rate_limit import RateLimitExceededError
from lead_manager.core.security import HashingBusyError
from lead_manager.web.dependencies import CsrfChecked
from lead_manager.web.flash import Notice, NoticeRedirect
from lead_manager.web.forms import BUSY, FormText, field_errors
from lead_manager.web.pages import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

TokenField = Annotated[str, Form(max_length=2000)]
# The reset page's address holds the token: no other site may learn it from a Referer header.
_NO_REFERRER = {"Referrer-Policy": "no-referrer"}


@router.get("/forgot-password", response_class=HTMLResponse)
def forgot_password_form(request: Request) -> HTMLResponse:
    return render(request, "forgot_password.html", email="", errors={})


@router.post("/forgot-password", response_class=HTMLResponse)
def forgot_password(
    request: Request,
    _csrf: CsrfChecked,
    session: SessionDep,
    services: ServicesDep,
    meta: RequestMetaDep,
    email: FormText = "",
) -> Response:
    try:
        data = PasswordResetRequest(email=email)
        services.passwords.request_reset(session, str(data.email), meta=meta)
    except ValidationError as exc:
        return render(
            request,
            "forgot_password.html",
            email=email,
            errors=field_errors(exc),
            status_code=422,
        )
    except RateLimitExceededError as exc:
        return render(
            request,
            "forgot_password.html",
            email=email,
            errors={},
            error=f"Too many requests. Please wait {exc.retry_after} seconds and try again.",
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    # The same answer whatever the address: the page tells nobody who has an account.
    return NoticeRedirect("/forgot-password", Notice.RESET_REQUESTED)


@router.get("/reset-password", response_class=HTMLResponse)
def reset_password_form(
    request: Request, token: Annotated[str, Query(max_length=2000)] = ""
) -> HTMLResponse:
    return render(request, "reset_password.html", token=token, errors={}, headers=_NO_REFERRER)


@router.post("/reset-password", response_class=HTMLResponse)
async def reset_password(
    request: Request,
    _csrf: CsrfChecked,
    session: SessionDep,
    services: ServicesDep,
    meta: RequestMetaDep,
    token: TokenField = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    try:
        data = PasswordResetConfirm(token=token, new_password=new_password)
        await services.passwords.confirm_reset(session, data.token, data.new_password, meta=meta)
    except ValidationError as exc:
        errors = field_errors(exc)
        if "token" in errors:
            errors = {"token": InvalidResetLinkError().detail}
        return render(
            request,
            "reset_password.html",
            token=token,
            errors=errors,
            status_code=422 if "new_password" in errors else 400,
            headers=_NO_REFERRER,
        )
    except InvalidResetLinkError as exc:
        return render(
            request,
            "reset_password.html",
            token=token,
            errors={"token": exc.detail},
            status_code=400,
            headers=_NO_REFERRER,
        )
    except HashingBusyError as exc:
        return render(
            request,
            "reset_password.html",
            token=token,
            errors={"new_password": BUSY},
            status_code=503,
            headers={**_NO_REFERRER, "Retry-After": str(exc.retry_after)},
        )
    return NoticeRedirect("/login", Notice.PASSWORD_RESET)
