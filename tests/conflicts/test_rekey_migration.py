"""The migration to six-letter name keys on a database with data: every party and lead name is
re-keyed from the names stored, erased leads stay without keys, and the downgrade restores the
four-letter keys."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, text

from lead_manager.conflicts.names import blocking_keys, normalise
from lead_manager.core.migrations import alembic_config
from tests.conftest import scratch_postgres

BEFORE = "b15c0ffee001"
AT = "2026-11-30 06:00:00"
PROSPECT = "Jane Tindanvifen"
OPPOSING = ["Tindanvifen Partners Inc", "Acme"]
PARTY = "Smithson Holdings LLC"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lead_manager.db'}"
    return scratch_postgres("rekey_migration")


def keys_of(engine: Engine) -> tuple[set[tuple[str, str, str]], set[str]]:
    with engine.connect() as connection:
        lead_keys = {
            (row.role, row.name, row.key)
            for row in connection.execute(text("SELECT role, name, key FROM lead_name_keys"))
        }
        party_keys = set(connection.scalars(text("SELECT key FROM party_name_keys")))
    return lead_keys, party_keys


def expected(letters: int) -> tuple[set[tuple[str, str, str]], set[str]]:
    names = [("prospect", PROSPECT)] + [("opposing_party", n) for n in OPPOSING]
    lead_keys = {
        (role, name, key)
        for role, name in names
        for key in blocking_keys(normalise(name), prefix_letters=letters)
    }
    return lead_keys, blocking_keys(normalise(PARTY), prefix_letters=letters)


def test_every_stored_name_is_rekeyed_and_back(database: str) -> None:
    config = alembic_config(database)
    command.upgrade(config, BEFORE)
    engine = create_engine(database)
    sqlite = engine.dialect.name == "sqlite"

    def uid(value: uuid.UUID) -> str:
        return value.hex if sqlite else str(value)

    lead, erased, party = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    old_leads, old_parties = expected(4)
    with engine.begin() as connection:
        for lead_id, erased_at in ((lead, None), (erased, AT)):
            connection.execute(
                text(
                    "INSERT INTO leads (id, first_name, last_name, email, status, resume_key, "
                    "resume_filename, resume_content_type, resume_size, created_at, updated_at, "
                    "opposing_parties, erased_at) VALUES (:id, 'Jane', 'Tindanvifen', "
                    "'jane@example.com', 'PENDING', 'k', 'cv.pdf', 'application/pdf', 1, :at, "
                    ":at, :opposing, :erased)"
                ),
                {
                    "id": uid(lead_id),
                    "at": AT,
                    "opposing": json.dumps(OPPOSING),
                    "erased": erased_at,
                },
            )
        for role, name, key in old_leads:
            normal = normalise(name).text
            connection.execute(
                text(
                    "INSERT INTO lead_name_keys (key, role, name_length, lead_id, name_key, name) "
                    "VALUES (:key, :role, :length, :lead, :normal, :name)"
                ),
                {"key": key, "role": role, "length": len(normal), "lead": uid(lead),
                 "normal": normal, "name": name},
            )  # fmt: skip
        connection.execute(
            text(
                "INSERT INTO parties (id, name, kind, created_at) "
                "VALUES (:id, :name, 'client', :at)"
            ),
            {"id": uid(party), "name": PARTY, "at": AT},
        )
        normal = normalise(PARTY).text
        for key in old_parties:
            connection.execute(
                text(
                    "INSERT INTO party_name_keys (key, name_length, party_id, name_key) "
                    "VALUES (:key, :length, :party, :normal)"
                ),
                {"key": key, "length": len(normal), "party": uid(party), "normal": normal},
            )

    command.upgrade(config, "head")
    new_leads, new_parties = expected(6)
    assert new_leads != old_leads and new_parties != old_parties
    assert keys_of(engine) == (new_leads, new_parties)
    with engine.connect() as connection:
        owners = set(connection.scalars(text("SELECT DISTINCT lead_id FROM lead_name_keys")))
    assert owners == {uid(lead) if sqlite else lead}  # the erased lead has no keys

    command.downgrade(config, BEFORE)
    assert keys_of(engine) == (old_leads, old_parties)
    engine.dispose()
