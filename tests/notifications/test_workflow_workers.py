"""Escalations and digests with several real `lead-manager worker` processes: each step of each
lead, and each attorney's digest, happens exactly once, also when a worker is killed."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from lead_manager.audit.models import AuditEvent
from lead_manager.leads.models import Lead
from lead_manager.outbox.models import OutboxStatus
from lead_manager.users.models import Role
from tests.conftest import LiveServer, add_account
from tests.leads.workflow import new_lead, sibling_server
from tests.notifications.mailserver import Mailbox, outbox_rows, smtp_server
from tests.notifications.test_workers import workers

pytestmark = pytest.mark.slow
LEADS = 12
# 1.2 seconds: every hour counts (no BUSINESS_HOURS). The workers poll every 0.05 s.
SLA_MINUTES = "0.02"


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def steps(api: LiveServer) -> dict[str, list[int]]:
    with api.session() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "lead.escalated").order_by(AuditEvent.at)
        ).all()
    found: dict[str, list[int]] = {}
    for event in events:
        found.setdefault(str(event.target), []).append(int(event.details["step"]))
    return found


def all_sent(api: LiveServer) -> bool:
    return all(row.status == OutboxStatus.SENT for row in outbox_rows(api))


def test_two_workers_escalate_each_lead_once_per_step(
    api: LiveServer, live_server: LiveServer, tmp_path: Path
) -> None:
    first = add_account(api, Role.ATTORNEY, full_name="First Attorney")
    second = add_account(api, Role.ATTORNEY, full_name="Second Attorney")
    admin = add_account(api, Role.ADMIN, available=False)
    (tmp_path / "intake").mkdir()
    quick = sibling_server(live_server, tmp_path / "intake", first_response_sla_minutes=0.02)
    try:
        with quick.client() as client:
            lead_ids = [new_lead(client, email=f"p{i}@example.com") for i in range(LEADS)]
    finally:
        quick.stop()
        quick.engine.dispose()
    mailbox = Mailbox()
    env = {
        "FIRST_RESPONSE_SLA_MINUTES": SLA_MINUTES,
        "DIGEST_TIME": "",
    }
    with smtp_server(mailbox) as port, workers(api, port, tmp_path, 3, **env) as processes:
        # A worker killed mid-run (after the first escalations) loses and doubles nothing.
        wait_for(lambda: len(steps(api)) > 0, "a first escalation")
        os.kill(processes[0].pid, signal.SIGKILL)
        assert processes[0].wait(timeout=10) == -signal.SIGKILL
        wait_for(
            lambda: all(steps(api).get(i) == [1, 2] for i in lead_ids) and all_sent(api),
            "every lead escalated twice and every email sent",
        )
        # A few more polls of the survivors: no third step, nothing sent again.
        time.sleep(1)
        assert all(p.poll() is None for p in processes[1:]), "no surviving worker crashed"
    assert steps(api) == {lead_id: [1, 2] for lead_id in lead_ids}
    deliveries = mailbox.snapshot()
    ids = [str(d.message["Message-ID"]) for d in deliveries]
    # At most the one email the killed worker had sent but not yet recorded went twice.
    assert sum(n - 1 for n in Counter(ids).values()) <= 1
    unique = {str(d.message["Message-ID"]): d for d in deliveries}.values()
    subjects = Counter((d.recipients[0], str(d.message["Subject"]).split(":")[0]) for d in unique)
    # Each lead: once to its new attorney (marked escalated), once to the one it was taken
    # from, once to the admin.
    escalated = (
        subjects[(first.email, "Escalated lead assigned to you")]
        + subjects[(second.email, "Escalated lead assigned to you")]
    )
    reassigned = (
        subjects[(first.email, "Lead reassigned")] + subjects[(second.email, "Lead reassigned")]
    )
    assert escalated == reassigned == LEADS
    assert subjects[(admin.email, "Escalated lead")] == LEADS
    with api.session() as session:
        leads = session.scalars(
            select(Lead).where(Lead.id.in_([uuid.UUID(i) for i in lead_ids]))
        ).all()
    # Still PENDING, still overdue (the deadline from the escalation is kept, in the past).
    now = datetime.now(UTC)
    assert all(lead.status == "PENDING" and lead.escalation_step == 2 for lead in leads)
    assert all(lead.respond_by is not None and lead.respond_by < now for lead in leads)
    with api.client(admin.token) as client:
        overdue = client.get("/api/v1/leads", params={"overdue": "true", "limit": 100}).json()
    assert {item["id"] for item in overdue["items"]} == set(lead_ids)


def _zone_at_noon() -> str:
    """A fixed-offset zone where it is about noon now, so the test's day cannot end mid-run."""
    offset = (12 - datetime.now(UTC).hour) % 24
    offset = offset - 24 if offset > 14 else offset
    # POSIX sign convention: Etc/GMT-8 is UTC+8.
    return f"Etc/GMT{-offset:+d}" if offset else "UTC"


def test_two_workers_send_each_digest_once(api: LiveServer, tmp_path: Path) -> None:
    attorneys = [add_account(api, Role.ATTORNEY) for _ in range(3)]
    with api.client() as client:
        for i in range(6):
            new_lead(client, email=f"p{i}@example.com")
    mailbox = Mailbox()
    env = {
        "FIRST_RESPONSE_SLA_MINUTES": "0",
        "DIGEST_TIME": "00:00",
        "FIRM_TIMEZONE": _zone_at_noon(),
    }
    with smtp_server(mailbox) as port, workers(api, port, tmp_path, 2, **env) as processes:
        wait_for(lambda: mailbox.count() >= 6 + 6 + 3 and all_sent(api), "the digests")
        time.sleep(1)
        assert all(p.poll() is None for p in processes)
    digests = [d for d in mailbox.snapshot() if "pending leads" in str(d.message["Subject"])]
    assert sorted(d.recipients[0] for d in digests) == sorted(a.email for a in attorneys)
