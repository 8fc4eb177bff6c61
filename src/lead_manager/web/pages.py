"""Rendering pages: the Jinja2 environment (autoescaping), shared context, and the route class
that turns errors into HTML pages and adds the headers every page carries."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException

from lead_manager.auth.dependencies import authenticate_with_session_cookie
from lead_manager.container import services_of
from lead_manager.core.errors import DomainError
from lead_manager.core.rate_limit import RateLimitExceededError
from lead_manager.users.models import User
from lead_manager.web.dependencies import (
    CSRF_COOKIE,
    DEFAULT_NEXT,
    FORBIDDEN,
    PageError,
    cookie_options,
    csrf_token,
    safe_next,
)
from lead_manager.web.flash import FLASH_COOKIE, FLASH_MAX_AGE, NoticeRedirect, cookie_value
from lead_manager.web.flash import read as read_flash

log = structlog.get_logger(__name__)


def _content_security_policy(frame_ancestors: str) -> str:
    # No inline script or style anywhere: the pages load /static/site.css and /static/form.js
    # only (the dashboard's charts are inline SVG styled by classes from site.css).
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; form-action 'self'; "
        f"frame-ancestors {frame_ancestors}; base-uri 'none'"
    )


CONTENT_SECURITY_POLICY = _content_security_policy("'none'")


def form_page_policy(embed_origins: Sequence[str]) -> str:
    """The public form's pages: framed by FORM_EMBED_ORIGINS only (by nobody when empty)."""
    return (
        _content_security_policy(" ".join(embed_origins))
        if embed_origins
        else CONTENT_SECURITY_POLICY
    )


CSRF_COOKIE_MAX_AGE = 7 * 24 * 3600
STATIC_DIRECTORY = Path(__file__).parent / "static"


def _when(value: datetime | None) -> str:
    return value.strftime("%-d %b %Y, %H:%M UTC") if value else ""


def _file_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def _percent_encoded(value: str) -> str:
    """User text for a `mailto:` or `tel:` link: everything but letters, digits, `@` and `+`
    percent-encoded, so `?`, `&`, `=`, `#` and `%` in an address cannot add a Bcc, a body or
    any other parameter (jinja's `urlencode` would also encode the `@`)."""
    return quote(value, safe="@+")


def _minutes(value: float | None) -> str:
    """A response time for people: "45 min", "2 h 5 min", "3 d 4 h"; a dash when none."""
    if value is None:
        return "—"
    if value < 60:
        return f"{value:.0f} min" if value >= 10 else f"{value:.1f} min"
    hours, minutes = divmod(round(value), 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("lead_manager.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["file_size"] = _file_size
    env.filters["percent_encoded"] = _percent_encoded
    env.filters["minutes"] = _minutes
    return env


templates = Jinja2Templates(env=_environment())


def too_large_page(firm_name: str, max_resume_bytes: int) -> bytes:
    """The page for a form post over the body cap, rendered once at start-up.

    The cap answers before any page code runs (the body is never read), so this page cannot be
    rendered per request; it is the error page as a visitor who is not signed in sees it.
    """
    return (
        templates.env.get_template("error.html")
        .render(
            firm_name=firm_name,
            user=None,
            is_admin=False,
            csrf_token="",
            path="/",
            code=413,
            title="That file is too large",
            message=(
                f"Resumes can be up to {_file_size(max_resume_bytes)}. Please choose a smaller "
                "file and send the form again."
            ),
        )
        .encode()
    )


def render(
    request: Request,
    template: str,
    *,
    user: User | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    services = services_of(request)
    has_flash = FLASH_COOKIE in request.cookies
    base = {
        "firm_name": services.settings.firm_name,
        "firm_phone": services.settings.firm_phone,
        "firm_address": services.settings.firm_address,
        "user": user,
        "is_admin": user is not None and user.role == "admin",
        "csrf_token": csrf_token(request, services.signing_key),
        "path": request.url.path,
        # The one-time notice of the action that led here (see flash.py); cleared below.
        "notice": read_flash(services.signing_key, request) if has_flash else None,
    }
    response = templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code, headers=headers
    )
    if has_flash:
        response.delete_cookie(FLASH_COOKIE, **cookie_options(services.settings))
    return response


def _error_page(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    # The signed-in user (if the session was checked before the error) keeps the navigation.
    user: User | None = getattr(request.state, "user", None)
    return render(
        request,
        "error.html",
        user=user,
        status_code=status_code,
        code=status_code,
        title=title,
        message=message,
    )


def _page_for_error(request: Request, exc: Exception) -> Response:
    """The page a visitor sees for an error the API would answer in JSON; others go on up."""
    if isinstance(exc, PageError):
        return _error_page(request, exc.status_code, exc.title, exc.message)
    if isinstance(exc, RateLimitExceededError):
        response = _error_page(
            request,
            429,
            "Too many requests",
            f"Please wait {exc.retry_after} seconds and try again.",
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if not isinstance(exc, RequestValidationError | DomainError | HTTPException):
        raise exc
    status_code = getattr(exc, "status_code", 400)
    if status_code == 401:
        return _login_redirect(request)
    if status_code == 403:
        return _error_page(request, 403, FORBIDDEN.title, FORBIDDEN.message)
    if status_code == 404 or (isinstance(exc, RequestValidationError) and request.method == "GET"):
        return _error_page(
            request,
            404,
            "Page not found",
            "The page you asked for does not exist or is no longer available.",
        )
    log.info("page request refused", error=type(exc).__name__, status=status_code)
    return _error_page(
        request,
        status_code if status_code >= 400 else 400,
        "Something was not right",
        "The request could not be completed. Please go back and try again.",
    )


def _login_redirect(request: Request) -> RedirectResponse:
    # After a form post the page to return to is the one the form was on, not the POST URL.
    if request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        target = DEFAULT_NEXT
    return RedirectResponse(f"/login?next={quote(safe_next(target))}", status_code=303)


class PageRoute(APIRoute):
    """Every web route: the user comes from the session cookie, errors become pages, and each
    response gets the page headers."""

    def content_security_policy(self, request: Request) -> str:
        return CONTENT_SECURITY_POLICY

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            authenticate_with_session_cookie(request.scope)
            try:
                response = await handler(request)
            except Exception as exc:
                response = _page_for_error(request, exc)
            services = services_of(request)
            new_seed: str | None = getattr(request.state, "new_csrf_seed", None)
            if new_seed:
                response.set_cookie(
                    CSRF_COOKIE,
                    new_seed,
                    max_age=CSRF_COOKIE_MAX_AGE,
                    **cookie_options(services.settings),
                )
            if isinstance(response, NoticeRedirect):
                response.set_cookie(
                    FLASH_COOKIE,
                    cookie_value(services.signing_key, response.notice),
                    max_age=FLASH_MAX_AGE,
                    **cookie_options(services.settings),
                )
            response.headers.setdefault(
                "Content-Security-Policy", self.content_security_policy(request)
            )
            # Pages carry lead data and per-visitor CSRF tokens: never cached anywhere.
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return page_handler


class EmbeddablePageRoute(PageRoute):
    """The public form's pages (the form, its error pages, the thank-you page): the sites of
    FORM_EMBED_ORIGINS may show them in a frame. Staff pages never use this."""

    def content_security_policy(self, request: Request) -> str:
        return form_page_policy(services_of(request).settings.form_embed_origins)
