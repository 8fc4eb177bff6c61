from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from lead_manager.auth import service
from lead_manager.auth.dependencies import CurrentUser, credential, oauth2_scheme
from lead_manager.auth.schemas import PasswordResetConfirm, PasswordResetRequest, TokenRead
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


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(401))
def logout(
    request: Request,
    _user: CurrentUser,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
    session: SessionDep,
    services: ServicesDep,
) -> Response:
    """End this token's session: from now on it gets 401 (other sessions are not affected)."""
    services.authenticator.logout(session, credential(request, bearer))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    # No body: a plain Response documents none (the default would promise JSON).
    response_class=Response,
    responses=error_responses(400, 422, 429),
)
def request_password_reset(
    data: PasswordResetRequest, session: SessionDep, services: ServicesDep, meta: RequestMetaDep
) -> Response:
    """Email a single-use link (valid one hour) to an active account of this address. The
    answer is 202 whatever the address, so it does not tell whether an account exists."""
    services.passwords.request_reset(session, str(data.email), meta=meta)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.post(
    "/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(400, 422),
)
async def confirm_password_reset(
    data: PasswordResetConfirm, session: SessionDep, services: ServicesDep, meta: RequestMetaDep
) -> Response:
    """Set a new password with the emailed token; every earlier session of the user ends.
    A used, expired or forged token is 400."""
    await services.passwords.confirm_reset(session, data.token, data.new_password, meta=meta)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
