"""The insight pages over plain HTTP: the form's attribution fields, the dashboard, the lead's
source, the inbox export, the webhook administration."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lead_manager.leads.models import Lead
from tests import documents
from tests.conftest import Account, LiveServer
from tests.intake import lead_fields
from tests.stats.leads import add_lead
from tests.web.pages import csrf_from, web_login

XSS = "<script>alert(1)</script>"
HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def hidden_fields(page: str) -> dict[str, str]:
    return {
        name: html.unescape(value) for name, value in HIDDEN.findall(page) if name != "csrf_token"
    }


def test_the_form_carries_utm_parameters_and_the_referring_host(
    api: LiveServer, attorney: Account, public
) -> None:
    page = public.get(
        "/",
        params={
            "utm_source": "google",
            "utm_medium": "cpc",
            "utm_campaign": "spring sale",
            "source": XSS,
            "other": "x",
        },
        headers={"Referer": "https://www.Search.example/results?q=lawyer"},
    )
    assert hidden_fields(page.text) == {
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "spring sale",
        "source": XSS,
        "referrer_host": "www.search.example",
    }
    assert XSS not in page.text  # escaped in the attribute
    response = public.post(
        "/",
        data={**lead_fields(), **hidden_fields(page.text), "csrf_token": csrf_from(page.text)},
        files={"resume": ("cv.pdf", documents.pdf(), "application/pdf")},
    )
    assert response.status_code == 303, response.text
    with api.session() as session:
        lead = session.scalars(select(Lead)).one()
    assert (
        lead.source,
        lead.utm_source,
        lead.utm_medium,
        lead.utm_campaign,
        lead.referrer_host,
    ) == (
        XSS,
        "google",
        "cpc",
        "spring sale",
        "www.search.example",
    )


@pytest.mark.parametrize(
    ("params", "referer"),
    [
        ({"utm_source": "x" * 101, "utm_medium": "a\nb"}, "javascript:alert(1)"),
        ({"utm_campaign": "   "}, "http://bad_host!/"),
        ({}, "http://testserver.invalid:8000/"),
    ],
)
def test_values_not_fit_for_the_form_are_left_out(
    api: LiveServer, public, params, referer: str
) -> None:
    headers = {
        "Referer": referer.replace("testserver.invalid:8000", api.base_url.removeprefix("http://"))
    }
    page = public.get("/", params=params, headers=headers)
    assert page.status_code == 200
    assert hidden_fields(page.text) == {}


def test_changed_hidden_fields_are_dropped_not_refused(
    api: LiveServer, attorney: Account, public
) -> None:
    token = csrf_from(public.get("/").text)
    response = public.post(
        "/",
        data={
            **lead_fields(),
            "csrf_token": token,
            "utm_source": "y" * 500,
            "referrer_host": "not a host",
            "utm_medium": "ok",
        },
        files={"resume": ("cv.pdf", documents.pdf(), "application/pdf")},
    )
    assert response.status_code == 303, response.text
    with api.session() as session:
        lead = session.scalars(select(Lead)).one()
    assert (lead.utm_source, lead.utm_medium, lead.referrer_host) == (None, "ok", None)


def test_the_lead_page_shows_where_it_came_from(api: LiveServer, attorney: Account) -> None:
    lead_id = add_lead(
        api, datetime.now(UTC), utm_source=XSS, utm_medium="cpc", referrer_host="news.example"
    )
    client = web_login(api, attorney.email)
    page = client.get(f"/leads/{lead_id}").text
    assert 'id="source-heading"' in page
    assert html.escape(XSS) in page and XSS not in page
    assert "news.example" in page and "cpc" in page
    plain = add_lead(api, datetime.now(UTC))
    assert "<dd>Direct</dd>" in client.get(f"/leads/{plain}").text


def test_dashboard_draws_charts_and_tables(api: LiveServer, attorney: Account) -> None:
    now = datetime.now(UTC)
    add_lead(
        api,
        now - timedelta(days=1),
        responded_after=timedelta(minutes=20),
        assigned_to=attorney.id,
        source=XSS,
    )
    add_lead(api, now - timedelta(days=2), utm_source="google")
    client = web_login(api, attorney.email)
    response = client.get("/dashboard")
    assert response.status_code == 200
    page = response.text
    assert page.count('<svg class="chart"') == 2
    assert 'role="img"' in page and '<title id="per-day-title">' in page
    assert "<script" not in page.split("<footer")[0].split("</header>")[1]
    assert " style=" not in page  # the policy forbids inline style: classes only
    for table in ("per-day-table", "response-table", "source-table", "attorney-table"):
        assert f'id="{table}"' in page
    assert html.escape(XSS) in page and XSS not in page
    assert "Alice Attorney" in page and "google" in page
    assert 'aria-current="page">Dashboard' in page
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    picked = client.get("/dashboard", params={"from": "2026-01-01", "to": "2026-01-07"}).text
    assert picked.count('<rect class="chart-bar"') == 7 + 6
    assert 'value="2026-01-01"' in picked and "7 January 2026" in picked


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-02-01", "to": "2026-01-01"},
        {"from": "nonsense"},
        {"to": "2020-01-01", "from": "2010-01-01"},
    ],
)
def test_a_bad_range_on_the_dashboard_says_so_and_shows_the_default(
    api: LiveServer, attorney: Account, params
) -> None:
    client = web_login(api, attorney.email)
    response = client.get("/dashboard", params=params)
    assert response.status_code == 200
    assert 'class="alert"' in response.text and "showing the last 30 days" in response.text


def test_dashboard_needs_a_session(api: LiveServer, public) -> None:
    response = public.get("/dashboard")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_admins_export_the_inbox_filter(api: LiveServer, admin: Account, attorney: Account) -> None:
    now = datetime.now(UTC)
    add_lead(api, now, first_name="Mine", assigned_to=admin.id)
    add_lead(api, now, first_name="Other", assigned_to=attorney.id)
    client = web_login(api, admin.email)
    inbox = client.get("/leads", params={"assigned_to": "me"}).text
    link = html.unescape(re.search(r'href="(/leads/export\.csv\?[^"]*)"', inbox).group(1))
    assert "assigned_to=me" in link
    export = client.get(link)
    assert export.status_code == 200 and export.headers["content-type"] == "text/csv; charset=utf-8"
    assert [row["first_name"] for row in csv.DictReader(io.StringIO(export.text))] == ["Mine"]
    attorney_client = web_login(api, attorney.email)
    assert "export.csv" not in attorney_client.get("/leads").text
    assert attorney_client.get("/leads/export.csv").status_code == 403


def test_admin_adds_sees_and_deletes_a_webhook(
    api: LiveServer, admin: Account, attorney: Account, monkeypatch
) -> None:
    client = web_login(api, admin.email)
    page = client.get("/admin/webhooks")
    assert page.status_code == 200 and "No webhooks yet" in page.text
    token = csrf_from(page.text)
    refused = client.post(
        "/admin/webhooks",
        data={"csrf_token": token, "url": "http://127.0.0.1/x", "events": ["lead.created"]},
    )
    assert refused.status_code == 422 and "WEBHOOK_ALLOW_PRIVATE" in refused.text
    no_events = client.post(
        "/admin/webhooks", data={"csrf_token": token, "url": "https://93.184.215.14/x"}
    )
    assert no_events.status_code == 422 and "Choose at least one event" in no_events.text
    monkeypatch.setattr(api.settings, "webhook_allow_private", True)
    created = client.post(
        "/admin/webhooks",
        data={
            "csrf_token": token,
            "url": "http://127.0.0.1:9/hook",
            "events": ["lead.created", "lead.assigned"],
        },
    )
    assert created.status_code == 201
    secret = html.unescape(re.search(r'id="webhook-secret">([^<]+)<', created.text).group(1))
    assert secret.startswith("whsec_")
    again = client.get("/admin/webhooks").text
    assert "http://127.0.0.1:9/hook" in again and secret not in again
    (webhook_id,) = re.findall(r'action="/admin/webhooks/([0-9a-f-]+)/delete"', again)
    forged = client.post(f"/admin/webhooks/{webhook_id}/delete", data={"csrf_token": "x"})
    assert forged.status_code == 403
    assert web_login(api, attorney.email).get("/admin/webhooks").status_code == 403
    deleted = client.post(f"/admin/webhooks/{webhook_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    assert "The webhook has been deleted." in client.get(deleted.headers["location"]).text
    assert admin.client.get("/api/v1/webhooks").json()["items"] == []
