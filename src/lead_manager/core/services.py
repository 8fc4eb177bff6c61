"""What the cross-cutting layer needs at run time, made once per app and typed for its readers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry
from sqlalchemy import Connection

from lead_manager.core.db import Database
from lead_manager.core.settings import Settings

# How many side effects wait, were done and were given up on (the outbox, wired at start-up:
# core knows no domain table).
BacklogCounter = Callable[[Connection], dict[str, int]]


@dataclass(frozen=True, slots=True)
class CoreServices:
    settings: Settings
    database: Database
    count_backlog: BacklogCounter
    metrics_registry: CollectorRegistry
