"""respond_by on items and details, the overdue filter, and the settings that shape them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from lead_manager.core.business_hours import BusinessHours
from lead_manager.leads import listing
from lead_manager.leads.schemas import LeadFilters
from tests.conftest import Account, LiveServer
from tests.leads.workflow import new_lead, sibling_server


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture(scope="module")
def servers(live_server: LiveServer, tmp_path_factory) -> Iterator[dict[str, LiveServer]]:
    """Beside the shared server (SLA 120 minutes, every hour counts): one whose SLA is over in
    a moment, one without an SLA, one with office hours in Berlin; all on the same database."""
    started: dict[str, LiveServer] = {}
    for name, overrides in {
        "quick": {"first_response_sla_minutes": 0.01},
        "off": {"first_response_sla_minutes": 0},
        "office": {"firm_timezone": "Europe/Berlin", "business_hours": "mon-fri 09:00-17:30"},
    }.items():
        directory: Path = tmp_path_factory.mktemp(name)
        started[name] = sibling_server(live_server, directory, **overrides)
    yield started
    for server in started.values():
        server.stop()
        server.engine.dispose()


def wait_overdue(account: Account, lead_ids: set[str], timeout: float = 10) -> list[str]:
    """Poll the overdue list until it holds `lead_ids` (their deadline is a moment away)."""
    deadline = time.monotonic() + timeout
    while True:
        listed = [i["id"] for i in account.client.get("/api/v1/leads?overdue=true").json()["items"]]
        if lead_ids <= set(listed) or time.monotonic() > deadline:
            return listed
        time.sleep(0.05)


def test_items_and_details_carry_respond_by_until_the_first_response(api, attorney, public) -> None:
    lead_id = new_lead(public)
    detail = attorney.client.get(f"/api/v1/leads/{lead_id}").json()
    # The shared server: 120 minutes, every hour counts.
    assert at(detail["respond_by"]) - at(detail["created_at"]) == timedelta(minutes=120)
    item = attorney.client.get("/api/v1/leads").json()["items"][0]
    assert item["respond_by"] == detail["respond_by"]
    changed = attorney.client.patch(f"/api/v1/leads/{lead_id}", json={"status": "REACHED_OUT"})
    assert changed.json()["respond_by"] is None
    assert attorney.client.get("/api/v1/leads").json()["items"][0]["respond_by"] is None


def test_overdue_lists_pending_leads_past_their_deadline(api, attorney, servers) -> None:
    with servers["quick"].client() as quick:
        late = {new_lead(quick, email=f"late{i}@example.com") for i in range(3)}
    with api.client() as public:
        on_time = new_lead(public)
    assert late <= set(wait_overdue(attorney, late))
    listed = attorney.client.get("/api/v1/leads", params={"overdue": "true"}).json()["items"]
    assert {i["id"] for i in listed} == late
    assert all(at(i["respond_by"]) < datetime.now(at(i["created_at"]).tzinfo) for i in listed)
    # Answered: no longer overdue. Other filters combine with it.
    answered = sorted(late)[0]
    assert (
        attorney.client.patch(
            f"/api/v1/leads/{answered}", json={"status": "DECLINED", "reason": "spam"}
        ).status_code
        == 200
    )
    listed = attorney.client.get("/api/v1/leads?overdue=true&assigned_to=me&limit=1").json()
    assert listed["items"][0]["id"] in late - {answered} and listed["next_cursor"]
    for value in ("false", "0", ""):
        everything = attorney.client.get("/api/v1/leads", params={"overdue": value}).json()
        assert {i["id"] for i in everything["items"]} == late | {on_time}
    response = attorney.client.get("/api/v1/leads", params={"overdue": "maybe"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "overdue"]


def test_without_an_sla_no_lead_has_a_deadline(api, attorney, servers) -> None:
    with servers["quick"].client() as quick:
        stored = new_lead(quick)
    wait_overdue(attorney, {stored})
    with servers["off"].client(attorney.token) as off:
        fresh = new_lead(off)
        for lead_id in (stored, fresh):
            assert off.get(f"/api/v1/leads/{lead_id}").json()["respond_by"] is None
        assert {i["respond_by"] for i in off.get("/api/v1/leads").json()["items"]} == {None}
        assert off.get("/api/v1/leads?overdue=true").json()["items"] == []
    # The deadline stored while there was an SLA is there again where the SLA is on.
    assert attorney.client.get(f"/api/v1/leads/{stored}").json()["respond_by"] is not None
    assert attorney.client.get(f"/api/v1/leads/{fresh}").json()["respond_by"] is None


def test_business_hours_and_the_firm_time_zone_shape_the_deadline(api, attorney, servers) -> None:
    office = servers["office"]
    with office.client() as public:
        lead_id = new_lead(public)
    detail = attorney.client.get(f"/api/v1/leads/{lead_id}").json()
    expected = BusinessHours.parse("mon-fri 09:00-17:30").add(
        at(detail["created_at"]), timedelta(minutes=120), office.services.clock.zone
    )
    assert at(detail["respond_by"]) == expected


def test_the_overdue_page_is_a_range_of_the_respond_by_index(api: LiveServer) -> None:
    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    event.listen(api.engine, "before_cursor_execute", capture)
    try:
        with api.session() as session:
            listing.page(session.connection(), LeadFilters(overdue=True), None)
    finally:
        event.remove(api.engine, "before_cursor_execute", capture)
    statement, parameters = statements[-1]
    prefix = "EXPLAIN QUERY PLAN " if api.engine.dialect.name == "sqlite" else "EXPLAIN "
    with api.engine.connect() as connection:
        plan = " ".join(
            str(row) for row in connection.exec_driver_sql(prefix + statement, parameters)
        )
    if api.engine.dialect.name == "sqlite":
        assert "ix_leads_respond_by (respond_by<?)" in plan
    # (PostgreSQL chooses by its statistics: on an empty table any plan is right.)
