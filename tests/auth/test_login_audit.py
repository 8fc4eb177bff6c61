"""Logging in reads the account outside the request's writing transaction; the audit still commits."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from lead_manager.audit.models import AuditAction, AuditEvent
from tests.conftest import PASSWORD, Account, LiveServer


def _actions(api: LiveServer) -> list[tuple[str, object]]:
    with api.session() as session:
        return [
            (e.action, e.actor) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.at))
        ]


def test_login_issues_a_working_token_and_records_success(
    api: LiveServer, attorney: Account, public: httpx.Client
) -> None:
    response = public.post(
        "/api/v1/auth/token", data={"username": attorney.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    with api.client(token) as client:
        assert client.get("/api/v1/users/me").json()["id"] == str(attorney.id)
    assert _actions(api) == [(AuditAction.LOGIN_SUCCEEDED.value, attorney.id)]


def test_wrong_password_and_unknown_email_are_401_and_audited(
    api: LiveServer, attorney: Account, public: httpx.Client
) -> None:
    for username in (attorney.email, "nobody@firm.example"):
        response = public.post(
            "/api/v1/auth/token", data={"username": username, "password": "x" * 12}
        )
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert _actions(api) == [(AuditAction.LOGIN_FAILED.value, None)] * 2
