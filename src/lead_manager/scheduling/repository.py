"""Claiming a job run: INSERT … ON CONFLICT DO NOTHING, the winner is whoever inserted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lead_manager.scheduling.models import JobRun


def claim(session: Session, job: str, key: str, worker: str, now: datetime) -> bool:
    """True for the one caller that claims (`job`, `key`); False for every later one.

    Part of the caller's transaction: if the work done under the claim rolls back, so does the
    claim, and the run is due again.
    """
    values = {"job": job, "key": key, "claimed_by": worker, "claimed_at": now}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING, not the row count: psycopg reports -1 for this INSERT through SQLAlchemy.
    statement = insert(JobRun).values(**values).on_conflict_do_nothing().returning(JobRun.job)
    return session.execute(statement).first() is not None
