from __future__ import annotations

import re

import httpx

from tests.conftest import Account, LiveServer
from tests.core.conftest import ALLOWED_ORIGIN
from tests.intake import submit

API_CSP = "default-src 'none'; frame-ancestors 'none'"


def test_every_response_carries_the_base_headers(public: httpx.Client, attorney: Account) -> None:
    responses = [
        public.get("/healthz"),
        public.get("/api/v1/leads"),  # 401
        public.get("/no/such/path"),  # 404
        submit(public),  # 201
        attorney.client.get("/api/v1/leads"),
    ]
    for response in responses:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Request-ID"]
        assert response.headers["Content-Security-Policy"] == API_CSP


def test_docs_page_loads_nothing_from_elsewhere(public: httpx.Client) -> None:
    # Swagger UI's script and stylesheet come from the app itself: the machines it runs on may
    # have no internet, and a CDN would be one more party able to run script on the page.
    for page in ("/docs", "/redoc"):
        response = public.get(page)
        assert response.status_code == 200
        assert "default-src 'none'" not in response.headers.get("Content-Security-Policy", "")
        sources = re.findall(r'(?:src|href)="([^"]+)"', response.text)
        assert sources and all(source.startswith("/") for source in sources), sources
        for source in sources:
            asset = public.get(source)
            assert asset.status_code == 200, source
            assert len(asset.content) > 1000, source


def test_no_hsts_over_plain_http(public: httpx.Client) -> None:
    assert "Strict-Transport-Security" not in public.get("/healthz").headers


def test_forwarded_proto_from_an_untrusted_peer_is_ignored(public: httpx.Client) -> None:
    response = public.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_when_a_trusted_proxy_terminated_https(configured: LiveServer) -> None:
    with configured.client() as client:
        response = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        plain = client.get("/healthz", headers={"X-Forwarded-Proto": "http"})
        assert "Strict-Transport-Security" not in plain.headers


def test_cors_is_off_by_default(public: httpx.Client) -> None:
    response = public.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = public.options(
        "/api/v1/leads",
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_cors_allows_only_configured_origins(configured: LiveServer) -> None:
    with configured.client() as client:
        preflight = client.options(
            "/api/v1/leads",
            headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 200
        assert preflight.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
        assert preflight.headers["X-Content-Type-Options"] == "nosniff"
        other = client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in other.headers
        allowed = client.get("/healthz", headers={"Origin": ALLOWED_ORIGIN})
        assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


def test_method_not_allowed_lists_every_method_of_the_path(public: httpx.Client) -> None:
    response = public.delete("/api/v1/leads")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "POST"}


def test_trusted_proxies_must_be_addresses(tmp_path: object) -> None:
    import pytest
    from pydantic import ValidationError

    from lead_manager.core.settings import Settings

    with pytest.raises(ValidationError):
        Settings(_env_file=None, trusted_proxies="10.0.0.1,proxy.internal")  # type: ignore[call-arg]
    settings = Settings(_env_file=None, trusted_proxies="10.0.0.1, 10.1.0.0/16")  # type: ignore[call-arg]
    assert settings.trusted_proxies == ["10.0.0.1", "10.1.0.0/16"]
