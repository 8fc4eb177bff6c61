"""Retention: closed leads untouched for RETENTION_DAYS are erased, once a day across every
dispatcher (real `lead-manager worker` processes), or at once with `lead-manager purge-expired`."""

from __future__ import annotations

import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from lead_manager.audit.models import AuditEvent
from lead_manager.core.db import utcnow
from lead_manager.leads.models import Lead, LeadStatusChange
from lead_manager.outbox.models import OutboxMessage, OutboxStatus
from lead_manager.privacy.retention import RetentionJob
from lead_manager.privacy.service import RETENTION_BATCH, Eraser
from lead_manager.scheduling.models import JobRun
from tests.conftest import Account, LiveServer
from tests.notifications.test_delivery import worker_command, worker_environment
from tests.privacy.people import JOHN, JOHN_RESUME_MARKER, age_lead, submit_person
from tests.processes import run

RETENTION_DAYS = 30


def lead_with_status(
    api: LiveServer, attorney: Account, public: httpx.Client, statuses: list[str], n: int
) -> str:
    lead = submit_person(public, JOHN, JOHN_RESUME_MARKER, email=f"prospect{n}@example.net")
    for status in statuses:
        body = {"status": status, "reason": "No capacity" if status == "DECLINED" else None}
        assert attorney.client.patch(f"/api/v1/leads/{lead['id']}", json=body).status_code == 200
    return str(lead["id"])


def retention_fixture(
    api: LiveServer, attorney: Account, public: httpx.Client
) -> tuple[list[str], list[str]]:
    """Leads in every status and age: (those retention erases, those it keeps)."""
    old = RETENTION_DAYS + 5
    declined_old = lead_with_status(api, attorney, public, ["DECLINED"], 1)
    reached_old = lead_with_status(api, attorney, public, ["REACHED_OUT"], 2)
    retained_old = lead_with_status(api, attorney, public, ["REACHED_OUT", "RETAINED"], 3)
    pending_old = lead_with_status(api, attorney, public, [], 4)
    declined_recent = lead_with_status(api, attorney, public, ["DECLINED"], 5)
    reached_active = lead_with_status(api, attorney, public, ["REACHED_OUT"], 6)
    reached_noted = lead_with_status(api, attorney, public, ["REACHED_OUT"], 7)
    for lead_id in (declined_old, reached_old, retained_old, pending_old, reached_active):
        age_lead(api.engine, lead_id, old)
    # Untouched for long, but a note was written today: still active.
    age_lead(api.engine, reached_noted, old)
    note = attorney.client.post(f"/api/v1/leads/{reached_noted}/notes", json={"body": "Called."})
    assert note.status_code == 201
    age_lead(api.engine, declined_recent, RETENTION_DAYS - 1)
    # Untouched for long, but its latest status change is recent: still active.
    with api.engine.begin() as connection:
        connection.execute(
            update(LeadStatusChange)
            .where(
                LeadStatusChange.lead_id == uuid.UUID(reached_active),
                LeadStatusChange.status == "REACHED_OUT",
            )
            .values(changed_at=utcnow() - timedelta(days=2))
        )
    return [declined_old, reached_old], [
        retained_old,
        pending_old,
        declined_recent,
        reached_active,
        reached_noted,
    ]


def erased_ids(api: LiveServer) -> set[str]:
    with api.session() as session:
        return {str(i) for i in session.scalars(select(Lead.id).where(Lead.erased_at.is_not(None)))}


def env_for(api: LiveServer, **extra: str) -> dict[str, str]:
    return worker_environment(
        api.settings.database_url,
        STORAGE_URL=api.settings.storage_url,
        MAIL_DIR=str(api.settings.mail_dir),
        SECRET_KEY=api.services.signing_key,
        LOG_LEVEL="WARNING",
        **extra,
    )


def test_purge_expired_erases_closed_leads_past_retention(
    api: LiveServer, attorney: Account, public: httpx.Client, tmp_path: Path
) -> None:
    expired, kept = retention_fixture(api, attorney, public)
    result = run(tmp_path, "purge-expired", env=env_for(api, RETENTION_DAYS=str(RETENTION_DAYS)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "erased 2 lead(s) with no activity for 30 days"
    assert erased_ids(api) == set(expired)
    for lead_id in expired:
        lead = attorney.client.get(f"/api/v1/leads/{lead_id}").json()
        assert lead["email"] == "" and lead["resume"] is None
    for lead_id in kept:
        assert attorney.client.get(f"/api/v1/leads/{lead_id}").json()["email"]
    with api.session() as session:
        (event,) = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "privacy.retention_erased")
        ).all()
    assert sorted(event.details["lead_ids"]) == sorted(expired)
    assert event.details["retention_days"] == RETENTION_DAYS and event.actor is None

    again = run(tmp_path, "purge-expired", env=env_for(api, RETENTION_DAYS=str(RETENTION_DAYS)))
    assert again.stdout.startswith("erased 0 lead(s)")
    off = run(tmp_path, "purge-expired", env=env_for(api))
    assert off.returncode == 0 and off.stdout.startswith("erased 0 lead(s): RETENTION_DAYS is 0")


def test_two_workers_run_the_day_once(
    api: LiveServer, attorney: Account, public: httpx.Client, tmp_path: Path
) -> None:
    expired, _kept = retention_fixture(api, attorney, public)
    env = env_for(api, RETENTION_DAYS=str(RETENTION_DAYS), DISPATCHER_POLL_SECONDS="0.05")
    workers = [
        subprocess.Popen(
            worker_command(),
            env=env,
            cwd=tmp_path,
            stdout=(tmp_path / f"worker{i}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        for i in range(2)
    ]
    try:
        deadline = time.monotonic() + 30
        while erased_ids(api) != set(expired) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert erased_ids(api) == set(expired)
        # Both have polled since (each sends this test's emails): neither ran the day again.
        while _unsent(api) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(process.poll() is None for process in workers)
    finally:
        for process in workers:
            process.terminate()
        for process in workers:
            process.wait(timeout=20)
    with api.session() as session:
        runs = session.scalars(select(JobRun).where(JobRun.job == "retention")).all()
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "privacy.retention_erased")
        ).all()
    assert len(runs) == 1 and runs[0].key == utcnow().date().isoformat()
    assert len(events) == 1 and sorted(events[0].details["lead_ids"]) == sorted(expired)


def _unsent(api: LiveServer) -> int:
    with api.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING.value)
            )
            or 0
        )


def test_concurrent_dispatchers_claim_the_day_once_in_batches(
    api: LiveServer, public: httpx.Client
) -> None:
    total = RETENTION_BATCH + 20  # more than one batch
    leads = [
        submit_person(public, JOHN, JOHN_RESUME_MARKER, email=f"p{i}@example.net")["id"]
        for i in range(total)
    ]
    with api.engine.begin() as connection:
        connection.execute(update(Lead).values(status="DECLINED"))
    for lead_id in leads:
        age_lead(api.engine, lead_id, RETENTION_DAYS + 1)
    eraser = Eraser(api.services.storage, api.services.signing_key, api.settings.mail_dir)
    factory = api.services.database.write_sessions
    jobs = [RetentionJob(factory, eraser, RETENTION_DAYS) for _ in range(6)]
    now = utcnow()
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda job: job.run_due(now, f"w{id(job)}"), jobs))
    assert sorted(results) == [0, 0, 0, 0, 0, total]
    assert erased_ids(api) == set(leads)
    # Once a day: a lead expiring later the same day waits for tomorrow's run (or the CLI).
    late = submit_person(public, JOHN, JOHN_RESUME_MARKER, email="late@example.net")["id"]
    with api.engine.begin() as connection:
        connection.execute(update(Lead).where(Lead.id == uuid.UUID(late)).values(status="DECLINED"))
    age_lead(api.engine, late, RETENTION_DAYS + 1)
    assert [job.run_due(now + timedelta(hours=1), "w") for job in jobs] == [0] * 6
    fresh = RetentionJob(factory, eraser, RETENTION_DAYS)
    assert fresh.run_due(now + timedelta(hours=2), "w-new") == 0  # the day is claimed
    assert jobs[0].run_due(now + timedelta(days=1), "w") == 1
    assert late in erased_ids(api)


@pytest.mark.parametrize("days", ["-1", "abc"])
def test_bad_retention_days_refuse_to_start(tmp_path: Path, days: str) -> None:
    result = run(tmp_path, "purge-expired", env={"RETENTION_DAYS": days})
    assert result.returncode == 1
    assert "configuration error" in result.stderr
