"""Submitting leads through the public API, as a prospect's browser or script would."""

from __future__ import annotations

from typing import Any

import httpx

from tests import documents


def lead_fields(**overrides: Any) -> dict[str, str]:
    fields = {
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane.doe@example.com",
        "phone": "+1 (555) 010-0199",
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
