"""The SMTP server down, refusing, demanding TLS or a login: handled, logged, retried, not lost."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from lead_manager.core.db import utcnow
from lead_manager.outbox.models import MessageKind, OutboxStatus
from tests.conftest import Account, LiveServer
from tests.intake import submit
from tests.notifications.mailserver import (
    Mailbox,
    dispatcher_for,
    expected_message_id,
    outbox_rows,
    run_until,
    self_signed_certificate,
    server_tls_context,
    smtp_server,
    smtp_settings,
)
from tests.processes import free_port


def events(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event") == name]


def all_sent(api: LiveServer) -> bool:
    return all(r.status == OutboxStatus.SENT for r in outbox_rows(api))


def test_smtp_down_then_up_loses_nothing(
    api: LiveServer, attorney: Account, public, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()  # nothing listens here yet
    settings = smtp_settings(api, port)
    dispatcher = dispatcher_for(api, settings)
    caplog.set_level(logging.INFO)
    responses = [submit(public, email=f"prospect{i}@example.com") for i in range(3)]
    assert [r.status_code for r in responses] == [201, 201, 201]

    before = utcnow()
    assert dispatcher.run_once() == 6
    rows = outbox_rows(api)
    assert len(rows) == 6
    for row in rows:
        assert row.status == OutboxStatus.PENDING
        assert row.attempts == 1
        assert row.last_error and "ConnectionRefusedError" in row.last_error
        assert row.available_at > before, "the retry waits (backoff)"
        assert row.locked_by is None
    assert events(caplog, "mail transport unavailable")[0].levelno == logging.WARNING

    mailbox = Mailbox()
    with smtp_server(mailbox, port=port):
        run_until(dispatcher, lambda: all_sent(api))
    assert sorted(mailbox.message_ids()) == sorted(expected_message_id(r, settings) for r in rows)
    assert sorted(r for d in mailbox.snapshot() for r in d.recipients) == sorted(
        [f"prospect{i}@example.com" for i in range(3)] + [attorney.email] * 3
    )


def test_temporary_refusal_is_retried(
    api: LiveServer, attorney: Account, public, caplog: pytest.LogCaptureFixture
) -> None:
    mailbox = Mailbox(reply=lambda _address: "451 4.3.0 Mailbox busy, try again later")
    caplog.set_level(logging.INFO)
    assert submit(public).status_code == 201
    with smtp_server(mailbox) as port:
        settings = smtp_settings(api, port)
        dispatcher = dispatcher_for(api, settings)
        assert dispatcher.run_once() == 2
        rows = outbox_rows(api)
        assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.PENDING, 1)}
        assert all("451" in (r.last_error or "") for r in rows)
        assert len(events(caplog, "email attempt failed")) == 2
        mailbox.reply = lambda _address: None  # the server recovers
        run_until(dispatcher, lambda: all_sent(api))
    assert mailbox.count() == 2
    assert {r.attempts for r in outbox_rows(api)} == {2}


def test_permanent_refusal_fails_that_message_and_logs_an_error(
    api: LiveServer, attorney: Account, public, caplog: pytest.LogCaptureFixture
) -> None:
    mailbox = Mailbox(
        reply=lambda address: "550 5.1.1 No such user" if address.startswith("nobody") else None
    )
    caplog.set_level(logging.INFO)
    assert submit(public, email="nobody@example.com").status_code == 201
    with smtp_server(mailbox) as port:
        run_until(
            dispatcher_for(api, smtp_settings(api, port)),
            lambda: all(r.status != OutboxStatus.PENDING for r in outbox_rows(api)),
        )
    status = {r.kind: r for r in outbox_rows(api)}
    refused = status[MessageKind.LEAD_ACKNOWLEDGEMENT]
    assert (refused.status, refused.attempts) == (OutboxStatus.FAILED, 1)
    assert refused.last_error and "550" in refused.last_error
    assert status[MessageKind.ATTORNEY_NOTIFICATION].status == OutboxStatus.SENT
    assert [d.recipients for d in mailbox.snapshot()] == [[attorney.email]]
    failed = events(caplog, "email failed permanently")
    assert len(failed) == 1 and failed[0].levelno == logging.ERROR
    assert failed[0].msg["outbox_id"] == str(refused.id)


def test_gives_up_after_the_attempt_limit(api: LiveServer, attorney: Account, public) -> None:
    mailbox = Mailbox(reply=lambda _address: "421 4.7.0 Try again later")
    assert submit(public).status_code == 201
    with smtp_server(mailbox) as port:
        run_until(
            dispatcher_for(api, smtp_settings(api, port, dispatcher_max_attempts=3)),
            lambda: all(r.status == OutboxStatus.FAILED for r in outbox_rows(api)),
        )
    assert {r.attempts for r in outbox_rows(api)} == {3}
    assert mailbox.count() == 0


def test_starttls_required_but_not_offered(
    api: LiveServer, attorney: Account, public, caplog: pytest.LogCaptureFixture
) -> None:
    """SMTP_STARTTLS=true against a plain server: refuse to send in clear text, retry later."""
    mailbox = Mailbox()
    caplog.set_level(logging.INFO)
    assert submit(public).status_code == 201
    with smtp_server(mailbox) as port:
        dispatcher = dispatcher_for(api, smtp_settings(api, port, smtp_starttls=True))
        run_until(dispatcher, lambda: {r.attempts for r in outbox_rows(api)} == {2})
    rows = outbox_rows(api)
    assert {r.status for r in rows} == {OutboxStatus.PENDING}
    assert all("STARTTLS" in (r.last_error or "") for r in rows)
    assert mailbox.count() == 0
    assert events(caplog, "mail transport unavailable")


def test_starttls_and_login(
    api: LiveServer, attorney: Account, public, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A provider-like server: STARTTLS with a certificate we trust, then AUTH."""
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client's default context trusts it
    mailbox = Mailbox()
    assert submit(public).status_code == 201
    with smtp_server(
        mailbox,
        tls_context=server_tls_context(cert, key),
        require_starttls=True,
        authenticator=mailbox.authenticator("s3cret-app-password"),
        auth_required=True,
    ) as port:
        settings = smtp_settings(
            api,
            port,
            smtp_starttls=True,
            smtp_username="postmark-token",
            smtp_password="s3cret-app-password",
        )
        run_until(dispatcher_for(api, settings), lambda: all_sent(api))
    assert mailbox.count() == 2
    assert mailbox.logins == ["postmark-token"]  # one connection, one login for the batch


def test_untrusted_certificate_is_refused(
    api: LiveServer, attorney: Account, public, tmp_path: Path
) -> None:
    cert, key = self_signed_certificate(tmp_path)  # not trusted by the client this time
    mailbox = Mailbox()
    assert submit(public).status_code == 201
    with smtp_server(
        mailbox, tls_context=server_tls_context(cert, key), require_starttls=True
    ) as port:
        dispatcher = dispatcher_for(api, smtp_settings(api, port, smtp_starttls=True))
        assert dispatcher.run_once() == 2
    rows = outbox_rows(api)
    assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.PENDING, 1)}
    assert all("CERTIFICATE_VERIFY_FAILED" in (r.last_error or "") for r in rows)
    assert mailbox.count() == 0


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_wrong_password_is_handled_and_retried(
    api: LiveServer, attorney: Account, public, caplog: pytest.LogCaptureFixture
) -> None:
    mailbox = Mailbox()
    caplog.set_level(logging.INFO)
    assert submit(public).status_code == 201
    with smtp_server(
        mailbox,
        authenticator=mailbox.authenticator("right"),
        auth_required=True,
        auth_require_tls=False,
    ) as port:
        wrong = smtp_settings(api, port, smtp_username="leads", smtp_password="wrong")
        assert dispatcher_for(api, wrong).run_once() == 2
        rows = outbox_rows(api)
        assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.PENDING, 1)}
        assert all("SMTPAuthenticationError" in (r.last_error or "") for r in rows)
        assert mailbox.count() == 0
        # The operator fixes the password: the same messages go out.
        right = smtp_settings(api, port, smtp_username="leads", smtp_password="right")
        run_until(dispatcher_for(api, right), lambda: all_sent(api))
    assert mailbox.count() == 2
    assert not any("right" in str(r.msg) or "wrong" in str(r.msg) for r in caplog.records)


def test_refusals_keep_no_full_address_in_the_log_or_the_outbox(
    api: LiveServer, attorney: Account, public, caplog: pytest.LogCaptureFixture
) -> None:
    """Servers quote the refused address, and smtplib puts it in the exception's key too."""
    prospect = "jane.prospect@example.org"
    mailbox = Mailbox(
        reply=lambda address: (
            f"550 5.1.1 <{address}>: Recipient address rejected"
            if address == prospect
            else f"451 4.2.0 <{address}> greylisted, try later"
        )
    )
    caplog.set_level(logging.INFO)
    assert submit(public, email=prospect).status_code == 201
    with smtp_server(mailbox) as port:
        assert dispatcher_for(api, smtp_settings(api, port)).run_once() == 2
    errors = [row.last_error or "" for row in outbox_rows(api)]
    assert any("550" in e for e in errors) and any("451" in e for e in errors)
    logged = "\n".join(str(record.msg) for record in caplog.records)
    for text in [*errors, logged]:
        assert prospect not in text and attorney.email not in text
    assert any("j***@example.org" in e for e in errors)
    assert "j***@example.org" in logged
