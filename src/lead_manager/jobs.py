"""The scheduled jobs every dispatcher runs (wired here: the dispatcher knows no domain's jobs)."""

from __future__ import annotations

from lead_manager.core.db import Database
from lead_manager.core.settings import Settings
from lead_manager.leads.digest import DigestJob
from lead_manager.leads.escalation import EscalationJob
from lead_manager.privacy.retention import RetentionJob
from lead_manager.privacy.service import Eraser
from lead_manager.scheduling.jobs import ScheduledJob
from lead_manager.storage.factory import create_storage


def scheduled_jobs(settings: Settings, database: Database) -> list[ScheduledJob]:
    """Each feature's periodic work (escalations, digests, retention…), in the order it runs."""
    clock = settings.response_clock()
    jobs: list[ScheduledJob] = [
        EscalationJob(database, clock),
        DigestJob(database, clock.zone, settings.digest_at),
    ]
    if settings.retention_days > 0:
        eraser = Eraser(create_storage(settings), settings.signing_key(), settings.mail_dir)
        jobs.append(RetentionJob(database.write_sessions, eraser, settings.retention_days))
    return jobs
