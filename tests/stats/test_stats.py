"""GET /api/v1/stats over real HTTP, on SQLite and PostgreSQL alike: the same data gives the
same answer on both (each backend is checked against the same expected numbers)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lead_manager.core.dates import today
from lead_manager.leads.models import Lead, LeadStatus, LeadStatusChange
from lead_manager.users.models import Role
from tests.conftest import Account, LiveServer, add_account
from tests.intake import submit
from tests.stats.leads import add_lead

NEW_YORK = "America/New_York"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def new_york(api: LiveServer, monkeypatch: pytest.MonkeyPatch) -> LiveServer:
    monkeypatch.setattr(api.settings, "firm_timezone", NEW_YORK)
    monkeypatch.setattr(api.settings, "first_response_sla_minutes", 60.0)
    return api


def test_days_are_counted_in_the_firm_time_zone_across_a_clock_change(
    new_york: LiveServer, attorney: Account
) -> None:
    # Clocks in New York went forward at 07:00 UTC on 8 March 2026 (EST -5 to EDT -4).
    for stamp in (
        utc(2026, 3, 7, 4, 59),  # 6 March 23:59 EST: before the range
        utc(2026, 3, 8, 4, 30),  # 7 March 23:30 EST
        utc(2026, 3, 8, 5, 30),  # 8 March 00:30 EST
        utc(2026, 3, 9, 3, 30),  # 8 March 23:30 EDT
        utc(2026, 3, 9, 4, 30),  # 9 March 00:30 EDT
        utc(2026, 3, 10, 3, 59, 59),  # 9 March 23:59:59 EDT
        utc(2026, 3, 10, 4, 0),  # 10 March 00:00 EDT: after the range
    ):
        add_lead(new_york, stamp)
    response = attorney.client.get(
        "/api/v1/stats", params={"from": "2026-03-07", "to": "2026-03-09"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["from"] == "2026-03-07" and body["to"] == "2026-03-09"
    assert body["by_day"] == [
        {"date": "2026-03-07", "count": 1},
        {"date": "2026-03-08", "count": 2},
        {"date": "2026-03-09", "count": 2},
    ]
    assert body["total"] == 5
    assert body["by_status"] == {"PENDING": 5, "REACHED_OUT": 0, "RETAINED": 0, "DECLINED": 0}
    assert response.headers["cache-control"] == "no-store"


def test_first_response_times_sources_and_attorneys(new_york: LiveServer, admin: Account) -> None:
    alice = add_account(new_york, Role.ATTORNEY, full_name="Alice Attorney")
    bob = add_account(new_york, Role.ATTORNEY, full_name="Bob Barrister")
    idle = add_account(new_york, Role.ATTORNEY, full_name="Carol Idle")
    gone = add_account(new_york, Role.ATTORNEY, full_name="Dan Departed", active=False)
    add_account(new_york, Role.ATTORNEY, full_name="Eve Elsewhere", active=False)
    day = utc(2026, 5, 12, 15, 0)  # 12 May, 11:00 EDT
    minutes = timedelta(minutes=1)
    # Alice: 10 min, 30 min, 100 min. Bob: 20 min, 45 min. Dan (deactivated since): 12:34.56789.
    add_lead(
        new_york,
        day,
        responded_after=10 * minutes,
        assigned_to=alice.id,
        source="Newsletter",
        utm_source="google",
    )
    add_lead(
        new_york,
        day,
        responded_after=30 * minutes,
        assigned_to=alice.id,
        utm_source="google",
        utm_medium="cpc",
    )
    add_lead(
        new_york,
        day,
        responded_after=100 * minutes,
        assigned_to=alice.id,
        status=LeadStatus.RETAINED,
        referrer_host="www.bar.example",
    )
    add_lead(
        new_york,
        day,
        responded_after=20 * minutes,
        assigned_to=bob.id,
        status=LeadStatus.DECLINED,
        utm_source="google",
    )
    add_lead(new_york, day, responded_after=45 * minutes, assigned_to=bob.id)
    add_lead(
        new_york,
        day,
        responded_after=timedelta(minutes=12, seconds=34, microseconds=567_890),
        assigned_to=gone.id,
    )
    # Unanswered: one long past the SLA (counts as missed), one unassigned.
    add_lead(new_york, day, assigned_to=bob.id)
    add_lead(new_york, day)
    response = admin.client.get("/api/v1/stats", params={"from": "2026-05-01", "to": "2026-05-31"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 8
    assert body["by_status"] == {"PENDING": 2, "REACHED_OUT": 4, "RETAINED": 1, "DECLINED": 1}
    assert sum(day["count"] for day in body["by_day"]) == 8 and len(body["by_day"]) == 31
    assert body["by_source"] == [
        {"source": "direct", "count": 4},
        {"source": "google", "count": 2},
        {"source": "Newsletter", "count": 1},
        {"source": "www.bar.example", "count": 1},
    ]
    # Six answered: 10, 12.576..., 20, 30, 45, 100 minutes.
    assert body["first_response"] == {
        # Between the 3rd and 4th: (20 + 30) / 2.
        "median_minutes": 25.0,
        # 0.9 * 5 = 4.5: halfway from 45 to 100.
        "p90_minutes": 72.5,
        # Within 60 minutes: 5 of the 6 answered and the 2 missed (both past the SLA by now).
        "within_sla_percent": round(100 * 5 / 8, 1),
    }
    assert body["by_attorney"] == [
        {
            "user_id": str(alice.id),
            "full_name": "Alice Attorney",
            "assigned": 3,
            "responded": 3,
            "median_first_response_minutes": 30.0,
        },
        {
            "user_id": str(bob.id),
            "full_name": "Bob Barrister",
            "assigned": 3,
            "responded": 2,
            "median_first_response_minutes": 32.5,
        },
        {
            "user_id": str(gone.id),
            "full_name": "Dan Departed",
            "assigned": 1,
            "responded": 1,
            "median_first_response_minutes": 12.6,
        },
        {
            "user_id": str(idle.id),
            "full_name": "Carol Idle",
            "assigned": 0,
            "responded": 0,
            "median_first_response_minutes": None,
        },
    ]


def test_recent_unanswered_leads_are_not_yet_missed(
    api: LiveServer, attorney: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.settings, "first_response_sla_minutes", 120.0)
    now = datetime.now(UTC)
    add_lead(api, now - timedelta(minutes=5))  # still within its 2 hours
    add_lead(api, now - timedelta(hours=3), responded_after=timedelta(hours=2, minutes=1))
    add_lead(api, now - timedelta(hours=4), responded_after=timedelta(minutes=90))
    body = attorney.client.get("/api/v1/stats").json()
    assert body["total"] == 3
    assert body["first_response"]["within_sla_percent"] == 50.0
    monkeypatch.setattr(api.settings, "first_response_sla_minutes", 0.0)
    assert (
        attorney.client.get("/api/v1/stats").json()["first_response"]["within_sla_percent"] is None
    )


def test_default_range_is_the_last_30_days_and_empty_is_zeros(
    api: LiveServer, attorney: Account
) -> None:
    body = attorney.client.get("/api/v1/stats").json()
    last = today(api.settings.timezone)
    assert body["to"] == last.isoformat()
    assert body["from"] == (last - timedelta(days=29)).isoformat()
    assert len(body["by_day"]) == 30 and all(day["count"] == 0 for day in body["by_day"])
    assert body["total"] == 0 and body["by_source"] == []
    assert body["first_response"] == {
        "median_minutes": None,
        "p90_minutes": None,
        "within_sla_percent": None,
    }
    assert body["by_attorney"] == [
        {
            "user_id": str(attorney.id),
            "full_name": "Alice Attorney",
            "assigned": 0,
            "responded": 0,
            "median_first_response_minutes": None,
        }
    ]


def test_a_submission_and_its_first_status_change_are_counted(
    api: LiveServer, attorney: Account, public
) -> None:
    created = submit(public, source="Radio ad", utm_source="facebook", utm_campaign="spring")
    assert created.status_code == 201, created.text
    lead_id = created.json()["id"]
    detail = attorney.client.get(f"/api/v1/leads/{lead_id}").json()
    assert (
        detail["source"],
        detail["utm_source"],
        detail["utm_medium"],
        detail["utm_campaign"],
    ) == ("Radio ad", "facebook", None, "spring")
    changed = attorney.client.patch(f"/api/v1/leads/{lead_id}", json={"status": "REACHED_OUT"})
    assert changed.status_code == 200
    # A second change is not a first response.
    attorney.client.patch(
        f"/api/v1/leads/{lead_id}", json={"status": "DECLINED", "reason": "No case"}
    )
    body = attorney.client.get("/api/v1/stats").json()
    assert body["total"] == 1 and body["by_source"] == [{"source": "Radio ad", "count": 1}]
    assert body["by_attorney"][0]["responded"] == 1
    assert 0 <= body["first_response"]["median_minutes"] < 1
    with api.session() as session:
        lead = session.get(Lead, uuid.UUID(lead_id))
        assert lead is not None
        first_change = session.scalars(
            select(LeadStatusChange.changed_at).where(
                LeadStatusChange.lead_id == lead.id, LeadStatusChange.status == "REACHED_OUT"
            )
        ).one()
        assert lead.first_response_seconds == (first_change - lead.created_at).total_seconds()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-05-10", "to": "2026-05-01"}, "to"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "to"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-5-1"}, "to"),
        ({"to": "20260501"}, "to"),
        ({"from": "2026-02-30"}, "from"),
        ({"to": ""}, "to"),
    ],
)
def test_bad_ranges_are_422_naming_the_parameter(
    attorney: Account, params: dict[str, str], field: str
) -> None:
    response = attorney.client.get("/api/v1/stats", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_two_years_is_the_longest_range(attorney: Account) -> None:
    ok = attorney.client.get("/api/v1/stats", params={"from": "2024-01-01", "to": "2025-12-31"})
    assert ok.status_code == 200 and len(ok.json()["by_day"]) == 731


def test_statistics_need_a_signed_in_user(public) -> None:
    assert public.get("/api/v1/stats").status_code == 401
