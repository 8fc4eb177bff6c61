"""Webhook targets inside the network are refused: at registration (422) and again at delivery
(a name may be pointed there later), unless WEBHOOK_ALLOW_PRIVATE."""

from __future__ import annotations

import ipaddress

import pytest
from sqlalchemy import select

from lead_manager.outbox.models import OutboxMessage
from lead_manager.webhooks import addresses
from tests.conftest import Account, LiveServer
from tests.intake import submit
from tests.notifications.mailserver import run_until
from tests.webhooks.helpers import deliveries, dispatcher, register
from tests.webhooks.receiver import receiver

REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/hook",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[64:ff9b::a00:1]/hook",
    "http://0.0.0.0/hook",
    "http://100.64.0.1/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    # Other spellings of 127.0.0.1 that the resolver accepts.
    "http://2130706433/hook",
    "http://0x7f.1/hook",
    # A name that resolves to loopback.
    "http://localhost:8000/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_targets_are_refused_at_registration(admin: Account, url: str) -> None:
    response = admin.client.post("/api/v1/webhooks", json={"url": url, "events": ["lead.created"]})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "url"]
    assert "WEBHOOK_ALLOW_PRIVATE" in detail["msg"]
    assert admin.client.get("/api/v1/webhooks").json()["items"] == []


def test_public_addresses_and_unresolvable_names(admin: Account) -> None:
    public_target = {"url": "https://93.184.215.14/hooks", "events": ["lead.created"]}
    assert admin.client.post("/api/v1/webhooks", json=public_target).status_code == 201
    unknown = {"url": "https://no-such-host.invalid/hooks", "events": ["lead.created"]}
    response = admin.client.post("/api/v1/webhooks", json=unknown)
    assert response.status_code == 422
    assert "does not resolve" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "93.184.215.14"])
def test_public_addresses_are_public(address: str) -> None:
    assert addresses.is_public(ipaddress.ip_address(address))


def test_allowed_when_configured(
    admin: Account, api: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.settings, "webhook_allow_private", True)
    assert register(admin, "http://localhost:9/hook")["url"] == "http://localhost:9/hook"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_target_that_became_private_is_not_delivered_to(
    api: LiveServer, admin: Account, public, monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    # Registered while private targets were allowed; the dispatcher no longer allows them
    # (the same as a public name pointed at 127.0.0.1 after registration).
    with receiver() as inside:
        monkeypatch.setattr(api.settings, "webhook_allow_private", True)
        hook = register(admin, inside.url.replace("127.0.0.1", host), ["lead.created"])
        monkeypatch.setattr(api.settings, "webhook_allow_private", False)
        submit(public)
        worker = dispatcher(api, webhook_allow_private=False, dispatcher_max_attempts=2)
        run_until(worker, lambda: deliveries(admin, hook["id"])[0]["attempts"] == 2)
        assert worker.run_once() == 0
        assert inside.received == []
    (item,) = deliveries(admin, hook["id"])
    assert (item["status_code"], item["delivered_at"]) == (None, None)
    with api.session() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "webhook")).one()
    assert row.status == "failed" and "loopback" in (row.last_error or "")
