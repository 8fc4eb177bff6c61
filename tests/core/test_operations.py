"""Health, readiness, docs, request ids and the headers every response carries."""

from __future__ import annotations

import anyio
import httpx
import pytest

from lead_manager.audit.models import AuditEvent
from lead_manager.core.migrations import upgrade_to_head
from lead_manager.main import create_app
from tests.conftest import PASSWORD, make_settings, start_server


def test_healthz_readyz_docs_openapi(api, public) -> None:
    assert public.get("/healthz").json() == {"status": "ok"}
    ready = public.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["outbox"] == {"pending": 0, "sent": 0, "failed": 0}
    assert public.get("/docs").status_code == 200
    spec = public.get("/openapi.json").json()
    for path in (
        "/api/v1/leads",
        "/api/v1/leads/{lead_id}",
        "/api/v1/leads/{lead_id}/resume",
        "/api/v1/auth/token",
        "/api/v1/users",
        "/api/v1/users/me",
        "/api/v1/users/{user_id}",
        "/api/v1/audit",
    ):
        assert path in spec["paths"], path


def test_every_response_has_request_id_and_nosniff(api, public) -> None:
    for response in (public.get("/healthz"), public.get("/nope"), public.get("/api/v1/leads")):
        assert len(response.headers["x-request-id"]) >= 16
        assert response.headers["x-content-type-options"] == "nosniff"


def test_well_formed_incoming_request_id_is_kept_and_bad_one_replaced(api, public) -> None:
    assert (
        public.get("/healthz", headers={"X-Request-ID": "abc-123.trace"}).headers["x-request-id"]
        == "abc-123.trace"
    )
    replaced = public.get("/healthz", headers={"X-Request-ID": "<script>" + "x" * 100}).headers[
        "x-request-id"
    ]
    assert "<" not in replaced and len(replaced) == 32


def test_readyz_is_503_when_the_database_does_not_answer(tmp_path) -> None:
    settings = make_settings(tmp_path, "postgresql+psycopg://postgres@127.0.0.1:1/none")
    server = start_server(settings, check_schema=False)
    try:
        with server.client() as client:
            assert client.get("/healthz").status_code == 200
            not_ready = client.get("/readyz")
            assert not_ready.status_code == 503
            assert not_ready.json()["status"] == "unavailable"
            assert int(not_ready.headers["Retry-After"]) > 0
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.5", "1.2.3.4", [], "203.0.113.5"),
        ("10.0.0.1", "198.51.100.7", ["10.0.0.0/8"], "198.51.100.7"),
        ("10.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2", ["10.0.0.0/8"], "198.51.100.7"),
        ("192.0.2.1", "198.51.100.7", ["10.0.0.0/8"], "192.0.2.1"),
        ("10.0.0.1", "198.51.100.7", ["10.0.0.1"], "198.51.100.7"),
    ],
)
def test_client_ip_believes_only_trusted_proxies(
    tmp_path, peer, forwarded, trusted, expected
) -> None:
    """Through the app as `create_app` wires it (uvicorn's ProxyHeadersMiddleware when
    TRUSTED_PROXIES is set): what a login failure records as the client address."""
    settings = make_settings(
        tmp_path, f"sqlite:///{tmp_path / 'proxy.db'}", trusted_proxies=trusted
    )

    upgrade_to_head(settings.database_url)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=(peer, 1234))

    async def login() -> None:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post(
                "/api/v1/auth/token",
                data={"username": "nobody@firm.example", "password": "x"},
                headers={"X-Forwarded-For": forwarded},
            )
            assert response.status_code == 401

    anyio.run(login)
    with app.state.core.database.sessions() as session:
        recorded = session.query(AuditEvent.client_ip).scalar()
    app.state.core.database.dispose()
    assert recorded == expected


def test_schema_behind_refuses_to_start(tmp_path) -> None:
    from lead_manager.core.migrations import SchemaBehindError
    from lead_manager.main import create_app

    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SchemaBehindError, match="lead-manager migrate"):
        create_app(settings)


def test_every_api_response_is_no_store(api, attorney, admin, public) -> None:
    responses = [
        attorney.client.get("/api/v1/users/me"),
        attorney.client.patch("/api/v1/users/me", json={"is_available": True}),
        admin.client.get("/api/v1/users"),
        admin.client.post(
            "/api/v1/users", json={"email": "n@firm.example", "password": "long enough pw"}
        ),
        public.post("/api/v1/auth/token", data={"username": attorney.email, "password": PASSWORD}),
        public.post("/api/v1/auth/token", data={"username": attorney.email, "password": "wrong"}),
        public.get("/api/v1/leads"),
        attorney.client.get("/api/v1/audit"),
    ]
    for response in responses:
        assert response.headers["cache-control"] == "no-store", response.request.url
