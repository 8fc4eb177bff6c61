"""The daily digest: at DIGEST_TIME each active attorney with PENDING leads gets one email.

Once per attorney per day across every dispatcher and `lead-manager send-digest`: each email is
claimed (scheduling.repository.claim, key = the firm's day and the attorney) in the transaction
that queues it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import structlog

from lead_manager.core.db import Database, transaction
from lead_manager.leads import repository
from lead_manager.outbox import service as outbox
from lead_manager.outbox.models import MessageKind
from lead_manager.scheduling import repository as runs
from lead_manager.users import repository as users

log = structlog.get_logger(__name__)

JOB = "digest"


@dataclass(frozen=True, slots=True)
class DigestRun:
    day: date
    # Emails queued now, and attorneys whose digest of that day had already gone out.
    queued: int
    already_sent: int


def send_digests(database: Database, day: date, worker: str, now: datetime) -> DigestRun:
    """Queue `day`'s digest for every active attorney with PENDING leads who has not had it."""
    with database.sessions() as session:
        assignees = repository.assignees_with_pending(session)
        recipients = [user.id for user in users.active_attorneys(session, assignees)]
    queued = 0
    for user_id in recipients:
        with transaction(database.write_sessions) as session:
            if not runs.claim(session, JOB, f"{day.isoformat()}:{user_id}", worker, now):
                continue
            email = outbox.Email(MessageKind.DAILY_DIGEST, user_id, {"date": day.isoformat()})
            outbox.enqueue(session, None, [email], request_id=None)
            queued += 1
    if queued:
        log.info("daily digest queued", day=day.isoformat(), emails=queued)
    return DigestRun(day, queued, len(recipients) - queued)


class DigestJob:
    name = JOB

    def __init__(self, database: Database, zone: ZoneInfo, at: time | None) -> None:
        self.database = database
        self.zone = zone
        self.at = at
        # The day this process has done its pass (the claims, not this, make it exactly once;
        # this only spares a pass of claims on every poll for the rest of the day).
        self._done: date | None = None

    def run_due(self, now: datetime, worker: str) -> int:
        if self.at is None:
            return 0
        local = now.astimezone(self.zone)
        if local.time() < self.at or self._done == local.date():
            return 0
        run = send_digests(self.database, local.date(), worker, now)
        self._done = run.day
        return run.queued
