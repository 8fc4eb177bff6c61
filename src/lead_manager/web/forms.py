"""What the page modules share about forms: field types, people-worded errors, notices."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import Form
from pydantic import ValidationError

from lead_manager.users.models import User

FormText = Annotated[str, Form(max_length=10_000)]

# Fixed notices chosen by a query flag: no text from the URL is ever shown.
NOTICES = {
    "reached_out": "Marked as reached out.",
    "status_changed": "The status has been changed.",
    "note_added": "Your note has been added.",
    "reassigned": "The lead has been reassigned; the new assignee has been emailed.",
    "saved": "Your changes have been saved.",
    "created": "The account has been created.",
    "updated": "The account has been updated.",
    "signed_out": "You have been signed out.",
    "webhook_deleted": "The webhook has been deleted.",
    "conflict_decided": "The decision on the conflict has been recorded.",
    "party_added": "The party has been added to the register.",
    "party_deleted": "The party has been removed from the register.",
}


def notice(flag: str | None) -> str | None:
    return NOTICES.get(flag or "")


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
