"""Two prospects for the privacy tests, and where to look for what is left of them."""

from __future__ import annotations

import email
import email.policy
import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import JSON, Engine, String, select, update

from lead_manager.core.db import utcnow
from lead_manager.leads.models import Lead, LeadStatusChange
from lead_manager.models import Base
from tests.intake import submit

JANE = {
    "first_name": "Jane",
    "last_name": "Quillfeather",
    "email": "jane.quillfeather@example.com",
    "phone": "+1 (555) 010-0199",
    "message": "Jane Quillfeather here: I was injured at work and would like advice.",
}
JOHN = {
    "first_name": "John",
    "last_name": "Roe",
    "email": "john.roe@example.net",
    "phone": "+44 20 7946 0958",
    "message": "A contract dispute with my landlord.",
}
# What must not remain of Jane anywhere after her erasure (case ignored): her surname, the local
# part of her address, her phone number, and a marker inside her resume.
JANE_RESUME_MARKER = "JQ-RESUME-7e1d5"
JANE_TRACES = ("quillfeather", "010-0199", JANE_RESUME_MARKER)
JOHN_RESUME_MARKER = "JR-RESUME-93c2a"
JOHN_TRACES = ("john.roe", "7946 0958", JOHN_RESUME_MARKER)


def resume_of(person: dict[str, str], marker: str) -> bytes:
    return f"Curriculum vitae of {person['first_name']} {person['last_name']}\n{marker}\n".encode()


def submit_person(
    client: httpx.Client,
    person: dict[str, str],
    marker: str,
    *,
    email: str | None = None,
    headers: dict[str, str | bytes] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A lead of `person` through the public API, with a text resume carrying `marker`."""
    fields = {**person, **extra}
    if email is not None:
        fields["email"] = email
    response = submit(
        client,
        resume=resume_of(person, marker),
        filename=f"{person['first_name']} {person['last_name']} CV.txt",
        content_type="text/plain",
        headers=headers,
        **fields,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def traces_in_database(engine: Engine, needles: tuple[str, ...]) -> list[str]:
    """`table.column` of every stored value (text and JSON columns of every table) that contains
    one of `needles`, ignoring case."""
    found = []
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | JSON)]
            if not columns:
                continue
            for row in connection.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = _text(value).lower()
                    found.extend(
                        f"{table.name}.{column.name}: {needle}"
                        for needle in needles
                        if needle.lower() in text
                    )
    return found


def traces_in_files(directory: Path, needles: tuple[str, ...]) -> list[str]:
    """Files under `directory` whose name or content contains one of `needles`."""
    found = []
    for path in directory.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        text = path.name + "\n" + data.decode("utf-8", "replace")
        if path.suffix == ".eml":
            # Parts may be quoted-printable or base64: their decoded text too.
            message = email.message_from_bytes(data, policy=email.policy.default)
            text += "".join(
                str(part.get_content())
                for part in message.walk()
                if part.get_content_maintype() == "text"
            )
        text = text.lower()
        found.extend(f"{path.name}: {needle}" for needle in needles if needle.lower() in text)
    return found


def age_lead(engine: Engine, lead_id: str | uuid.UUID, days: float) -> None:
    """Make a lead look untouched for `days`: its dates and its history entries move back."""
    then = utcnow() - timedelta(days=days)
    lead_uuid = uuid.UUID(str(lead_id))
    with engine.begin() as connection:
        connection.execute(
            update(Lead)
            .where(Lead.id == lead_uuid)
            .values(created_at=then - timedelta(hours=1), updated_at=then)
        )
        connection.execute(
            update(LeadStatusChange)
            .where(LeadStatusChange.lead_id == lead_uuid)
            .values(changed_at=then)
        )
