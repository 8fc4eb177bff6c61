"""The escalation job: every dispatcher runs it on each poll; each step of each lead happens once."""

from __future__ import annotations

from datetime import datetime

from lead_manager.core.business_hours import ResponseClock
from lead_manager.core.db import Database, transaction
from lead_manager.leads import repository
from lead_manager.leads.assignment import escalate

# Leads looked at per poll; the rest wait for the next one (the job says it did work, so the
# dispatcher polls again at once).
BATCH = 100


class EscalationJob:
    name = "escalation"

    def __init__(self, database: Database, clock: ResponseClock) -> None:
        self.database = database
        self.clock = clock

    def run_due(self, now: datetime, worker: str) -> int:
        if not self.clock.enabled:
            return 0
        with self.database.sessions() as session:
            due = repository.due_escalations(session, now, BATCH)
        done = 0
        for lead_id, step in due:
            # One transaction per lead: the claim, the reassignment and its emails together.
            with transaction(self.database.write_sessions) as session:
                done += escalate(session, lead_id, step, now, self.clock)
        return done
