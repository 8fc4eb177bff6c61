"""The migration that adds `first_response_seconds` fills it from the history of existing leads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import create_engine, insert, select

from lead_manager.core.migrations import alembic_config, upgrade_to_head
from lead_manager.leads.models import Lead, LeadStatusChange
from tests.conftest import scratch_postgres

BEFORE = "9e230ca5af6a"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_existing_leads_get_their_first_response(backend: str, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite" else scratch_postgres("mig")
    command.upgrade(alembic_config(url), BEFORE)
    created = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    answered, waiting = uuid.uuid4(), uuid.uuid4()
    engine = create_engine(url)
    with engine.begin() as connection:
        for lead_id, status in ((answered, "DECLINED"), (waiting, "PENDING")):
            connection.execute(
                # The columns of the schema before the revision only.
                insert(Lead.__table__).values(
                    id=lead_id,
                    first_name="Old",
                    last_name="Lead",
                    email="old@example.com",
                    status=status,
                    resume_key=lead_id.hex,
                    resume_filename="cv.pdf",
                    resume_content_type="application/pdf",
                    resume_size=1,
                    created_at=created,
                    updated_at=created,
                )
            )
        history = [
            (answered, "PENDING", created),
            (answered, "REACHED_OUT", created + timedelta(minutes=42)),
            (answered, "DECLINED", created + timedelta(hours=5)),
            (waiting, "PENDING", created),
        ]
        for lead_id, status, at in history:
            connection.execute(
                insert(LeadStatusChange.__table__).values(
                    id=uuid.uuid4(), lead_id=lead_id, status=status, changed_at=at
                )
            )
    upgrade_to_head(url)
    with engine.connect() as connection:
        rows = dict(connection.execute(select(Lead.id, Lead.first_response_seconds)).all())
    engine.dispose()
    assert rows[answered] == pytest.approx(42 * 60, abs=0.001)
    assert rows[waiting] is None
