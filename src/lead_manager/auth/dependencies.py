from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

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


def get_current_user(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    if not token:
        raise _UNAUTHENTICATED
    try:
        user_id = decode_access_token(token, request.app.state.signing_key)
    except InvalidTokenError:
        raise _UNAUTHENTICATED from None
    user = users.get(session, user_id)
    # A deactivated user's tokens stop working at once: the account is checked on every request.
    if user is None or not user.is_active:
        raise _UNAUTHENTICATED
    request.state.user_id = user.id
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_admin(user: CurrentUser) -> User:
    if user.role != Role.ADMIN.value:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Administrators only.")
    return user


AdminUser = Annotated[User, Depends(require_admin)]
