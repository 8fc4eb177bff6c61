"""The scheduled jobs every dispatcher runs (wired here: the dispatcher knows no domain's jobs)."""

from __future__ import annotations

from lead_manager.core.db import Database
from lead_manager.core.settings import Settings
from lead_manager.leads.digest import DigestJob
from lead_manager.leads.escalation import EscalationJob
from lead_manager.scheduling.jobs import ScheduledJob


def scheduled_jobs(settings: Settings, database: Database) -> list[ScheduledJob]:
    """Each feature's periodic work (escalations, digests, retention…), in the order it runs."""
    clock = settings.response_clock()
    jobs: list[ScheduledJob] = [
        EscalationJob(database, clock),
        DigestJob(database, clock.zone, settings.digest_at),
    ]
    return jobs
