from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from lead_manager.core.validation import Email
from lead_manager.users.schemas import Password


class TokenRead(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class PasswordResetRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"email": "jordan.lee@firm.example"}]}
    )

    email: Email


class PasswordResetConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The token from the emailed link (`/reset-password?token=…`).
    token: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    new_password: Password
