"""Setting a password hashes it (argon2, a deliberately slow quarter of a second) on the hashing
executor, before the request's writing transaction begins: on SQLite that transaction holds
the database's write lock, and every submission would wait for the hash behind it."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from lead_manager.core.security import PasswordHashing, create_password_reset_token
from lead_manager.users.models import User
from tests.auth.test_sessions import NEW_PASSWORD
from tests.conftest import PASSWORD, Account, LiveServer
from tests.web.pages import csrf_from, web_login


def write_lock_is_free(server: LiveServer) -> bool:
    """Whether another connection could begin writing this moment (SQLite's own lock)."""
    path = server.settings.database_url.split("///", 1)[1]
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


@pytest.fixture
def hashes_seen(api: LiveServer, backend: str, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each hash the executor computes, noted with whether the write lock was free then."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    hashing: PasswordHashing = api.services.passwords.hashing
    real_hash = hashing.hash
    seen: list[bool] = []

    async def noting_hash(password: str) -> str:
        seen.append(write_lock_is_free(api))
        return await real_hash(password)

    monkeypatch.setattr(hashing, "hash", noting_hash)
    return seen


def test_api_password_change(api: LiveServer, attorney: Account, hashes_seen: list[bool]) -> None:
    response = attorney.client.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 204, response.text
    assert hashes_seen == [True]


def test_page_password_change(api: LiveServer, attorney: Account, hashes_seen: list[bool]) -> None:
    client = web_login(api, attorney.email)
    token = csrf_from(client.get("/account").text)
    response = client.post(
        "/account/password",
        data={"csrf_token": token, "current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    client.close()
    assert response.status_code == 303, response.text
    assert hashes_seen == [True]


def test_password_reset(
    api: LiveServer, attorney: Account, public, hashes_seen: list[bool]
) -> None:
    with api.session() as session:
        version = session.get(User, attorney.id).session_version  # type: ignore[union-attr]
    expires = datetime.now(UTC) + timedelta(minutes=30)
    token = create_password_reset_token(attorney.id, version, expires, api.services.signing_key)
    response = public.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 204, response.text
    assert hashes_seen == [True]


def test_a_full_hashing_queue_is_503_with_retry_after(
    api: LiveServer, attorney: Account, public
) -> None:
    """As for logins: the API and the pages refuse at once rather than queue without bound,
    and nothing changes."""
    small = PasswordHashing(workers=1, queue_limit=0)
    services = api.services
    original = services.passwords.hashing
    object.__setattr__(services.passwords, "hashing", small)
    page_client = web_login(api, attorney.email)
    with api.session() as session:
        version = session.get(User, attorney.id).session_version  # type: ignore[union-attr]
    token = create_password_reset_token(
        attorney.id, version, datetime.now(UTC) + timedelta(minutes=30), services.signing_key
    )
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    try:
        with small.turn():  # the only place, taken
            api_change = attorney.client.post("/api/v1/users/me/password", json=change)
            csrf = csrf_from(page_client.get("/account").text)
            page_change = page_client.post("/account/password", data={"csrf_token": csrf, **change})
            reset = public.post(
                "/api/v1/auth/password-reset/confirm",
                json={"token": token, "new_password": NEW_PASSWORD},
            )
        for response in (api_change, page_change, reset):
            assert response.status_code == 503, response.text
            assert int(response.headers["retry-after"]) >= 1
        assert "Too many passwords are being checked" in page_change.text
        # Nothing changed: the old password still works, the token is still good.
        assert attorney.client.get("/api/v1/users/me").status_code == 200
    finally:
        object.__setattr__(services.passwords, "hashing", original)
        page_client.close()
        small.shutdown()
