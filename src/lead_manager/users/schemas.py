from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StrictBool, StringConstraints

from lead_manager.core.security import MIN_PASSWORD_LENGTH
from lead_manager.core.validation import Email, FullName
from lead_manager.users.models import Role

Password = Annotated[str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=1024)]


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    is_active: bool
    is_available: bool


# Request bodies take JSON booleans only (no 0/1 or "yes"): what the schema documents.


class UserCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "email": "jordan.lee@firm.example",
                    "full_name": "Jordan Lee",
                    "password": "a long passphrase of your own",
                    "role": "attorney",
                }
            ]
        },
    )

    email: Email
    full_name: FullName = ""
    password: Password
    role: Role = Role.ATTORNEY
    is_available: StrictBool = True


class UserUpdate(BaseModel):
    """What an admin may change about any account."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"role": "admin"}, {"is_active": False}]}
    )

    role: Role | None = None
    is_active: StrictBool | None = None
    is_available: StrictBool | None = None
    full_name: FullName | None = None


class UserSelfUpdate(BaseModel):
    """What a user may change about their own account (not role, not active)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"is_available": False}]}
    )

    is_available: StrictBool | None = None
    full_name: FullName | None = None
