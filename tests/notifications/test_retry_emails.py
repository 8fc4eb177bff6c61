"""`lead-manager retry-emails`: the emails given up on are listed, sent again, and only once."""

from __future__ import annotations

from pathlib import Path

from lead_manager.outbox.models import MessageKind, OutboxStatus
from tests.conftest import Account, LiveServer
from tests.intake import submit
from tests.notifications.mailserver import (
    Mailbox,
    dispatcher_for,
    outbox_rows,
    run_until,
    smtp_server,
    smtp_settings,
)
from tests.serve_process import run_cli, serve_environment


def test_failed_emails_are_listed_and_sent_again(
    api: LiveServer, attorney: Account, public, tmp_path: Path
) -> None:
    # The mail server refuses the prospect's address until it is "fixed".
    refusing = True
    mailbox = Mailbox(
        reply=lambda address: (
            "550 5.1.1 No such user" if refusing and address.startswith("nobody") else None
        )
    )
    assert submit(public, email="nobody@example.com").status_code == 201
    env = serve_environment(tmp_path, DATABASE_URL=api.settings.database_url)
    with smtp_server(mailbox) as port:
        dispatcher = dispatcher_for(api, smtp_settings(api, port))
        run_until(
            dispatcher, lambda: all(r.status != OutboxStatus.PENDING for r in outbox_rows(api))
        )
        (failed,) = [r for r in outbox_rows(api) if r.status == OutboxStatus.FAILED]
        assert failed.kind == MessageKind.LEAD_ACKNOWLEDGEMENT

        listing = run_cli(tmp_path, env, "retry-emails", "--list")
        assert str(failed.id) in listing and "550" in listing
        assert "1 failed email(s)" in listing
        assert {r.id: r for r in outbox_rows(api)}[failed.id].status == OutboxStatus.FAILED

        refusing = False
        assert "re-queued 1 failed email(s)" in run_cli(tmp_path, env, "retry-emails")
        again = {r.id: r for r in outbox_rows(api)}[failed.id]
        assert (again.status, again.attempts) == (OutboxStatus.PENDING, 0)

        run_until(dispatcher, lambda: all(r.status == OutboxStatus.SENT for r in outbox_rows(api)))
    recipients = sorted(r for d in mailbox.snapshot() for r in d.recipients)
    assert recipients == sorted([attorney.email, "nobody@example.com"])
    assert "re-queued 0 failed email(s)" in run_cli(tmp_path, env, "retry-emails")
