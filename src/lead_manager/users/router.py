from __future__ import annotations

from fastapi import APIRouter, Response, status

from lead_manager.auth.dependencies import AdminUser, CurrentPrincipal, CurrentUser
from lead_manager.container import ServicesDep
from lead_manager.core.dependencies import RequestMetaDep, SessionDep
from lead_manager.core.openapi import LOCATION_HEADER, error_responses
from lead_manager.users import service
from lead_manager.users.dependencies import UserByPath
from lead_manager.users.schemas import (
    PasswordChange,
    UserCreate,
    UserRead,
    UserSelfUpdate,
    UserUpdate,
)

router = APIRouter(prefix="/api/v1/users", tags=["users"])


@router.get("/me", response_model=UserRead, responses=error_responses(401))
def get_me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.patch("/me", response_model=UserRead, responses=error_responses(400, 401, 422))
def update_me(
    changes: UserSelfUpdate, user: CurrentUser, session: SessionDep, meta: RequestMetaDep
) -> UserRead:
    """Change your own availability for new leads, or your display name."""
    updated = service.update_user(session, user, changes, actor=user.id, meta=meta)
    return UserRead.model_validate(updated)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(400, 401, 422),
)
async def change_password(
    data: PasswordChange,
    principal: CurrentPrincipal,
    session: SessionDep,
    services: ServicesDep,
    meta: RequestMetaDep,
) -> Response:
    """Change your own password. Every earlier session of yours ends, this token's too: log in
    again with the new password. A wrong current password is 400, a weak new one 422."""
    # CurrentPrincipal, not CurrentUser: its check does not begin the request's writing
    # transaction, which must not be open while the passwords are hashed (auth/passwords.py).
    await services.passwords.change(
        session, principal.id, data.current_password, data.new_password, meta=meta
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        201: {"description": "The new account", "headers": LOCATION_HEADER},
        **error_responses(400, 401, 403, 409, 422),
    },
)
def create_user(
    data: UserCreate,
    admin: AdminUser,
    session: SessionDep,
    meta: RequestMetaDep,
    response: Response,
) -> UserRead:
    user = service.create_user(session, data, actor=admin.id, meta=meta)
    response.headers["Location"] = f"/api/v1/users/{user.id}"
    return UserRead.model_validate(user)


@router.get("", response_model=list[UserRead], responses=error_responses(401, 403))
def list_users(_admin: AdminUser, session: SessionDep) -> list[UserRead]:
    return [UserRead.model_validate(user) for user in service.list_users(session)]


@router.patch(
    "/{user_id}",
    response_model=UserRead,
    responses=error_responses(400, 401, 403, 404, 409, 422),
)
def update_user(
    changes: UserUpdate,
    admin: AdminUser,
    user: UserByPath,
    session: SessionDep,
    meta: RequestMetaDep,
) -> UserRead:
    updated = service.update_user(session, user, changes, actor=admin.id, meta=meta)
    return UserRead.model_validate(updated)
