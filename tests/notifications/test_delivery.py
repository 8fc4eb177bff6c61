"""A submitted lead's two emails, end to end through a real SMTP server; .eml mode; rendering."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from lead_manager.leads.models import Lead
from lead_manager.notifications.rendering import MailContext, create_environment, render
from lead_manager.outbox.models import MessageKind, OutboxStatus
from lead_manager.users.models import Role, User
from tests.conftest import Account, LiveServer, add_account, make_settings, start_server
from tests.intake import submit
from tests.notifications.mailserver import (
    Delivery,
    Mailbox,
    dispatcher_for,
    expected_message_id,
    outbox_rows,
    run_until,
    smtp_server,
    smtp_settings,
)


def parts(delivery: Delivery) -> tuple[str, str]:
    text = delivery.message.get_body(preferencelist=("plain",))
    html = delivery.message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, "both a text and an HTML part"
    return text.get_content(), html.get_content()


def by_recipient(deliveries: list[Delivery]) -> dict[str, Delivery]:
    return {d.recipients[0]: d for d in deliveries}


def test_embedded_dispatcher_delivers_both_emails(api: LiveServer, tmp_path: Path) -> None:
    """`serve` with its embedded dispatcher: submit, and both emails arrive by SMTP."""
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        settings = make_settings(
            tmp_path,
            api.settings.database_url,
            embedded_dispatcher=True,
            dispatcher_poll_seconds=0.05,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_starttls=False,
        )
        server = start_server(settings)
        try:
            attorney = add_account(server, Role.ATTORNEY, full_name="Alice Attorney")
            with server.client() as client:
                response = submit(
                    client, first_name="Jane", last_name="Doe", email="jane@example.com"
                )
            assert response.status_code == 201, response.text
            deliveries = mailbox.wait_for(2)
        finally:
            server.stop()
    lead_id = response.json()["id"]
    assert sorted(r for d in deliveries for r in d.recipients) == sorted(
        ["jane@example.com", attorney.email]
    )
    rows = outbox_rows(api)
    assert {r.status for r in rows} == {OutboxStatus.SENT.value}
    assert sorted(mailbox.message_ids()) == sorted(expected_message_id(r, settings) for r in rows)

    mails = by_recipient(deliveries)
    notification = mails[attorney.email]
    assert notification.message["Subject"] == "New lead: Jane Doe"
    assert notification.envelope_from == "intake@hale.example"
    assert "intake@hale.example" in notification.message["From"]
    text, html = parts(notification)
    link = f"https://leads.example.test/leads/{lead_id}"
    for body in (text, html):
        assert link in body
        assert "jane@example.com" in body and "Jane" in body and "Doe" in body
        assert "I was injured at work" in body

    acknowledgement = mails["jane@example.com"]
    assert "Hale & Partners LLP" in acknowledgement.message["Subject"]
    text, html = parts(acknowledgement)
    assert "Hale &amp; Partners LLP" in html and "Hale & Partners LLP" in text
    assert "What happens next" in text
    raw = acknowledgement.message.as_string()
    for internal in (attorney.email, lead_id, "/leads/", "Alice Attorney", "leads.example.test"):
        assert internal not in raw, f"the acknowledgement leaks {internal!r}"


def test_message_id_is_stable_across_redelivery(api: LiveServer, attorney: Account, public) -> None:
    """A message sent twice (a dispatcher that died before recording) keeps its Message-ID."""
    assert submit(public).status_code == 201
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        settings = smtp_settings(api, port)
        dispatcher = dispatcher_for(api, settings)
        run_until(dispatcher, lambda: mailbox.count() == 2)
        # Re-sending the same rows renders the same ids (what a re-delivery after a crash does).
        with api.session() as session:
            sent = [r for r in outbox_rows(api)]
            for row in sent:
                lead = session.get(Lead, uuid.UUID(row.payload["lead_id"]))
                user = (
                    session.get(User, uuid.UUID(row.payload["user_id"]))
                    if "user_id" in row.payload
                    else None
                )
                assert lead is not None
                again = render(
                    create_environment(),
                    MessageKind(row.kind),
                    row.id,
                    lead,
                    user,
                    MailContext(settings.firm_name, settings.email_from, settings.public_base_url),
                )
                assert again["Message-ID"] == expected_message_id(row, settings)
    assert sorted(mailbox.message_ids()) == sorted(expected_message_id(r, settings) for r in sent)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", "Jane\r\nBcc: victim@example.com"),
        ("last_name", "Doe\nX-Injected: yes"),
        ("email", "jane@example.com\r\nBcc: victim@example.com"),
        ("email", "jane@example.com, victim@example.com"),
        ("attorney_email", "alice@firm.example\r\nBcc: victim@example.com"),
    ],
)
def test_render_refuses_header_injection(field: str, value: str) -> None:
    lead = Lead(
        id=uuid.uuid4(),
        first_name="Jane",
        last_name="Doe",
        email="jane@example.com",
        message="Line one\r\nBcc: not-a-header@example.com",
    )
    attorney = User(id=uuid.uuid4(), email="alice@firm.example", full_name="Alice")
    if field == "attorney_email":
        attorney.email = value
    else:
        setattr(lead, field, value)
    context = MailContext(
        "Hale & Partners LLP", "intake@hale.example", "https://leads.example.test"
    )
    # The names are in the notification's Subject; the prospect's address is the acknowledgement's To.
    kind = (
        MessageKind.LEAD_ACKNOWLEDGEMENT if field == "email" else MessageKind.ATTORNEY_NOTIFICATION
    )
    with pytest.raises(ValueError):
        render(create_environment(), kind, uuid.uuid4(), lead, attorney, context)


def test_newlines_in_the_message_stay_in_the_body() -> None:
    lead = Lead(
        id=uuid.uuid4(),
        first_name="Jane",
        last_name="Doe",
        email="jane@example.com",
        message="Line one\r\nBcc: victim@example.com",
        resume_filename="cv.pdf",
        resume_size=10,
    )
    attorney = User(id=uuid.uuid4(), email="alice@firm.example", full_name="Alice")
    context = MailContext(
        "Hale & Partners LLP", "intake@hale.example", "https://leads.example.test"
    )
    email = render(
        create_environment(),
        MessageKind.ATTORNEY_NOTIFICATION,
        uuid.uuid4(),
        lead,
        attorney,
        context,
    )
    parsed = message_from_bytes(email.as_bytes(), policy=default)
    assert parsed["Bcc"] is None
    assert parsed.get_all("To") == ["alice@firm.example"]


def test_unrenderable_message_fails_alone(api: LiveServer, attorney: Account, public) -> None:
    """A row that can never be rendered is failed at once; the rest of the batch still goes."""
    assert submit(public).status_code == 201
    with api.session() as session:
        user = session.get(User, attorney.id)
        assert user is not None
        user.email = "alice@firm.example, victim@example.com"  # bypassing the API's validation
        session.commit()
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        dispatcher = dispatcher_for(api, smtp_settings(api, port))
        run_until(
            dispatcher, lambda: all(r.status != OutboxStatus.PENDING for r in outbox_rows(api))
        )
    status = {r.kind: (r.status, r.last_error) for r in outbox_rows(api)}
    assert status[MessageKind.LEAD_ACKNOWLEDGEMENT][0] == OutboxStatus.SENT
    failed, error = status[MessageKind.ATTORNEY_NOTIFICATION]
    assert failed == OutboxStatus.FAILED and error and "cannot render" in error
    assert [d.recipients for d in mailbox.snapshot()] == [["jane.doe@example.com"]]


def test_request_id_reaches_the_email_sent_log_line(
    api: LiveServer, attorney: Account, public, caplog: pytest.LogCaptureFixture
) -> None:
    response = submit(public, headers={"X-Request-ID": "req-notify-4711"})
    assert response.status_code == 201
    assert response.headers["x-request-id"] == "req-notify-4711"
    mailbox = Mailbox()
    caplog.set_level(logging.INFO)
    with smtp_server(mailbox) as port:
        run_until(dispatcher_for(api, smtp_settings(api, port)), lambda: mailbox.count() == 2)
    sent = [
        r.msg
        for r in caplog.records
        if isinstance(r.msg, dict) and r.msg.get("event") == "email sent"
    ]
    assert len(sent) == 2
    assert sorted(line["to"] for line in sent) == sorted(
        ["j***@example.com", f"a***@{attorney.email.partition('@')[2]}"]
    )
    for line in sent:
        assert line["request_id"] == "req-notify-4711"
        assert line["message_id"] in mailbox.message_ids()
        assert "jane.doe@" not in json.dumps(line, default=str), "addresses are masked in logs"


def worker_environment(database_url: str, **extra: str) -> dict[str, str]:
    """A clean environment for a `lead-manager worker` subprocess (no inherited SMTP_* etc.)."""
    keep = {
        k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    }
    keep.update(
        DATABASE_URL=database_url,
        LOG_FORMAT="json",
        EMAIL_FROM="intake@hale.example",
        PUBLIC_BASE_URL="https://leads.example.test",
        FIRM_NAME="Hale & Partners LLP",
        # Off unless a test asks (it is due from 08:00 every day, whenever the suite runs).
        DIGEST_TIME="",
    )
    keep.update(extra)
    return keep


def worker_command() -> list[str]:
    return [str(Path(sys.executable).with_name("lead-manager")), "worker"]


def test_without_smtp_host_emails_become_eml_files(
    api: LiveServer, attorney: Account, public, tmp_path: Path
) -> None:
    """A newcomer without a mail server: a worker writes .eml files to MAIL_DIR and says so."""
    response = submit(public)
    assert response.status_code == 201
    mail_dir = tmp_path / "outgoing"
    log_path = tmp_path / "worker.log"
    env = worker_environment(
        api.settings.database_url,
        MAIL_DIR=str(mail_dir),
        DISPATCHER_POLL_SECONDS="0.05",
        LOG_LEVEL="INFO",
    )
    with log_path.open("wb") as log_file:
        worker = subprocess.Popen(
            worker_command(), env=env, cwd=tmp_path, stderr=log_file, stdout=log_file
        )
        try:
            deadline = time.monotonic() + 30
            while (
                len(list(mail_dir.glob("*.eml"))) < 2
                and time.monotonic() < deadline
                and worker.poll() is None
            ):
                time.sleep(0.05)
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=15) == 0
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    notices = [line for line in lines if "SMTP_HOST is not set" in line["event"]]
    assert notices and notices[0]["level"] == "warning"
    assert notices[0]["mail_dir"] == str(mail_dir.resolve())

    rows = outbox_rows(api)
    assert sorted(p.name for p in mail_dir.glob("*.eml")) == sorted(f"{r.id}.eml" for r in rows)
    assert {r.status for r in rows} == {OutboxStatus.SENT.value}
    emails = {
        row.kind: message_from_bytes((mail_dir / f"{row.id}.eml").read_bytes(), policy=default)
        for row in rows
    }
    acknowledgement = emails[MessageKind.LEAD_ACKNOWLEDGEMENT]
    notification = emails[MessageKind.ATTORNEY_NOTIFICATION]
    assert acknowledgement["To"].addresses[0].addr_spec == "jane.doe@example.com"
    assert notification["To"].addresses[0].addr_spec == attorney.email
    html = notification.get_body(preferencelist=("html",))
    assert html is not None
    assert f"https://leads.example.test/leads/{response.json()['id']}" in html.get_content()
