"""The admins' alert for a lead no attorney could take names the resume as the attorney's
notification does (one wording), through a real SMTP server."""

from __future__ import annotations

from lead_manager.users.models import Role
from tests.conftest import LiveServer, add_account
from tests.intake import submit
from tests.notifications.mailserver import (
    Delivery,
    Mailbox,
    dispatcher_for,
    run_until,
    smtp_server,
    smtp_settings,
)


def bodies(delivery: Delivery) -> tuple[str, str]:
    text = delivery.message.get_body(preferencelist=("plain",))
    html = delivery.message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def deliver(api: LiveServer, count: int) -> dict[str, Delivery]:
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        run_until(dispatcher_for(api, smtp_settings(api, port)), lambda: mailbox.count() == count)
    return {d.recipients[0]: d for d in mailbox.snapshot()}


def test_the_unassigned_alert_has_the_attorneys_resume_line(api: LiveServer, public) -> None:
    admin = add_account(api, Role.ADMIN)
    assert submit(public, filename="Jane Doe CV.pdf", email="jane@example.com").is_success
    alert = deliver(api, 2)[admin.email]
    assert alert.message["Subject"].startswith("Unassigned lead:")
    text, html = bodies(alert)

    # The same lead, assigned this time: the attorney's notification.
    attorney = add_account(api, Role.ATTORNEY)
    assert submit(public, filename="Jane Doe CV.pdf", email="jane2@example.com").is_success
    notification = deliver(api, 2)[attorney.email]
    attorney_text, attorney_html = bodies(notification)

    (resume_line,) = [line for line in attorney_text.splitlines() if line.startswith("Resume:")]
    assert resume_line.startswith("Resume:  Jane Doe CV.pdf (") and resume_line.endswith(" bytes)")
    assert resume_line in text.splitlines()
    (resume_cell,) = [line for line in attorney_html.splitlines() if ">Resume</th>" in line]
    assert resume_cell in html.splitlines()
