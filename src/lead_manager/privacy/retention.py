"""The retention job: once a day, across every dispatcher, erase closed leads past RETENTION_DAYS."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from lead_manager.core.db import transaction
from lead_manager.privacy.service import Eraser, purge_expired
from lead_manager.scheduling import repository as scheduling


class RetentionJob:
    """Runs on every dispatcher's poll; the day's run is claimed by exactly one of them.

    The claim commits before the work: a storage failure part-way does not make every
    dispatcher retry on every poll (each time waiting on storage); what is left is erased by the
    next day's run, or at once by `lead-manager purge-expired`.
    """

    name = "retention"

    def __init__(self, factory: sessionmaker[Session], eraser: Eraser, retention_days: int) -> None:
        self.factory = factory
        self.eraser = eraser
        self.retention_days = retention_days
        # The last day this process saw claimed (by itself or another): no query until the next.
        self._settled_day: str | None = None

    def run_due(self, now: datetime, worker: str) -> int:
        day = now.date().isoformat()
        if self.retention_days <= 0 or day == self._settled_day:
            return 0
        with transaction(self.factory) as session:
            claimed = scheduling.claim(session, self.name, day, worker, now)
        self._settled_day = day
        if not claimed:
            return 0
        return purge_expired(self.factory, self.eraser, retention_days=self.retention_days, now=now)
