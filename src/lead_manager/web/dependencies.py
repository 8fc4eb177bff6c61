"""Page sessions: the cookie that carries the access token, and the CSRF check of form posts.

Who is signed in comes from `auth.dependencies` (the same `CurrentUser` as the API: page routes
read the token from the session cookie).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Form, Request, Response

from lead_manager.auth.dependencies import SESSION_COOKIE
from lead_manager.container import ServicesDep
from lead_manager.core.security import AccessToken
from lead_manager.core.settings import Settings
from lead_manager.web import csrf

CSRF_COOKIE = "lm_csrf"
DEFAULT_NEXT = "/leads"


class PageError(Exception):
    """An error shown as an HTML page with this status."""

    def __init__(self, status_code: int, title: str, message: str) -> None:
        super().__init__(title)
        self.status_code = status_code
        self.title = title
        self.message = message


FORBIDDEN = PageError(403, "Access denied", "This page is for administrators only.")
CSRF_FAILED = PageError(
    403,
    "This form has expired",
    "For your security the form could not be accepted. Please go back, reload the page and "
    "try again.",
)


def cookie_options(settings: Settings) -> dict[str, Any]:
    """HttpOnly and SameSite=Lax always; Secure everywhere but development over plain HTTP."""
    return {"httponly": True, "samesite": "lax", "secure": not settings.is_development, "path": "/"}


def safe_next(value: str | None) -> str:
    """A local path to return to after login; anything else (another site, a scheme) is ignored."""
    if not value or len(value) > 2000 or not value.startswith("/"):
        return DEFAULT_NEXT
    if value.startswith(("//", "/\\")):  # protocol-relative: another host
        return DEFAULT_NEXT
    if any(ord(ch) < 0x20 or ch in "\\\x7f" for ch in value):
        return DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return DEFAULT_NEXT
    return value


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def csrf_seed(request: Request) -> str:
    """The visitor's CSRF seed; a new one is set as a cookie on the response (see pages.py)."""
    pending: str | None = getattr(request.state, "new_csrf_seed", None)
    if pending:
        return pending
    seed = request.cookies.get(CSRF_COOKIE)
    if not seed or len(seed) > 100:
        seed = csrf.new_seed()
        request.state.new_csrf_seed = seed
    return seed


def renew_csrf_seed(request: Request) -> None:
    """At login and logout: tokens from before no longer work."""
    request.state.new_csrf_seed = csrf.new_seed()


def start_page_session(
    request: Request, response: Response, token: AccessToken, settings: Settings
) -> None:
    """Sign the browser in with `token` (at login, and after the user changed their password,
    which ended the session they had)."""
    response.set_cookie(
        SESSION_COOKIE, token.token, max_age=token.expires_in, **cookie_options(settings)
    )
    renew_csrf_seed(request)


def csrf_token(request: Request, signing_key: str) -> str:
    return csrf.issue_token(signing_key, csrf_seed(request), session_token(request))


async def verify_csrf(
    request: Request,
    services: ServicesDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> None:
    seed = request.cookies.get(CSRF_COOKIE)
    if not csrf.is_valid(services.signing_key, seed, session_token(request), csrf_token):
        raise CSRF_FAILED


# Listed before the form's own fields, so a forged post is refused before anything else runs.
CsrfChecked = Annotated[None, Depends(verify_csrf)]


async def verify_form_csrf(
    request: Request,
    services: ServicesDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> None:
    """The public form's check: as `verify_csrf`; and, when the form may be embedded
    (FORM_EMBED_ORIGINS), a post without our CSRF cookie that the browser says comes from our
    own page (`Sec-Fetch-Site: same-origin`). Inside the frame of another site the browser
    withholds our SameSite cookies, so the token cannot be checked there; a forged post from
    another site is marked cross-site and still refused."""
    seed = request.cookies.get(CSRF_COOKIE)
    if csrf.is_valid(services.signing_key, seed, session_token(request), csrf_token):
        return
    embedded = services.settings.form_embed_origins and seed is None
    if embedded and request.headers.get("sec-fetch-site") == "same-origin":
        return
    raise CSRF_FAILED


FormCsrfChecked = Annotated[None, Depends(verify_form_csrf)]
