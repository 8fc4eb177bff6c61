"""Submitting leads through the public API, as a prospect's browser or script would."""

from __future__ import annotations

import zlib
from typing import Any

import httpx

from tests import documents


def phone_for(email: str) -> str:
    """A phone number of this address's own: leads of different addresses are not duplicates
    by phone (leads/judgement.py links leads sharing either)."""
    if email == "jane.doe@example.com":
        return "+1 (555) 010-0199"
    return f"+1 (555) 020-{zlib.crc32(email.encode()) % 10000:04d}"


def lead_fields(**overrides: Any) -> dict[str, str]:
    email = overrides.get("email") or "jane.doe@example.com"
    fields = {
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane.doe@example.com",
        "phone": phone_for(email),
        "message": "I was injured at work and would like advice.",
    }
    fields.update({key: value for key, value in overrides.items() if value is not None})
    return fields


def submit(
    client: httpx.Client,
    *,
    resume: bytes | None = None,
    filename: str = "resume.pdf",
    content_type: str = "application/pdf",
    headers: dict[str, str | bytes] | None = None,
    **overrides: Any,
) -> httpx.Response:
    body = documents.pdf() if resume is None else resume
    return client.post(
        "/api/v1/leads",
        data=lead_fields(**overrides),
        files={"resume": (filename, body, content_type)},
        headers=headers or {},
    )
