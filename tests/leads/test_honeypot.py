from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import func, select

from lead_manager.leads.models import Lead
from lead_manager.leads.schemas import HONEYPOT_FIELD
from lead_manager.outbox.models import OutboxMessage
from tests.conftest import Account, LiveServer
from tests.intake import submit
from tests.metrics import metric_value


def stored(api: LiveServer) -> tuple[int, int, list[Path]]:
    with api.session() as session:
        leads = session.scalar(select(func.count()).select_from(Lead)) or 0
        emails = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
    files = list(Path(api.settings.storage_url.removeprefix("file://")).iterdir())
    return leads, emails, files


def test_filled_honeypot_looks_accepted_and_stores_nothing(
    api: LiveServer, public: httpx.Client, attorney: Account
) -> None:
    hits_before = metric_value(public, "lead_manager_honeypot_hits_total")
    response = submit(public, **{HONEYPOT_FIELD: "https://cheap-pills.example"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "first_name", "last_name", "email", "status", "created_at"}
    assert body["status"] == "PENDING"
    assert response.headers["Location"] == f"/api/v1/leads/{body['id']}"
    assert stored(api) == (0, 0, [])
    assert attorney.client.get(f"/api/v1/leads/{body['id']}").status_code == 404
    assert metric_value(public, "lead_manager_honeypot_hits_total") == hits_before + 1


def test_empty_honeypot_is_an_ordinary_submission(api: LiveServer, public: httpx.Client) -> None:
    assert submit(public, **{HONEYPOT_FIELD: "  "}).status_code == 201
    leads, emails, files = stored(api)
    assert (leads, len(files)) == (1, 1)
    assert emails >= 1


def test_honeypot_is_not_advertised_in_the_api_schema(public: httpx.Client) -> None:
    assert HONEYPOT_FIELD not in public.get("/openapi.json").text
