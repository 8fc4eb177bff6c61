from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from lead_manager.core.dependencies import SessionDep
from lead_manager.users import service
from lead_manager.users.models import User


def user_or_404(user_id: uuid.UUID, session: SessionDep) -> User:
    return service.get_user(session, user_id)


UserByPath = Annotated[User, Depends(user_or_404)]
