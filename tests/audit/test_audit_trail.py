from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import PASSWORD, Account, LiveServer
from tests.intake import submit


def all_events(client: httpx.Client, limit: int = 100) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = client.get("/api/v1/audit", params=params)
        assert response.status_code == 200, response.text
        assert response.headers["Cache-Control"] == "no-store"
        page = response.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_who_did_what_is_recorded(
    api: LiveServer, public: httpx.Client, attorney: Account, admin: Account
) -> None:
    ok = public.post("/api/v1/auth/token", data={"username": attorney.email, "password": PASSWORD})
    assert ok.status_code == 200
    bad = public.post("/api/v1/auth/token", data={"username": attorney.email, "password": "x" * 14})
    assert bad.status_code == 401
    lead_id = submit(public).json()["id"]
    assert (
        attorney.client.patch(
            f"/api/v1/leads/{lead_id}", json={"status": "REACHED_OUT"}
        ).status_code
        == 200
    )
    assert attorney.client.get(f"/api/v1/leads/{lead_id}/resume").status_code == 200
    created = admin.client.post(
        "/api/v1/users",
        json={
            "email": "new.lawyer@firm.example",
            "full_name": "New",
            "password": PASSWORD,
            "role": "attorney",
        },
    )
    assert created.status_code == 201
    new_id = created.json()["id"]
    assert (
        admin.client.patch(f"/api/v1/users/{new_id}", json={"is_active": False}).status_code == 200
    )

    events = all_events(admin.client)
    by_action = {(e["action"], e["actor"], e["target"]) for e in events}
    assert ("login.succeeded", str(attorney.id), str(attorney.id)) in by_action
    assert ("login.failed", None, str(attorney.id)) in by_action
    assert ("lead.status_changed", str(attorney.id), lead_id) in by_action
    assert ("lead.resume_downloaded", str(attorney.id), lead_id) in by_action
    assert ("user.created", str(admin.id), new_id) in by_action
    assert ("user.updated", str(admin.id), new_id) in by_action
    # Newest first, each with where it came from.
    assert events[0]["action"] == "user.updated"
    assert all(e["client_ip"] == "127.0.0.1" and e["request_id"] for e in events)
    # Nothing secret in the trail.
    assert PASSWORD not in str(events)


def test_audit_is_for_admins_only(public: httpx.Client, attorney: Account) -> None:
    assert public.get("/api/v1/audit").status_code == 401
    assert attorney.client.get("/api/v1/audit").status_code == 403


def test_paging_neither_skips_nor_repeats(
    public: httpx.Client, attorney: Account, admin: Account
) -> None:
    for _ in range(7):
        public.post("/api/v1/auth/token", data={"username": attorney.email, "password": "y" * 14})
    everything = all_events(admin.client, limit=100)
    paged = all_events(admin.client, limit=2)
    assert len(everything) == 7
    assert [e["id"] for e in paged] == [e["id"] for e in everything]
    assert admin.client.get("/api/v1/audit", params={"cursor": "not-a-cursor"}).status_code == 422
