"""The privacy migration adds its columns in place: on SQLite, rebuilding `leads` would drop the
triggers that keep the search index up to date."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, text

from lead_manager.core.migrations import alembic_config, upgrade_to_head

PRIVACY_REVISION = "9e230ca5af6a"
SEARCH_TRIGGERS = {"leads_search_insert", "leads_search_delete", "leads_search_update"}
COLUMNS = {"privacy_notice_version", "privacy_channel", "marketing_opt_in", "erased_at"}


def state(url: str) -> tuple[set[str], set[str]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        triggers = set(
            connection.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        )
    columns = {column["name"] for column in inspect(engine).get_columns("leads")}
    engine.dispose()
    return triggers, columns


def test_up_and_down_keep_the_search_triggers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_to_head(url)
    triggers, columns = state(url)
    assert triggers >= SEARCH_TRIGGERS and columns >= COLUMNS
    config = alembic_config(url)
    command.downgrade(config, f"{PRIVACY_REVISION}-1")
    triggers, columns = state(url)
    assert triggers >= SEARCH_TRIGGERS and not COLUMNS & columns
    command.upgrade(config, "head")
    assert state(url)[0] >= SEARCH_TRIGGERS
