"""Shared by the tests of working a lead: leads to work on, what the outbox and timeline hold."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from lead_manager.outbox.models import OutboxMessage
from tests.conftest import Account, LiveServer, make_settings, start_server
from tests.intake import submit


def new_lead(client: httpx.Client, **fields: Any) -> str:
    response = submit(client, **fields)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def emails_about(api: LiveServer, lead_id: str) -> list[tuple[str, str | None]]:
    """(kind, recipient user id) of every email queued about a lead, in the order queued."""
    with api.session() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.lead_id == uuid.UUID(lead_id))
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        ).all()
        return [(row.kind, row.payload.get("user_id")) for row in rows]


def timeline(account: Account, lead_id: str) -> list[dict[str, Any]]:
    response = account.client.get(f"/api/v1/leads/{lead_id}/timeline")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def of_type(entries: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [entry for entry in entries if entry["type"] == kind]


def sibling_server(live_server: LiveServer, directory: Path, **overrides: Any) -> LiveServer:
    """Another server on the shared server's database, with other settings (a short SLA...)."""
    return start_server(make_settings(directory, live_server.settings.database_url, **overrides))
