"""Registering webhooks over the API and running a dispatcher with both channels."""

from __future__ import annotations

from typing import Any

from lead_manager.channels import delivery_channels
from lead_manager.core.settings import Settings
from lead_manager.notifications.dispatcher import Dispatcher
from tests.conftest import Account, LiveServer

ALL_EVENTS = ["lead.created", "lead.status_changed", "lead.assigned"]


def register(admin: Account, url: str, events: list[str] | None = None) -> dict[str, Any]:
    response = admin.client.post(
        "/api/v1/webhooks", json={"url": url, "events": events or ALL_EVENTS}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def dispatcher(api: LiveServer, **overrides: Any) -> Dispatcher:
    """A dispatcher on the server's database that retries quickly and may reach 127.0.0.1."""
    values: dict[str, Any] = {
        "dispatcher_retry_base_seconds": 0.05,
        "dispatcher_retry_max_seconds": 0.1,
        "webhook_timeout_seconds": 1.0,
        "webhook_allow_private": True,
    }
    values.update(overrides)
    settings = Settings(_env_file=None, **{**api.settings.model_dump(), **values})  # type: ignore[call-arg]
    return Dispatcher(
        settings,
        api.engine,
        name="test",
        channels=delivery_channels(settings, api.services.database),
    )


def deliveries(admin: Account, webhook_id: str) -> list[dict[str, Any]]:
    response = admin.client.get(f"/api/v1/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
