from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from lead_manager.auth import service
from lead_manager.auth.schemas import TokenRead
from lead_manager.core.dependencies import RequestMetaDep, SessionDep, SettingsDep
from lead_manager.core.openapi import error_responses

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

INVALID_CREDENTIALS = "Incorrect email or password."


@router.post(
    "/token",
    response_model=TokenRead,
    responses=error_responses(400, 401, 422, 429),
)
def issue_access_token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    meta: RequestMetaDep,
) -> TokenRead | JSONResponse:
    """OAuth2 password flow: `username` is the email. Unknown email and wrong password look alike."""
    try:
        user = service.authenticate(
            session,
            form.username,
            form.password,
            read_factory=request.app.state.session_factory,
            throttle=request.app.state.login_throttle,
            meta=meta,
        )
    except service.InvalidCredentialsError:
        # Returned, not raised: the failed attempt's audit row must still commit.
        return JSONResponse(
            {"detail": INVALID_CREDENTIALS},
            status_code=status.HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = service.issue_token(user, request.app.state.signing_key, settings.access_token_expire_minutes)
    return TokenRead(access_token=token.token, expires_in=token.expires_in)
