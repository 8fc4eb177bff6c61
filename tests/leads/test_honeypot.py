"""The spam trap belongs to the web form only: the API ignores unknown fields, `website` included
(issue 13, finding 7: a client sending a prospect's homepage lost the lead)."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import func, select

from lead_manager.leads.models import Lead
from lead_manager.outbox.models import OutboxMessage
from lead_manager.web.public import SPAM_TRAP_FIELD
from tests.conftest import Account, LiveServer
from tests.intake import submit
from tests.metrics import metric_value


def stored(api: LiveServer) -> tuple[int, int, list[Path]]:
    with api.session() as session:
        leads = session.scalar(select(func.count()).select_from(Lead)) or 0
        emails = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
    files = list(Path(api.settings.storage_url.removeprefix("file://")).iterdir())
    return leads, emails, files


def test_api_submission_with_a_website_is_stored(
    api: LiveServer, public: httpx.Client, attorney: Account
) -> None:
    hits_before = metric_value(public, "lead_manager_honeypot_hits_total")
    response = submit(public, website="https://maria-garcia.example")
    assert response.status_code == 201, response.text
    lead_id = response.json()["id"]
    assert attorney.client.get(f"/api/v1/leads/{lead_id}").status_code == 200
    leads, emails, files = stored(api)
    assert (leads, len(files)) == (1, 1)
    assert emails >= 1
    assert metric_value(public, "lead_manager_honeypot_hits_total") == hits_before


def test_api_ignores_the_forms_trap_field_too(
    api: LiveServer, public: httpx.Client, attorney: Account
) -> None:
    response = submit(public, **{SPAM_TRAP_FIELD: "555 0100"})
    assert response.status_code == 201, response.text
    assert attorney.client.get(f"/api/v1/leads/{response.json()['id']}").status_code == 200


def test_the_trap_is_not_advertised_in_the_api_schema(public: httpx.Client) -> None:
    document = public.get("/openapi.json").text
    assert SPAM_TRAP_FIELD not in document
    assert '"website"' not in document
