"""Who is asking: one way for the API (bearer token) and the pages (the same token in a cookie).

Routes authenticate with the credential of their kind: API routes read `Authorization: Bearer`,
page routes (whose route class calls `authenticate_with_session_cookie`) read the session cookie.
A cookie never authenticates an API call, so the API needs no CSRF defence.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from starlette.types import Scope

from lead_manager.auth.service import Principal
from lead_manager.container import ServicesDep
from lead_manager.core.dependencies import DatabaseDep, SessionDep
from lead_manager.users.models import Role, User

SESSION_COOKIE = "lm_session"
_COOKIE_SESSION = "lead_manager.cookie_session"

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

_UNAUTHENTICATED = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail="Not authenticated",
    headers={"WWW-Authenticate": "Bearer"},
)
_FORBIDDEN = HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Administrators only.")


def authenticate_with_session_cookie(scope: Scope) -> None:
    """Mark a request as a page request: its user comes from the session cookie."""
    scope[_COOKIE_SESSION] = True


def credential(request: Request, bearer: str | None) -> str | None:
    if request.scope.get(_COOKIE_SESSION):
        return request.cookies.get(SESSION_COOKIE)
    return bearer


def get_optional_user(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
) -> User | None:
    user = services.authenticator.user_for_token(session, credential(request, bearer))
    # Error pages show the signed-in user's navigation.
    request.state.user = user
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


async def get_current_principal(
    request: Request,
    database: DatabaseDep,
    services: ServicesDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    """CurrentUser's check for a read served on the event loop (the lead list): the same token
    rules, one statement on the loop's own connection, no thread hop, no ORM object."""
    token = credential(request, bearer)
    principal = database.loop_read(partial(services.authenticator.principal_for_token, token=token))
    if principal is None:
        raise _UNAUTHENTICATED
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_current_principal)]


async def get_current_user(user: OptionalUser) -> User:
    if user is None:
        raise _UNAUTHENTICATED
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def require_admin(user: CurrentUser) -> User:
    if user.role != Role.ADMIN.value:
        raise _FORBIDDEN
    return user


AdminUser = Annotated[User, Depends(require_admin)]
