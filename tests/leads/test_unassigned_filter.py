"""Leads assigned to no one are visible as such: `assigned_to=none` in the API (an extension of
the contract's user id or `me`), the "Unassigned" filter on /leads, the export."""

from __future__ import annotations

import csv
import io

from lead_manager.users.models import Role
from tests.conftest import Account, LiveServer, add_account
from tests.intake import submit
from tests.web.pages import web_login


def two_unassigned_two_assigned(api: LiveServer, public) -> tuple[set[str], set[str]]:
    """With nobody available the first two stay unassigned; then an attorney takes the rest."""
    add_account(api, Role.ATTORNEY, available=False)
    unassigned = {submit(public, email=f"nobody{i}@example.com").json()["id"] for i in range(2)}
    add_account(api, Role.ATTORNEY, full_name="Carla Counsel")
    assigned = {submit(public, email=f"taken{i}@example.com").json()["id"] for i in range(2)}
    return unassigned, assigned


def test_api_lists_only_unassigned_leads_following_the_cursor(
    api: LiveServer, admin: Account, public
) -> None:
    unassigned, assigned = two_unassigned_two_assigned(api, public)
    seen: list[dict] = []
    params: dict[str, str | int] = {"assigned_to": "none", "limit": 1}
    while True:
        body = admin.client.get("/api/v1/leads", params=params).json()
        seen.extend(body["items"])
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert {item["id"] for item in seen} == unassigned
    assert all(item["assigned_to"] is None for item in seen)
    everyone = admin.client.get("/api/v1/leads").json()["items"]
    assert {item["id"] for item in everyone} == unassigned | assigned
    # With another filter: still only unassigned ones.
    pending = admin.client.get(
        "/api/v1/leads", params={"assigned_to": "none", "status": "PENDING", "q": "nobody1"}
    ).json()["items"]
    assert [item["email"] for item in pending] == ["nobody1@example.com"]


def test_export_of_unassigned_leads(api: LiveServer, admin: Account, public) -> None:
    unassigned, _ = two_unassigned_two_assigned(api, public)
    response = admin.client.get("/api/v1/leads/export.csv", params={"assigned_to": "none"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert {row["id"] for row in rows} == unassigned


def test_inbox_filter_unassigned(api: LiveServer, admin: Account, public) -> None:
    two_unassigned_two_assigned(api, public)
    client = web_login(api, admin.email)
    everything = client.get("/leads").text
    assert 'id="unassigned" name="assigned_to" type="checkbox" value="none">' in everything
    assert "taken0@example.com" in everything and "nobody0@example.com" in everything
    page = client.get("/leads", params={"assigned_to": "none"}).text
    assert 'value="none" checked' in page
    assert "nobody0@example.com" in page and "nobody1@example.com" in page
    assert "taken0@example.com" not in page and "Carla Counsel" not in page
    assert page.count('<span class="badge badge-unassigned">Unassigned</span>') == 2
    # The export link keeps the filter.
    assert "/leads/export.csv?assigned_to=none" in page
