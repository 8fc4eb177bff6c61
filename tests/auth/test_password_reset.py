"""Password reset by email: 202 whatever the address, a single-use link valid one hour, sent
through the outbox (read here from a real SMTP server), and every earlier session ends."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from lead_manager.audit.models import AuditEvent
from lead_manager.core.security import create_access_token, create_password_reset_token
from lead_manager.outbox.models import MessageKind, OutboxMessage
from lead_manager.users.models import Role
from tests.auth.test_sessions import NEW_PASSWORD, login_token, status_of
from tests.conftest import PASSWORD, Account, LiveServer, add_account, make_settings, start_server
from tests.notifications.mailserver import (
    Mailbox,
    dispatcher_for,
    outbox_rows,
    run_until,
    smtp_server,
    smtp_settings,
)

_LINK = re.compile(r"https://leads\.example\.test/reset-password\?token=[A-Za-z0-9._-]+")


def request_reset(client: httpx.Client, email: str) -> httpx.Response:
    return client.post("/api/v1/auth/password-reset", json={"email": email})


def confirm(client: httpx.Client, token: str, password: str = NEW_PASSWORD) -> httpx.Response:
    return client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": password}
    )


def reset_rows(api: LiveServer) -> list[OutboxMessage]:
    return [row for row in outbox_rows(api) if row.kind == MessageKind.PASSWORD_RESET.value]


def emailed_token(api: LiveServer, account: Account) -> str:
    """Deliver the outbox through a real SMTP server; the token from the link in the email."""
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        dispatcher = dispatcher_for(api, smtp_settings(api, port))
        run_until(dispatcher, lambda: mailbox.count() >= 1)
    (delivery,) = mailbox.snapshot()
    assert delivery.recipients == [account.email]
    assert "Reset your password" in str(delivery.message["Subject"])
    text = delivery.message.get_body(preferencelist=("plain",))
    html = delivery.message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    links = _LINK.findall(text.get_content())
    assert len(links) == 1 and links[0] in html.get_content()
    return parse_qs(urlsplit(links[0]).query)["token"][0]


def test_reset_by_email_sets_the_password_once_and_ends_sessions(
    api, attorney: Account, public
) -> None:
    other_session = login_token(api, attorney.email)
    assert request_reset(public, attorney.email.upper()).status_code == 202
    (row,) = reset_rows(api)
    # The id, the version and the expiry only: no secret waits in the outbox.
    assert set(row.payload) == {"user_id", "session_version", "expires_at"}
    assert row.payload["user_id"] == str(attorney.id)
    expires = datetime.fromtimestamp(row.payload["expires_at"], UTC)
    assert timedelta(minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=1)
    token = emailed_token(api, attorney)

    assert confirm(public, token).status_code == 204
    assert attorney.client.get("/api/v1/users/me").status_code == 401
    assert status_of(api, other_session) == 401
    assert status_of(api, login_token(api, attorney.email, NEW_PASSWORD)) == 200
    # Single use: the same link again is 400, and the password stays the one it set.
    again = confirm(public, token, "yet another horse and staple")
    assert again.status_code == 400 and "invalid or has expired" in again.json()["detail"]
    login_token(api, attorney.email, NEW_PASSWORD)
    with api.session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.target == str(attorney.id))
        ).all()
    assert {"user.password_reset_requested", "user.password_reset"} <= set(actions)


def test_unknown_and_inactive_addresses_get_the_same_answer_and_no_email(api, public) -> None:
    inactive = add_account(api, Role.ATTORNEY, active=False)
    unknown = request_reset(public, "nobody@firm.example")
    disabled = request_reset(public, inactive.email)
    assert unknown.status_code == disabled.status_code == 202
    assert unknown.content == disabled.content
    assert reset_rows(api) == []
    with api.session() as session:
        requests = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.password_reset_requested")
        ).all()
    assert len(requests) == 2


def test_malformed_request_is_422(api, public) -> None:
    assert public.post("/api/v1/auth/password-reset", json={}).status_code == 422
    assert request_reset(public, "not an address").status_code == 422


def test_forged_expired_and_wrong_kind_tokens_are_400(api, attorney: Account, public) -> None:
    key = api.services.signing_key
    in_an_hour = datetime.now(UTC) + timedelta(hours=1)
    valid = create_password_reset_token(attorney.id, 0, in_an_hour, key)
    tokens = {
        "other key": create_password_reset_token(attorney.id, 0, in_an_hour, "k" * 40),
        "expired": create_password_reset_token(
            attorney.id, 0, datetime.now(UTC) - timedelta(seconds=5), key
        ),
        "tampered": valid[:-3] + ("AAA" if not valid.endswith("AAA") else "BBB"),
        "access token": create_access_token(attorney.id, key, timedelta(minutes=5)).token,
        "old version": create_password_reset_token(attorney.id, 7, in_an_hour, key),
        "unknown user": create_password_reset_token(uuid.uuid4(), 0, in_an_hour, key),
        "garbage": "not-a-token",
    }
    for name, token in tokens.items():
        assert confirm(public, token).status_code == 400, name
    assert attorney.client.get("/api/v1/users/me").status_code == 200
    # A reset token is no access token either.
    assert status_of(api, valid) == 401


def test_weak_password_is_422_and_keeps_the_link(api, attorney: Account, public) -> None:
    key = api.services.signing_key
    token = create_password_reset_token(attorney.id, 0, datetime.now(UTC) + timedelta(hours=1), key)
    weak = confirm(public, token, "password1234")
    assert weak.status_code == 422 and weak.json()["detail"][0]["loc"][-1] == "new_password"
    assert confirm(public, token).status_code == 204


def test_a_password_change_voids_an_unused_link(api, attorney: Account, public) -> None:
    assert request_reset(public, attorney.email).status_code == 202
    token = emailed_token(api, attorney)
    changed = attorney.client.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204
    assert confirm(public, token, "yet another horse and staple").status_code == 400


def test_one_link_used_twice_at_the_same_moment_works_once(api, attorney: Account) -> None:
    token = create_password_reset_token(
        attorney.id, 0, datetime.now(UTC) + timedelta(hours=1), api.services.signing_key
    )
    barrier = threading.Barrier(2)
    results: list[int] = []

    def use(password: str) -> None:
        with api.client() as client:
            barrier.wait()
            results.append(confirm(client, token, password).status_code)

    threads = [
        threading.Thread(target=use, args=(p,))
        for p in (NEW_PASSWORD, "yet another horse and staple")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [204, 400]


@pytest.fixture
def throttled(tmp_path) -> Iterator[LiveServer]:
    from lead_manager.core.migrations import upgrade_to_head

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_to_head(url)
    server = start_server(
        make_settings(
            tmp_path, url, login_rate_limit="2/minute", login_address_rate_limit="3/minute"
        )
    )
    yield server
    server.stop()
    server.engine.dispose()


def test_reset_requests_are_rate_limited_like_logins(throttled: LiveServer) -> None:
    account = add_account(throttled, Role.ATTORNEY)
    with throttled.client() as client:
        assert [request_reset(client, account.email).status_code for _ in range(2)] == [202, 202]
        limited = request_reset(client, account.email)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
        # Per address too: another account from the same address, once, then refused.
        assert request_reset(client, "someone@firm.example").status_code == 202
        assert request_reset(client, "else@firm.example").status_code == 429
    with throttled.session() as session:
        sent = session.scalars(select(OutboxMessage)).all()
    assert len(sent) == 2
