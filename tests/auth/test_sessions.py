"""Sessions that end: logout revokes a token, a password change ends every earlier session, and
recognising a token costs one query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from lead_manager.audit.models import AuditEvent
from lead_manager.auth.models import RevokedToken
from lead_manager.core.security import create_access_token
from lead_manager.users.models import Role, User
from tests.conftest import PASSWORD, Account, LiveServer, add_account
from tests.web.pages import csrf_from, web_login

NEW_PASSWORD = "a different horse on another staple"


def login_token(server: LiveServer, email: str, password: str = PASSWORD) -> str:
    with server.client() as client:
        response = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def status_of(server: LiveServer, token: str) -> int:
    """The token's standing, asked both ways a request is authenticated: through the ORM user
    (/users/me) and through the event loop's read (the lead list). They must agree."""
    with server.client(token) as client:
        me = client.get("/api/v1/users/me").status_code
        leads = client.get("/api/v1/leads").status_code
    assert me == leads, (me, leads)
    return me


def test_logout_ends_that_token_at_once_and_only_that_one(api, attorney: Account) -> None:
    first, second = login_token(api, attorney.email), login_token(api, attorney.email)
    with api.client(first) as client:
        assert client.post("/api/v1/auth/logout").status_code == 204
    assert status_of(api, first) == 401
    with api.client(first) as client:
        assert client.post("/api/v1/auth/logout").status_code == 401
    assert status_of(api, second) == 200


def test_logout_needs_a_valid_token(api, public) -> None:
    assert public.post("/api/v1/auth/logout").status_code == 401
    bogus = {"Authorization": "Bearer not.a.token"}
    assert public.post("/api/v1/auth/logout", headers=bogus).status_code == 401


def test_revocations_of_expired_tokens_are_forgotten(api, attorney: Account) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    with api.session() as session:
        session.add(RevokedToken(jti="expired-one", expires_at=long_ago))
        session.commit()
    assert attorney.client.post("/api/v1/auth/logout").status_code == 204
    with api.session() as session:
        jtis = set(session.scalars(select(RevokedToken.jti)))
    assert "expired-one" not in jtis and len(jtis) == 1


def test_recognising_a_token_is_one_query(api, attorney: Account) -> None:
    """The user, their session version and the revocation check come in one SELECT."""
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(api.engine, "before_cursor_execute", seen)
    try:
        assert attorney.client.get("/api/v1/users/me").status_code == 200
    finally:
        event.remove(api.engine, "before_cursor_execute", seen)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, selects
    assert "revoked_tokens" in selects[0] and "users" in selects[0]


def test_tokens_without_a_session_version_are_refused(api, attorney: Account) -> None:
    import jwt

    now = datetime.now(UTC)
    claims = {"sub": str(attorney.id), "iat": now, "exp": now + timedelta(minutes=5)}
    old_style = jwt.encode({**claims, "typ": "access"}, api.services.signing_key, "HS256")
    assert status_of(api, old_style) == 401


def change_password(client, current: str, new: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/users/me/password", json={"current_password": current, "new_password": new}
    )


def test_password_change_checks_the_current_and_the_new_password(api, attorney: Account) -> None:
    assert change_password(attorney.client, "not my password", NEW_PASSWORD).status_code == 400
    weak = change_password(attorney.client, PASSWORD, "password1234")
    assert weak.status_code == 422 and weak.json()["detail"][0]["loc"][-1] == "new_password"
    assert change_password(attorney.client, PASSWORD, "short").status_code == 422
    # Nothing changed: the token still works and the old password still logs in.
    assert attorney.client.get("/api/v1/users/me").status_code == 200
    login_token(api, attorney.email, PASSWORD)


def test_password_change_ends_every_earlier_session(api, attorney: Account) -> None:
    other = login_token(api, attorney.email)
    page = web_login(api, attorney.email)
    assert change_password(attorney.client, PASSWORD, NEW_PASSWORD).status_code == 204
    # The caller's token, another API token and a web session: all 401 / signed out.
    assert status_of(api, attorney.token) == 401
    assert status_of(api, other) == 401
    assert page.get("/account").status_code in (303, 401)
    page.close()
    with api.client() as client:
        old = client.post(
            "/api/v1/auth/token", data={"username": attorney.email, "password": PASSWORD}
        )
    assert old.status_code == 401
    assert status_of(api, login_token(api, attorney.email, NEW_PASSWORD)) == 200
    with api.session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.target == str(attorney.id))
        ).all()
    assert "user.password_changed" in actions


def test_deactivation_still_ends_sessions(api, attorney: Account, admin: Account) -> None:
    response = admin.client.patch(f"/api/v1/users/{attorney.id}", json={"is_active": False})
    assert response.status_code == 200
    assert status_of(api, attorney.token) == 401


def test_web_logout_revokes_the_session_on_the_server(api, attorney: Account) -> None:
    client = web_login(api, attorney.email)
    stolen = dict(client.cookies)
    assert client.get("/account").status_code == 200
    token = csrf_from(client.get("/logout").text)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    client.close()
    with api.client() as copy:
        copy.cookies.update(stolen)
        replay = copy.get("/account")
    assert replay.status_code == 303 and replay.headers["location"].startswith("/login")


def test_web_password_change_keeps_this_browser_signed_in(api, attorney: Account) -> None:
    client = web_login(api, attorney.email)
    other_browser = web_login(api, attorney.email)
    token = csrf_from(client.get("/account").text)
    wrong = client.post(
        "/account/password",
        data={"csrf_token": token, "current_password": "nope", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 400 and "not correct" in wrong.text
    weak = client.post(
        "/account/password",
        data={"csrf_token": token, "current_password": PASSWORD, "new_password": "password1234"},
    )
    assert weak.status_code == 422 and "too common" in weak.text
    no_token = client.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert no_token.status_code == 403
    done = client.post(
        "/account/password",
        data={"csrf_token": token, "current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/account")
    page = client.get(done.headers["location"])
    assert page.status_code == 200 and "Your password has been changed" in page.text
    assert other_browser.get("/account").status_code == 303
    assert attorney.client.get("/api/v1/users/me").status_code == 401
    client.close()
    other_browser.close()


@pytest.mark.parametrize("version", [0, 1])
def test_tokens_name_the_session_version(api, version: int) -> None:
    account = add_account(api, Role.ATTORNEY)
    with api.session() as session:
        session.get(User, account.id).session_version = 1  # type: ignore[union-attr]
        session.commit()
    token = create_access_token(
        account.id, api.services.signing_key, timedelta(minutes=5), session_version=version
    ).token
    assert status_of(api, token) == (200 if version == 1 else 401)
    with api.session() as session:
        assert session.scalar(select(func.count()).select_from(RevokedToken)) == 0
