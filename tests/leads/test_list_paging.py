"""Keyset paging of the lead list: newest first, ties broken by id, nothing skipped or repeated."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy import update

from lead_manager.leads.models import Lead
from tests.conftest import Account, LiveServer
from tests.intake import submit


def _all_pages(client: httpx.Client, **params: str | int) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/v1/leads", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_pages_cover_every_lead_once_across_equal_timestamps(
    api: LiveServer, attorney: Account, public: httpx.Client
) -> None:
    ids = [submit(public, email=f"p{n}@example.com").json()["id"] for n in range(7)]
    # Five leads share one creation instant: only the id orders them, and paging must not
    # lose or repeat any of them at a page boundary.
    same_instant = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    with api.session() as session:
        session.execute(
            update(Lead)
            .where(Lead.id.in_([uuid.UUID(i) for i in ids[1:6]]))
            .values(created_at=same_instant)
        )
        session.commit()

    items = _all_pages(attorney.client, limit=2)

    assert sorted(item["id"] for item in items) == sorted(ids)
    keys = [(item["created_at"], item["id"]) for item in items]
    assert keys == sorted(keys, reverse=True)


def test_paging_with_a_status_filter_stays_within_the_status(
    api: LiveServer, attorney: Account, public: httpx.Client
) -> None:
    ids = [submit(public, email=f"s{n}@example.com").json()["id"] for n in range(5)]
    reached = attorney.client.patch(f"/api/v1/leads/{ids[2]}", json={"status": "REACHED_OUT"})
    assert reached.status_code == 200

    pending = _all_pages(attorney.client, status="PENDING", limit=2)

    assert [item["id"] for item in pending] == [i for i in reversed(ids) if i != ids[2]]
