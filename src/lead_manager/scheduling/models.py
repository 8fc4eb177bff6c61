from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from lead_manager.core.db import Base, utcnow


class JobRun(Base):
    """One run of a scheduled job for one key (a day, a lead and step…): claimed once, ever.

    The primary key makes the claim exactly-once across any number of dispatchers: the first
    INSERT wins, the others find the row and skip the work.
    """

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(50), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    claimed_by: Mapped[str] = mapped_column(String(100))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
