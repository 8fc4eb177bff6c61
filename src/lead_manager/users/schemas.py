from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StrictBool, StringConstraints

from lead_manager.core.security import MIN_PASSWORD_LENGTH
from lead_manager.core.validation import Email, FullName
from lead_manager.users.models import Role

# zxcvbn (Dropbox's estimator, with the leaked-password lists it ships) rates how many guesses a
# password takes. Score 0-1 is under 10^6 guesses: a common leaked password or a simple variant
# of one (case, l33t, digits added), a repeat, a keyboard walk. Only the first characters are
# rated: zxcvbn's cost grows steeply with length (24: ~20 ms at worst, 48: ~0.5 s), and no
# password on such a list is longer.
_MIN_STRENGTH_SCORE = 2
_RATED_CHARACTERS = 24
TOO_COMMON = "this password is too common or too easy to guess; choose another"


def _refuse_weak_password(value: str) -> str:
    if not value.strip():
        raise ValueError("a password must not be only white space")
    # Imported on first use: its word lists take ~60 ms to load, which commands that never set
    # a password should not pay.
    from zxcvbn import zxcvbn

    if zxcvbn(value[:_RATED_CHARACTERS])["score"] < _MIN_STRENGTH_SCORE:
        raise ValueError(TOO_COMMON)
    return value


# Every place that sets a password uses this type (account creation, the CLI, password change
# and reset), so the rule is the same everywhere (CONTRACT.md, Admin).
Password = Annotated[
    str,
    StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=1024),
    AfterValidator(_refuse_weak_password),
]


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


class PasswordChange(BaseModel):
    """Your own password: the current one, and the new one (the same rule as everywhere)."""

    model_config = ConfigDict(extra="forbid")

    current_password: Annotated[str, StringConstraints(max_length=1024)]
    new_password: Password
