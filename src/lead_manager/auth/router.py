from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from lead_manager.auth import service
from lead_manager.auth.schemas import TokenRead
from lead_manager.container import ServicesDep
from lead_manager.core.dependencies import RequestMetaDep, SessionDep
from lead_manager.core.openapi import error_responses

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post(
    "/token",
    response_model=TokenRead,
    responses=error_responses(400, 401, 422, 429, 503),
)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    services: ServicesDep,
    meta: RequestMetaDep,
) -> TokenRead | JSONResponse:
    """OAuth2 password flow: `username` is the email. Unknown email and wrong password look alike.

    `async`: the password check waits in the hashing queue without holding a server thread.
    """
    try:
        token = await services.authenticator.login(session, form.username, form.password, meta)
    except service.InvalidCredentialsError as exc:
        # Returned, not raised: the failed attempt's audit row must still commit.
        return JSONResponse(
            {"detail": exc.detail},
            status_code=status.HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return TokenRead(access_token=token.token, expires_in=token.expires_in)
