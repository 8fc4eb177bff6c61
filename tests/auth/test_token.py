"""POST /api/v1/auth/token and bearer-token checks."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from sqlalchemy import update

from lead_manager.core.security import create_access_token
from lead_manager.users.models import Role, User
from tests.conftest import PASSWORD, LiveServer, add_account, make_settings, start_server


def login(client, email: str, password: str):
    return client.post("/api/v1/auth/token", data={"username": email, "password": password})


def test_login_returns_a_bearer_token_that_works(api, attorney, public) -> None:
    response = login(public, attorney.email, PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 30 * 60
    me = public.get("/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["id"] == str(attorney.id)
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert {"sub", "exp", "iat"} <= set(claims)
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"


def test_email_is_case_insensitive(api, attorney, public) -> None:
    assert login(public, attorney.email.upper(), PASSWORD).status_code == 200


def test_unknown_email_and_wrong_password_look_the_same(api, attorney, public) -> None:
    wrong = login(public, attorney.email, "not the password")
    unknown = login(public, "nobody@firm.example", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"] == "Bearer"


def test_inactive_user_cannot_log_in(api, public) -> None:
    account = add_account(api, Role.ATTORNEY, active=False)
    assert login(public, account.email, PASSWORD).status_code == 401


def test_missing_form_fields_are_422(api, public) -> None:
    assert public.post("/api/v1/auth/token", data={"username": "x@y.z"}).status_code == 422
    assert (
        public.post("/api/v1/auth/token", json={"username": "a", "password": "b"}).status_code
        == 422
    )


def test_overlong_credentials_are_refused_cleanly(api, public) -> None:
    assert login(public, "a" * 5000 + "@x.com", "p" * 5000).status_code in (401, 422)


def test_control_characters_in_the_email_are_a_plain_401(api, attorney, public) -> None:
    # PostgreSQL refuses NUL in text outright; the lookup must not even be tried.
    for username in (attorney.email + "\x00", "a\x00b@firm.example", "x\u202e@firm.example"):
        response = login(public, username, PASSWORD)
        assert response.status_code == 401, username
        assert response.json() == {"detail": "Incorrect email or password."}


def test_bcrypt_hash_imported_from_another_system_verifies(api, public) -> None:
    import bcrypt

    account = add_account(api, Role.ATTORNEY)
    legacy = bcrypt.hashpw(b"legacy password 123", bcrypt.gensalt(rounds=4)).decode()
    with api.session() as session:
        session.execute(update(User).where(User.id == account.id).values(password_hash=legacy))
        session.commit()
    assert login(public, account.email, "legacy password 123").status_code == 200
    assert login(public, account.email, "wrong").status_code == 401


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def forged_tokens(server: LiveServer, user_id: uuid.UUID) -> dict[str, str]:
    now = datetime.now(UTC)
    key = server.services.signing_key
    claims = {"sub": str(user_id), "iat": now, "typ": "access"}
    return {
        "expired": jwt.encode(claims | {"exp": now - timedelta(seconds=5)}, key, algorithm="HS256"),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({'sub': str(user_id), 'iat': int(time.time()), 'exp': int(time.time()) + 600, 'typ': 'access'})}.",
        "wrong key": jwt.encode(
            claims | {"exp": now + timedelta(minutes=5)}, "another-key" * 4, algorithm="HS256"
        ),
        "HS512": jwt.encode(
            claims | {"exp": now + timedelta(minutes=5)}, key * 2, algorithm="HS512"
        ),
        "no exp": jwt.encode(claims, key, algorithm="HS256"),
        "not a uuid sub": jwt.encode(
            claims | {"sub": "admin", "exp": now + timedelta(minutes=5)}, key, algorithm="HS256"
        ),
        "unknown user": jwt.encode(
            claims | {"sub": str(uuid.uuid4()), "exp": now + timedelta(minutes=5)},
            key,
            algorithm="HS256",
        ),
        "garbage": "not.a.token",
    }


def test_forged_expired_and_malformed_tokens_are_401(api, attorney, public) -> None:
    for name, token in forged_tokens(api, attorney.id).items():
        response = public.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.headers["www-authenticate"] == "Bearer", name
    for header in ("Basic dXNlcjpwYXNz", "Bearer", "bearer  x y", attorney.token):
        assert public.get("/api/v1/users/me", headers={"Authorization": header}).status_code == 401


def test_deactivating_a_user_invalidates_their_tokens(api, attorney, admin) -> None:
    assert attorney.client.get("/api/v1/leads").status_code == 200
    assert (
        admin.client.patch(f"/api/v1/users/{attorney.id}", json={"is_active": False}).status_code
        == 200
    )
    assert attorney.client.get("/api/v1/leads").status_code == 401


def test_token_lifetime_follows_settings(api) -> None:
    token = create_access_token(uuid.uuid4(), "k" * 40, timedelta(minutes=7))
    assert token.expires_in == 420


def test_repeated_failures_are_429_with_retry_after_per_account(api, attorney, public) -> None:
    throttle = api.services.authenticator.throttle
    limiter = throttle.limiter
    original = throttle.per_account
    object.__setattr__(throttle, "per_account", limiter.limit("login-account", "3/minute"))
    try:
        codes = [login(public, attorney.email, "bad").status_code for _ in range(3)]
        assert codes == [401, 401, 401]
        blocked = login(public, attorney.email, PASSWORD)
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) >= 1
    finally:
        object.__setattr__(throttle, "per_account", original)


@pytest.fixture(scope="module")
def proxied_server(tmp_path_factory) -> Iterator[LiveServer]:
    """A server behind a trusted proxy (127.0.0.1), so tests can speak for several client IPs."""
    from lead_manager.core.migrations import upgrade_to_head

    directory = tmp_path_factory.mktemp("proxied")
    url = f"sqlite:///{directory / 'db.sqlite'}"
    upgrade_to_head(url)
    server = start_server(
        make_settings(
            directory,
            url,
            trusted_proxies=["127.0.0.1"],
            login_rate_limit="3/minute",
            login_address_rate_limit="6/minute",
        )
    )
    yield server
    server.stop()


def test_failures_from_elsewhere_cannot_lock_a_user_out(proxied_server) -> None:
    account = add_account(proxied_server, Role.ATTORNEY)
    with proxied_server.client() as client:
        attacker = {"X-Forwarded-For": "203.0.113.7"}
        for _ in range(3):
            client.post(
                "/api/v1/auth/token",
                data={"username": account.email, "password": "x"},
                headers=attacker,
            )
        blocked = client.post(
            "/api/v1/auth/token",
            data={"username": account.email, "password": PASSWORD},
            headers=attacker,
        )
        assert blocked.status_code == 429
        # The real user, from their own address, still gets in.
        victim = {"X-Forwarded-For": "198.51.100.20"}
        ok = client.post(
            "/api/v1/auth/token",
            data={"username": account.email, "password": PASSWORD},
            headers=victim,
        )
        assert ok.status_code == 200


def test_one_address_spraying_many_accounts_is_limited(proxied_server) -> None:
    with proxied_server.client() as client:
        sprayer = {"X-Forwarded-For": "192.0.2.99"}
        codes = [
            client.post(
                "/api/v1/auth/token",
                data={"username": f"user{i}@firm.example", "password": "x"},
                headers=sprayer,
            ).status_code
            for i in range(7)
        ]
        assert codes[:6] == [401] * 6 and codes[6] == 429


def test_untrusted_peer_cannot_spoof_forwarded_for(api, attorney, public) -> None:
    """The default server trusts no proxy: X-Forwarded-For must not reset the per-address count."""
    throttle = api.services.authenticator.throttle
    original = throttle.per_account
    object.__setattr__(throttle, "per_account", throttle.limiter.limit("login-account", "2/minute"))
    try:
        for index in range(2):
            login_response = public.post(
                "/api/v1/auth/token",
                data={"username": attorney.email, "password": "x"},
                headers={"X-Forwarded-For": f"10.9.9.{index}"},
            )
            assert login_response.status_code == 401
        spoofed = public.post(
            "/api/v1/auth/token",
            data={"username": attorney.email, "password": PASSWORD},
            headers={"X-Forwarded-For": "10.9.9.200"},
        )
        assert spoofed.status_code == 429
    finally:
        object.__setattr__(throttle, "per_account", original)
