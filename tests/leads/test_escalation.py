"""Escalation of leads past respond_by, by the scheduled job (time moved on through `now`)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import func, select

from lead_manager.audit.models import AuditEvent
from lead_manager.core.db import transaction, utcnow
from lead_manager.leads import repository
from lead_manager.leads.assignment import escalate
from lead_manager.leads.escalation import EscalationJob
from lead_manager.leads.models import Lead
from lead_manager.users.models import Role
from tests.conftest import Account, LiveServer, add_account
from tests.leads.workflow import emails_about, new_lead, of_type, timeline


def job(api: LiveServer) -> EscalationJob:
    return EscalationJob(api.services.database, api.services.clock)


def respond_by(api: LiveServer, lead_id: str) -> datetime | None:
    with api.session() as session:
        lead = session.get(Lead, uuid.UUID(lead_id))
        assert lead is not None
        return lead.respond_by


def escalations(api: LiveServer, lead_id: str) -> list[int]:
    with api.session() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.target == lead_id, AuditEvent.action == "lead.escalated")
            .order_by(AuditEvent.at)
        ).all()
        return [event.details["step"] for event in events]


def test_first_reassigned_to_another_attorney_then_the_admins_then_never_again(
    api: LiveServer, attorney: Account, admin: Account, public
) -> None:
    lead_id = new_lead(public)
    backup = add_account(api, Role.ATTORNEY, full_name="Bob Backup")
    deadline = respond_by(api, lead_id)
    assert deadline is not None
    # Not yet due.
    assert job(api).run_due(deadline - timedelta(seconds=1), "w1") == 0
    assert escalations(api, lead_id) == []

    late = deadline + timedelta(minutes=1)
    assert job(api).run_due(late, "w1") == 1
    detail = attorney.client.get(f"/api/v1/leads/{lead_id}").json()
    assert detail["assigned_to"] == str(backup.id)
    # The new assignee's clock starts at the escalation.
    assert respond_by(api, lead_id) == api.services.clock.respond_by(late)
    assert sorted(emails_about(api, lead_id)[2:]) == [
        ("escalated_lead", str(backup.id)),
        ("lead_reassigned", str(attorney.id)),
    ]
    entries = timeline(attorney, lead_id)
    assert [e["step"] for e in of_type(entries, "escalated")] == [1]
    assert of_type(entries, "assigned")[-1] == {
        "at": of_type(entries, "assigned")[-1]["at"],
        "type": "assigned",
        "actor": None,
        "to": str(backup.id),
        "reason": "escalation",
    }
    assert of_type(entries, "assigned")[0]["to"] == str(attorney.id)
    # Once per step: the same moment again does nothing.
    assert job(api).run_due(late, "w2") == 0

    second = respond_by(api, lead_id)
    assert second is not None
    assert job(api).run_due(second + timedelta(seconds=1), "w2") == 1
    assert emails_about(api, lead_id)[4:] == [("escalation_alert", str(admin.id))]
    assert escalations(api, lead_id) == [1, 2]
    # It keeps its past deadline (still overdue) and is never escalated again.
    assert respond_by(api, lead_id) == second
    assert job(api).run_due(second + timedelta(days=365), "w3") == 0
    assert len(emails_about(api, lead_id)) == 5
    assert [e["step"] for e in of_type(timeline(admin, lead_id), "escalated")] == [1, 2]


def test_with_no_other_attorney_available_the_admins_are_told_at_once(
    api: LiveServer, attorney: Account, admin: Account, public
) -> None:
    lead_id = new_lead(public)
    add_account(api, Role.ATTORNEY, available=False)
    add_account(api, Role.ATTORNEY, active=False)
    other_admin = add_account(api, Role.ADMIN)
    late = (respond_by(api, lead_id) or utcnow()) + timedelta(seconds=1)
    assert job(api).run_due(late, "w") == 1
    assert attorney.client.get(f"/api/v1/leads/{lead_id}").json()["assigned_to"] == str(attorney.id)
    assert sorted(emails_about(api, lead_id)[2:]) == sorted(
        [("escalation_alert", str(admin.id)), ("escalation_alert", str(other_admin.id))]
    )
    assert escalations(api, lead_id) == [1]
    assert job(api).run_due(late + timedelta(days=30), "w") == 0
    assert len(emails_about(api, lead_id)) == 4


def test_an_unassigned_lead_goes_to_an_attorney_who_became_available(
    api: LiveServer, admin: Account, public
) -> None:
    lead_id = new_lead(public)
    newcomer = add_account(api, Role.ATTORNEY)
    late = (respond_by(api, lead_id) or utcnow()) + timedelta(seconds=1)
    assert job(api).run_due(late, "w") == 1
    assert admin.client.get(f"/api/v1/leads/{lead_id}").json()["assigned_to"] == str(newcomer.id)
    # Nobody to tell it was taken from; the admins already had the unassigned alert.
    assert emails_about(api, lead_id)[-1] == ("escalated_lead", str(newcomer.id))
    assert [e["reason"] for e in of_type(timeline(admin, lead_id), "assigned")] == [
        "none_available",
        "escalation",
    ]


def test_answered_leads_are_not_escalated(api: LiveServer, attorney: Account, public) -> None:
    lead_id = new_lead(public)
    add_account(api, Role.ATTORNEY)
    late = (respond_by(api, lead_id) or utcnow()) + timedelta(seconds=1)
    attorney.client.patch(f"/api/v1/leads/{lead_id}", json={"status": "REACHED_OUT"})
    assert respond_by(api, lead_id) is None
    assert job(api).run_due(late, "w") == 0
    assert escalations(api, lead_id) == []


def test_racing_dispatchers_escalate_each_lead_once(
    api: LiveServer, attorney, admin, public
) -> None:
    add_account(api, Role.ATTORNEY)
    lead_ids = [new_lead(public, email=f"p{i}@example.com") for i in range(12)]
    late = max(respond_by(api, i) or utcnow() for i in lead_ids) + timedelta(seconds=1)

    def run(worker: int) -> int:
        return job(api).run_due(late, f"w{worker}")

    with ThreadPoolExecutor(6) as pool:
        done = list(pool.map(run, range(6)))
    assert sum(done) == len(lead_ids)
    for lead_id in lead_ids:
        assert escalations(api, lead_id) == [1]
        assert [kind for kind, _ in emails_about(api, lead_id)].count("escalated_lead") == 1


def test_a_step_whose_transaction_fails_is_due_again(api: LiveServer, attorney, public) -> None:
    lead_id = new_lead(public)
    add_account(api, Role.ATTORNEY)
    late = (respond_by(api, lead_id) or utcnow()) + timedelta(seconds=1)
    factory = api.services.database.write_sessions
    try:
        with transaction(factory) as session:
            assert escalate(session, uuid.UUID(lead_id), 0, late, api.services.clock)
            raise RuntimeError("the dispatcher died before its commit")
    except RuntimeError:
        pass
    # Nothing of it remains: not the claim, the reassignment, the audit rows or the emails.
    with api.session() as session:
        lead = session.get(Lead, uuid.UUID(lead_id))
        assert lead is not None and lead.escalation_step == 0 and lead.assigned_to == attorney.id
        audit_rows = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.target == lead_id)
        )
        assert audit_rows == 0
    assert len(emails_about(api, lead_id)) == 2
    with api.session() as session:
        assert [row.id for row in repository.due_escalations(session, late, 10)] == [
            uuid.UUID(lead_id)
        ]
    assert job(api).run_due(late, "survivor") == 1
    assert escalations(api, lead_id) == [1]
