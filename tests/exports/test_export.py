"""GET /api/v1/leads/export.csv over real HTTP on SQLite and PostgreSQL: columns, filters,
spreadsheet-formula neutralisation, streaming, audit."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import insert, select

from lead_manager.audit.models import AuditEvent
from lead_manager.exports.service import COLUMNS
from lead_manager.leads.models import Lead, LeadStatus
from tests.conftest import Account, LiveServer
from tests.intake import submit
from tests.stats.leads import add_lead

HEADER = ",".join(COLUMNS) + "\r\n"


def rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def test_columns_are_the_contracts() -> None:
    assert COLUMNS == (
        "id", "created_at", "first_name", "last_name", "email", "phone", "status",
        "assigned_to", "source", "utm_source", "utm_medium", "utm_campaign", "duplicate_of",
        "conflict_status",
    )  # fmt: skip


def test_an_empty_set_is_the_header_row(admin: Account) -> None:
    response = admin.client.get("/api/v1/leads/export.csv")
    assert response.status_code == 200
    assert response.text == HEADER
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="leads-')
    assert response.headers["cache-control"] == "no-store"


def test_rows_newest_first_with_their_fields(admin: Account, attorney: Account, public) -> None:
    first = submit(public, first_name="Ann", phone="555 0100", source="Radio").json()
    second = submit(
        public, first_name="Ben", utm_source="google", utm_medium="cpc", utm_campaign="spring"
    ).json()
    exported = rows(admin.client.get("/api/v1/leads/export.csv"))
    assert [row["id"] for row in exported] == [second["id"], first["id"]]
    ben, ann = exported
    assert ben == {
        "id": second["id"],
        "created_at": second["created_at"],
        "first_name": "Ben",
        "last_name": "Doe",
        "email": "jane.doe@example.com",
        "phone": "'+1 (555) 010-0199",
        "status": "PENDING",
        "assigned_to": str(attorney.id),
        "source": "google",
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "spring",
        "duplicate_of": "",
        "conflict_status": "",
    }
    assert (ann["source"], ann["utm_source"], ann["phone"]) == ("Radio", "", "555 0100")


def test_cells_a_spreadsheet_would_evaluate_are_neutralised(
    api: LiveServer, admin: Account
) -> None:
    now = datetime.now(UTC)
    dangerous = {
        "first_name": '=HYPERLINK("http://evil.example","x")',
        "last_name": "+SUM(A1:A9)",
        "email": "@import@example.com",
        "phone": "-1",
        "utm_source": "\tcmd",
        "utm_medium": "\rcmd",
        "utm_campaign": "plain = fine",
    }
    add_lead(api, now, **dangerous)
    (row,) = rows(admin.client.get("/api/v1/leads/export.csv"))
    for name, value in dangerous.items():
        expected = value if name == "utm_campaign" else "'" + value
        assert row[name] == expected, name


def test_filters_match_the_inbox(api: LiveServer, admin: Account, attorney: Account) -> None:
    now = datetime.now(UTC)
    mine = add_lead(api, now - timedelta(hours=1), assigned_to=admin.id, first_name="Mina")
    theirs = add_lead(
        api,
        now - timedelta(hours=2),
        assigned_to=attorney.id,
        first_name="Theo",
        responded_after=timedelta(minutes=5),
    )
    old = add_lead(api, datetime(2025, 1, 15, 12, tzinfo=UTC), first_name="Olga")

    def ids(**params: str) -> list[str]:
        return [
            row["id"] for row in rows(admin.client.get("/api/v1/leads/export.csv", params=params))
        ]

    assert ids() == [str(mine), str(theirs), str(old)]
    assert ids(status="REACHED_OUT") == [str(theirs)]
    assert ids(assigned_to="me") == [str(mine)]
    assert ids(assigned_to=str(attorney.id)) == [str(theirs)]
    assert ids(q="olg") == [str(old)]
    assert ids(q="%") == []
    assert ids(**{"from": "2025-01-01", "to": "2025-01-31"}) == [str(old)]
    assert ids(**{"from": "2025-01-16"}) == [str(mine), str(theirs)]
    assert ids(to="2025-12-31") == [str(old)]
    # A blank search or assignee is no filter, as in the list (the inbox's links leave them out).
    assert ids(q="", assigned_to="") == ids()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "OPEN"}, "status"),
        ({"assigned_to": "someone"}, "assigned_to"),
        ({"q": "a\x00b"}, "q"),
        ({"from": "2026-02-30"}, "from"),
        ({"to": ""}, "to"),
        ({"status": ""}, "status"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "to"),
    ],
)
def test_bad_filters_are_422(admin: Account, params: dict[str, str], field: str) -> None:
    response = admin.client.get("/api/v1/leads/export.csv", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_only_admins_export(attorney: Account, public) -> None:
    assert attorney.client.get("/api/v1/leads/export.csv").status_code == 403
    assert public.get("/api/v1/leads/export.csv").status_code == 401


def test_exports_are_audited(api: LiveServer, admin: Account) -> None:
    response = admin.client.get(
        "/api/v1/leads/export.csv", params={"status": "PENDING", "q": "doe", "from": "2026-01-01"}
    )
    assert response.status_code == 200
    with api.session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "leads.exported")
        ).one()
    assert event.actor == admin.id
    assert event.details == {
        "status": "PENDING",
        "q": "doe",
        "assigned_to": None,
        "date_from": "2026-01-01",
        "date_to": event.details["date_to"],
    }
    assert event.details["date_to"] >= "2026-01-01"


def test_a_large_export_streams_in_chunks(api: LiveServer, admin: Account) -> None:
    count = 5000
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with api.session() as session:
        session.execute(
            insert(Lead),
            [
                {
                    "id": uuid.uuid4(),
                    "first_name": f"Lead{n}",
                    "last_name": "Bulk",
                    "email": f"bulk{n}@example.com",
                    "status": LeadStatus.PENDING.value,
                    "resume_key": f"k{n}",
                    "resume_filename": "cv.pdf",
                    "resume_content_type": "application/pdf",
                    "resume_size": 1,
                    "created_at": start + timedelta(seconds=n),
                    "updated_at": start,
                }
                for n in range(count)
            ],
        )
        session.commit()
    chunks = 0
    lines = 0
    with admin.client.stream("GET", "/api/v1/leads/export.csv") as response:
        assert response.status_code == 200
        # Streamed: no length known in advance, the body arrives in pieces.
        assert "content-length" not in response.headers
        for chunk in response.iter_raw():
            chunks += 1
            lines += chunk.count(b"\r\n")
    assert lines == count + 1
    assert chunks >= 2


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_methods_are_405(admin: Account, method: str) -> None:
    response = admin.client.request(method, "/api/v1/leads/export.csv")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
