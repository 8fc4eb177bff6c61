"""What the page modules share about forms: field types, people-worded errors."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import Form
from pydantic import ValidationError

from lead_manager.users.models import User

FormText = Annotated[str, Form(max_length=10_000)]


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's messages (as the API returns them) keyed by field, worded for people."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        if error["type"] == "missing" or error.get("input") == "":
            message = "This field is required."
        elif error["type"] == "string_pattern_mismatch" and field == "phone":
            message = "Use digits, spaces and + ( ) - . / only."
        else:
            message = error["msg"].removeprefix("Value error, ")
            message = message[:1].upper() + message[1:]
        errors.setdefault(field, message)
    return errors


def display_names(users: Sequence[User]) -> dict[uuid.UUID, str]:
    return {user.id: user.full_name or user.email for user in users}
