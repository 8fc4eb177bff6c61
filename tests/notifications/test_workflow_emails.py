"""The emails of working a lead, delivered through a real SMTP server: reassignment, escalation,
the digest. Each names its lead(s) and links them, in a text and an HTML part."""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from lead_manager.leads.digest import DigestJob
from lead_manager.leads.escalation import EscalationJob
from lead_manager.outbox.models import OutboxStatus
from lead_manager.users.models import Role
from tests.conftest import Account, LiveServer, add_account
from tests.leads.workflow import new_lead, sibling_server, timeline
from tests.notifications.mailserver import (
    Delivery,
    Mailbox,
    dispatcher_for,
    outbox_rows,
    run_until,
    smtp_server,
    smtp_settings,
)
from tests.notifications.test_delivery import parts

XSS = "<b>Bold</b>"


def deliver_all(api: LiveServer, mailbox: Mailbox, port: int) -> list[Delivery]:
    dispatcher = dispatcher_for(api, smtp_settings(api, port))
    run_until(dispatcher, lambda: all(r.status == OutboxStatus.SENT for r in outbox_rows(api)))
    return mailbox.snapshot()


def to(deliveries: list[Delivery], account: Account, subject_start: str) -> Delivery:
    found = [
        d
        for d in deliveries
        if d.recipients == [account.email] and str(d.message["Subject"]).startswith(subject_start)
    ]
    assert len(found) == 1, [(d.recipients, str(d.message["Subject"])) for d in deliveries]
    return found[0]


def names_and_links(delivery: Delivery, name: str, lead_id: str) -> None:
    text, html = parts(delivery)
    url = f"https://leads.example.test/leads/{lead_id}"
    assert name in text and url in text
    assert url in html
    assert XSS not in html and "&lt;b&gt;Bold&lt;/b&gt;" in html


def test_reassignment_and_escalation_emails(
    api: LiveServer, attorney: Account, admin: Account, public
) -> None:
    lead_id = new_lead(public, first_name=XSS, last_name="Lee")
    backup = add_account(api, Role.ATTORNEY, full_name="Bob Backup")
    third = add_account(api, Role.ATTORNEY, full_name="Carol Third", available=False)
    # By hand to the third attorney, then escalated (to the backup), then to the admins.
    assert (
        admin.client.post(
            f"/api/v1/leads/{lead_id}/assign", json={"user_id": str(third.id)}
        ).status_code
        == 200
    )
    job = EscalationJob(api.services.database, api.services.clock)
    later = datetime.now(UTC) + timedelta(hours=3)
    assert job.run_due(later, "w") == 1
    assert job.run_due(later + timedelta(hours=3), "w") == 1
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        deliveries = deliver_all(api, mailbox, port)
    name = f"{XSS} Lee"
    assigned = to(deliveries, third, "Lead assigned to you:")
    assert str(assigned.message["Subject"]) == f"Lead assigned to you: {name}"
    names_and_links(assigned, name, lead_id)
    escalated = to(deliveries, backup, "Escalated")
    assert "Escalated" in str(escalated.message["Subject"]) and name in str(
        escalated.message["Subject"]
    )
    names_and_links(escalated, name, lead_id)
    reassigned = to(deliveries, third, "Lead reassigned:")
    names_and_links(reassigned, name, lead_id)
    assert "Bob Backup" in parts(reassigned)[0]
    alert = to(deliveries, admin, "Escalated lead:")
    names_and_links(alert, name, lead_id)
    assert "already reassigned once" in parts(alert)[0]
    # Delivered emails are on the timeline, with the address each went to.
    sent = [e for e in timeline(admin, lead_id) if e["type"] == "email_sent"]
    assert {(e["kind"], e["to"]) for e in sent} == {
        ("lead_acknowledgement", "jane.doe@example.com"),
        ("attorney_notification", attorney.email),
        ("lead_assigned", third.email),
        ("escalated_lead", backup.email),
        ("lead_reassigned", third.email),
        ("escalation_alert", admin.email),
    }
    assert all(e["actor"] is None for e in sent)


def test_the_digest_lists_pending_leads_oldest_first_and_marks_the_overdue(
    api: LiveServer, attorney: Account, live_server: LiveServer, tmp_path: Path
) -> None:
    quick = sibling_server(live_server, tmp_path, first_response_sla_minutes=0.001)
    try:
        with quick.client() as client:
            overdue = new_lead(client, first_name="Olga", last_name="Overdue")
    finally:
        quick.stop()
        quick.engine.dispose()
    with api.client() as client:
        recent = new_lead(client, first_name="Rita", last_name="Recent")
        answered = new_lead(client, first_name="Alan", last_name="Answered")
    attorney.client.patch(f"/api/v1/leads/{answered}", json={"status": "REACHED_OUT"})
    clock.sleep(0.1)  # the quick lead's deadline (60 ms) has passed
    job = DigestJob(api.services.database, ZoneInfo("Europe/Berlin"), time(0, 0))
    assert job.run_due(datetime.now(UTC), "w") == 1
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        deliveries = deliver_all(api, mailbox, port)
    digest = to(deliveries, attorney, "Your pending leads on")
    today = datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()
    assert str(digest.message["Subject"]) == f"Your pending leads on {today}: 2"
    text, html = parts(digest)
    assert text.index("Olga Overdue") < text.index("Rita Recent")
    assert "[OVERDUE] Olga Overdue" in text and "[OVERDUE] Rita" not in text
    assert "Alan Answered" not in text and "Alan Answered" not in html
    for lead_id in (overdue, recent):
        assert f"https://leads.example.test/leads/{lead_id}" in text
        assert f'href="https://leads.example.test/leads/{lead_id}"' in html
    # Times in FIRM_TIMEZONE (the shared server's: UTC).
    assert "OVERDUE" in html and "UTC" in text
