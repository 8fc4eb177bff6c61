"""The daily digest: once per active attorney with PENDING leads per day, from any dispatcher."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lead_manager.core.business_hours import parse_time_of_day
from lead_manager.leads.digest import DigestJob
from lead_manager.outbox.models import OutboxMessage
from lead_manager.users.models import Role
from tests.conftest import Account, LiveServer, add_account
from tests.leads.workflow import new_lead


def digest_job(api: LiveServer, at: str = "08:00", zone: str = "UTC") -> DigestJob:
    return DigestJob(api.services.database, ZoneInfo(zone), parse_time_of_day(at))


def digests(api: LiveServer) -> list[tuple[str, str]]:
    """(recipient user id, day) of every digest queued."""
    with api.session() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "daily_digest")
        ).all()
        return sorted((row.payload["user_id"], row.payload["date"]) for row in rows)


def test_one_digest_per_active_attorney_with_pending_leads_per_day(
    api: LiveServer, attorney: Account, admin: Account, public
) -> None:
    lead_ids = [new_lead(public, email=f"p{i}@example.com") for i in range(4)]
    holiday = add_account(api, Role.ATTORNEY, available=False)
    answered = add_account(api, Role.ATTORNEY)
    leaving = add_account(api, Role.ATTORNEY, available=False)
    for lead_id, target in zip(lead_ids[1:], (holiday, answered, leaving), strict=True):
        response = admin.client.post(
            f"/api/v1/leads/{lead_id}/assign", json={"user_id": str(target.id)}
        )
        assert response.status_code == 200
    answered.client.patch(f"/api/v1/leads/{lead_ids[2]}", json={"status": "REACHED_OUT"})
    admin.client.patch(f"/api/v1/users/{leaving.id}", json={"is_active": False})

    morning = datetime(2026, 12, 1, 7, 59, tzinfo=UTC)
    job = digest_job(api)
    assert job.run_due(morning, "w1") == 0
    assert digests(api) == []
    assert job.run_due(morning + timedelta(minutes=2), "w1") == 2
    assert digests(api) == sorted(
        [(str(attorney.id), "2026-12-01"), (str(holiday.id), "2026-12-01")]
    )
    # Later the same day: nothing more, from this dispatcher or any other.
    assert job.run_due(morning + timedelta(hours=3), "w1") == 0
    assert digest_job(api).run_due(morning + timedelta(hours=14), "w2") == 0
    assert len(digests(api)) == 2
    # The next morning, the next digest.
    assert digest_job(api).run_due(morning + timedelta(days=1, minutes=2), "w2") == 2
    assert len(digests(api)) == 4


def test_the_firm_time_zone_decides_the_day_and_the_hour(api: LiveServer, attorney, public) -> None:
    new_lead(public)
    job = digest_job(api, "08:00", "America/New_York")
    # 12:30 UTC is 07:30 in New York (EST): not yet.
    assert job.run_due(datetime(2026, 12, 1, 12, 30, tzinfo=UTC), "w") == 0
    assert job.run_due(datetime(2026, 12, 1, 13, 5, tzinfo=UTC), "w") == 1
    # 02:00 UTC on 2 December is still 1 December in New York: already sent.
    assert (
        digest_job(api, "08:00", "America/New_York").run_due(
            datetime(2026, 12, 2, 2, 0, tzinfo=UTC), "w"
        )
        == 0
    )
    assert digests(api) == [(str(attorney.id), "2026-12-01")]


def test_without_digest_time_there_is_no_digest(api: LiveServer, attorney, public) -> None:
    new_lead(public)
    job = DigestJob(api.services.database, ZoneInfo("UTC"), None)
    assert job.run_due(datetime(2026, 12, 1, 23, 0, tzinfo=UTC), "w") == 0
    assert digests(api) == []


def test_racing_dispatchers_send_each_digest_once(api: LiveServer, attorney, public) -> None:
    others = [add_account(api, Role.ATTORNEY) for _ in range(3)]
    for i in range(8):
        new_lead(public, email=f"p{i}@example.com")
    noon = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    with ThreadPoolExecutor(6) as pool:
        sent = list(pool.map(lambda w: digest_job(api).run_due(noon, f"w{w}"), range(6)))
    assert sum(sent) == 4
    assert [user for user, _ in digests(api)] == sorted(str(a.id) for a in [attorney, *others])
