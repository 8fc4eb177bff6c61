from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from lead_manager.core.dependencies import SessionDep
from lead_manager.core.security import InvalidTokenError, decode_access_token
from lead_manager.users import repository as users
from lead_manager.users.models import Role, User

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

_UNAUTHENTICATED = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail="Not authenticated",
    headers={"WWW-Authenticate": "Bearer"},
)


def user_for_token(session: Session, token: str | None, signing_key: str) -> User | None:
    """The active user a token belongs to, else None; the API and the web session share it."""
    if not token:
        return None
    try:
        user_id = decode_access_token(token, signing_key)
    except InvalidTokenError:
        return None
    user = users.get(session, user_id)
    # A deactivated user's tokens stop working at once: the account is checked on every request.
    if user is None or not user.is_active:
        return None
    return user


def get_current_user(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    user = user_for_token(session, token, request.app.state.signing_key)
    if user is None:
        raise _UNAUTHENTICATED
    request.state.user_id = user.id
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def require_admin(user: CurrentUser) -> User:
    if user.role != Role.ADMIN.value:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Administrators only.")
    return user


AdminUser = Annotated[User, Depends(require_admin)]
