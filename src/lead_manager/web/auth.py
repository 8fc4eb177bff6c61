"""Signing in and out of the pages (the session cookie holds the same token the API issues)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lead_manager.auth.dependencies import SESSION_COOKIE, OptionalUser
from lead_manager.auth.service import InvalidCredentialsError
from lead_manager.container import ServicesDep
from lead_manager.core.dependencies import RequestMetaDep, SessionDep
from lead_manager.core.rate_limit import RateLimitExceededError
from lead_manager.core.security import HashingBusyError
from lead_manager.web.dependencies import (
    CsrfChecked,
    cookie_options,
    renew_csrf_seed,
    safe_next,
    start_page_session,
)
from lead_manager.web.flash import Notice, NoticeRedirect
from lead_manager.web.forms import FormText
from lead_manager.web.pages import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    user: OptionalUser,
    next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next_path), status_code=303)
    return render(request, "login.html", next_path=safe_next(next_path), email="")


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    _csrf: CsrfChecked,
    session: SessionDep,
    services: ServicesDep,
    meta: RequestMetaDep,
    email: FormText = "",
    password: FormText = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "",
) -> Response:
    target = safe_next(next_path)
    try:
        # Awaited: the password check waits in the hashing queue without holding a thread.
        token = await services.authenticator.login(session, email, password, meta)
    except InvalidCredentialsError as exc:
        # Returned, not raised: the failed attempt's audit row must still commit.
        return render(
            request, "login.html", status_code=401, next_path=target, email=email, error=exc.detail
        )
    except RateLimitExceededError as exc:
        return render(
            request,
            "login.html",
            status_code=429,
            next_path=target,
            email=email,
            error=f"Too many failed attempts. Please wait {exc.retry_after} seconds and try again.",
            headers={"Retry-After": str(exc.retry_after)},
        )
    except HashingBusyError as exc:
        return render(
            request,
            "login.html",
            status_code=503,
            next_path=target,
            email=email,
            error="Too many people are signing in right now. Please try again in a moment.",
            headers={"Retry-After": str(exc.retry_after)},
        )
    response = RedirectResponse(target, status_code=303)
    start_page_session(request, response, token, services.settings)
    return response


@router.get("/logout", response_class=HTMLResponse)
def logout_form(request: Request, user: OptionalUser) -> Response:
    """Signing out changes state, so it is a POST; this page offers the button."""
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "logout.html", user=user)


@router.post("/logout")
def logout(
    request: Request, _csrf: CsrfChecked, session: SessionDep, services: ServicesDep
) -> Response:
    # Revoked on the server: a copy of the cookie (another tab, a stolen one) stops working too.
    services.authenticator.logout(session, request.cookies.get(SESSION_COOKIE))
    response = NoticeRedirect("/login", Notice.SIGNED_OUT)
    response.delete_cookie(SESSION_COOKIE, **cookie_options(services.settings))
    renew_csrf_seed(request)
    return response
