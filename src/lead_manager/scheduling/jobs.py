"""What a scheduled job looks like to the dispatcher that runs it."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class ScheduledJob(Protocol):
    """Run by every dispatcher on each poll; claims its work (scheduling.repository.claim, or a
    guarded UPDATE) so that what it does happens once across all of them."""

    name: str

    def run_due(self, now: datetime, worker: str) -> int:
        """Do what is due at `now`; how many things were done (0 when nothing was due)."""
        ...
