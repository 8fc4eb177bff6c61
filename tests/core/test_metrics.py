from __future__ import annotations

import httpx

from tests.conftest import PASSWORD, Account, LiveServer
from tests.core.conftest import METRICS_TOKEN
from tests.intake import submit
from tests.metrics import metric_value, samples


def test_request_latency_is_recorded_per_route_template(
    public: httpx.Client, attorney: Account
) -> None:
    lead_id = submit(public).json()["id"]
    assert attorney.client.get(f"/api/v1/leads/{lead_id}").status_code == 200
    labels = {"method": "GET", "route": "/api/v1/leads/{lead_id}", "status": "200"}
    before = metric_value(public, "lead_manager_http_request_duration_seconds_count", **labels)
    assert attorney.client.get(f"/api/v1/leads/{lead_id}").status_code == 200
    after = metric_value(public, "lead_manager_http_request_duration_seconds_count", **labels)
    assert after == before + 1
    # Unknown paths share one label, so scanners cannot blow up the series count.
    public.get(f"/random/{lead_id}")
    names = {
        dict(labels)["route"]
        for (name, labels), _ in samples(public).items()
        if name == "lead_manager_http_request_duration_seconds_count"
    }
    assert "<unmatched>" in names
    assert not any(lead_id in name for name in names)


def test_leads_created_and_outbox_backlog(
    api: LiveServer, public: httpx.Client, attorney: Account
) -> None:
    created = metric_value(public, "lead_manager_leads_created_total")
    assert submit(public).status_code == 201
    assert metric_value(public, "lead_manager_leads_created_total") == created + 1
    # The test server runs no dispatcher: acknowledgement + attorney notification wait.
    assert metric_value(public, "lead_manager_outbox_messages", status="pending") == 2
    assert metric_value(public, "lead_manager_outbox_messages", status="sent") == 0


def test_login_failures_are_counted(public: httpx.Client, attorney: Account) -> None:
    before = metric_value(public, "lead_manager_login_failures_total")
    bad = public.post(
        "/api/v1/auth/token", data={"username": attorney.email, "password": "wrong" * 3}
    )
    assert bad.status_code == 401
    good = public.post(
        "/api/v1/auth/token", data={"username": attorney.email, "password": PASSWORD}
    )
    assert good.status_code == 200
    assert metric_value(public, "lead_manager_login_failures_total") == before + 1


def test_metrics_token_protects_the_endpoint(configured: LiveServer) -> None:
    with configured.client() as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = samples(client, {"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert any(name == "lead_manager_leads_created_total" for name, _ in ok)
