"""The migration of working a lead on a database with data: earlier leads get their assignment
reason, earlier delivered emails the address they went to (the timeline shows them)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from lead_manager.core.migrations import alembic_config
from tests.conftest import scratch_postgres

BEFORE = "a1c0ffee0002"
AT = "2026-11-29 10:00:00"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lead_manager.db'}"
    return scratch_postgres("workflow_migration")


def test_earlier_leads_and_emails_are_filled_in(database: str) -> None:
    command.upgrade(alembic_config(database), BEFORE)
    engine = create_engine(database)
    sqlite = engine.dialect.name == "sqlite"

    def uid(value: uuid.UUID) -> str:
        return value.hex if sqlite else str(value)

    attorney, assigned, unassigned = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    ack, note, pending = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, email, full_name, password_hash, role, is_active, "
                "is_available, created_at, updated_at) VALUES (:id, 'alice@firm.example', "
                "'Alice', 'x', 'attorney', true, true, :at, :at)"
            ),
            {"id": uid(attorney), "at": AT},
        )
        for lead, owner in ((assigned, uid(attorney)), (unassigned, None)):
            connection.execute(
                text(
                    "INSERT INTO leads (id, first_name, last_name, email, status, assigned_to, "
                    "resume_key, resume_filename, resume_content_type, resume_size, created_at, "
                    "updated_at) VALUES (:id, 'Jane', 'Doe', 'jane@example.com', 'PENDING', "
                    ":owner, 'k', 'cv.pdf', 'application/pdf', 1, :at, :at)"
                ),
                {"id": uid(lead), "owner": owner, "at": AT},
            )
        for message, kind, user, status in (
            (ack, "lead_acknowledgement", None, "sent"),
            (note, "attorney_notification", attorney, "sent"),
            (pending, "attorney_notification", attorney, "pending"),
        ):
            payload = {"lead_id": str(assigned), **({"user_id": str(user)} if user else {})}
            connection.execute(
                text(
                    "INSERT INTO outbox (id, kind, payload, lead_id, status, attempts, "
                    "available_at, created_at) VALUES (:id, :kind, :payload, :lead, :status, 1, "
                    ":at, :at)"
                ),
                {
                    "id": uid(message),
                    "kind": kind,
                    "payload": json.dumps(payload),
                    "lead": uid(assigned),
                    "status": status,
                    "at": AT,
                },
            )
    command.upgrade(alembic_config(database), "head")
    with engine.connect() as connection:
        reasons = dict(connection.execute(text("SELECT id, assignment_reason FROM leads")).all())
        recipients = dict(connection.execute(text("SELECT id, recipient FROM outbox")).all())
        steps = connection.execute(text("SELECT escalation_step, respond_by FROM leads")).all()
    engine.dispose()

    def key(value: uuid.UUID) -> object:
        return value.hex if sqlite else value

    assert reasons == {key(assigned): "round_robin", key(unassigned): "none_available"}
    assert recipients == {
        key(ack): "jane@example.com",
        key(note): "alice@firm.example",
        key(pending): None,
    }
    assert steps == [(0, None), (0, None)]
