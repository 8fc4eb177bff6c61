"""What the page modules share about forms: field types, people-worded errors."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import Form

from lead_manager.core.validation_messages import field_messages
from lead_manager.users.models import User

FormText = Annotated[str, Form(max_length=10_000)]


# The messages keyed by field, worded for people (as the command line words them).
field_errors = field_messages


# A page's answer when the password hashing queue is full (HashingBusyError, 503).
BUSY = "Too many passwords are being checked right now. Please try again in a moment."


def display_names(users: Sequence[User]) -> dict[uuid.UUID, str]:
    return {user.id: user.full_name or user.email for user in users}
