"""Round-robin assignment of new leads over available, active attorneys."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from lead_manager.leads.models import Lead
from lead_manager.outbox.models import MessageKind, OutboxMessage
from lead_manager.users.models import Role
from tests.conftest import LiveServer, add_account
from tests.intake import submit


def assignments(api: LiveServer) -> Counter[object]:
    with api.session() as session:
        return Counter(session.scalars(select(Lead.assigned_to)))


def submit_many(api: LiveServer, count: int, threads: int = 1) -> None:
    with api.client() as client, ThreadPoolExecutor(threads) as pool:
        statuses = pool.map(
            lambda i: submit(client, email=f"prospect{i}@example.com").status_code, range(count)
        )
        assert list(statuses) == [201] * count


def test_thirty_leads_over_three_attorneys(api: LiveServer) -> None:
    attorneys = [add_account(api, Role.ATTORNEY) for _ in range(3)]
    away = add_account(api, Role.ATTORNEY, available=False)
    gone = add_account(api, Role.ATTORNEY, active=False)
    admin = add_account(api, Role.ADMIN, available=True)  # admins are never assigned
    submit_many(api, 30)
    counts = assignments(api)
    assert counts == {a.id: 10 for a in attorneys}
    for other in (away, gone, admin):
        assert counts[other.id] == 0


def test_concurrent_submissions_stay_balanced(api: LiveServer) -> None:
    attorneys = [add_account(api, Role.ATTORNEY) for _ in range(3)]
    submit_many(api, 30, threads=10)
    counts = assignments(api)
    assert sum(counts.values()) == 30 and set(counts) == {a.id for a in attorneys}
    assert max(counts.values()) - min(counts.values()) <= 1, counts


def test_availability_toggle_applies_to_the_next_lead(api: LiveServer) -> None:
    first, second = add_account(api, Role.ATTORNEY), add_account(api, Role.ATTORNEY)
    response = first.client.patch("/api/v1/users/me", json={"is_available": False})
    assert response.status_code == 200 and response.json()["is_available"] is False
    submit_many(api, 3)
    assert assignments(api) == {second.id: 3}

    response = first.client.patch("/api/v1/users/me", json={"is_available": True})
    assert response.status_code == 200
    with api.client() as client:
        lead = submit(client).json()
    # The one who waited longest (never assigned) gets the next lead.
    with api.session() as session:
        assert session.get(Lead, uuid.UUID(lead["id"])).assigned_to == first.id  # type: ignore[union-attr]
        notified = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.ATTORNEY_NOTIFICATION)
        ).all()
    assert [m.payload["user_id"] for m in notified if m.payload["lead_id"] == lead["id"]] == [
        str(first.id)
    ]


def test_nobody_available_leaves_the_lead_unassigned_and_alerts_admins(api: LiveServer) -> None:
    add_account(api, Role.ATTORNEY, available=False)
    admins = [add_account(api, Role.ADMIN) for _ in range(2)]
    add_account(api, Role.ADMIN, active=False)
    with api.client() as client:
        lead_id = submit(client).json()["id"]
    with api.session() as session:
        assert session.get(Lead, uuid.UUID(lead_id)).assigned_to is None  # type: ignore[union-attr]
        kinds = Counter(
            (m.kind, m.payload.get("user_id")) for m in session.scalars(select(OutboxMessage))
        )
    assert kinds == {
        (MessageKind.LEAD_ACKNOWLEDGEMENT, None): 1,
        **{(MessageKind.UNASSIGNED_LEAD_ALERT, str(a.id)): 1 for a in admins},
    }
