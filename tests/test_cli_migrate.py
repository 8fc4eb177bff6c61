"""Migrations as a deploy step: `migrate` is safe to repeat and to run concurrently, and nothing
else starts against a database whose schema is behind."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, inspect, text

from lead_manager.core.migrations import MIGRATION_LOCK_KEY, current_revision, head_revision
from tests.conftest import scratch_postgres
from tests.processes import LEAD_MANAGER, clean_env, free_port, run

BEHIND = "run `lead-manager migrate` first"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lead_manager.db'}"
    return scratch_postgres("cli")


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_processes_refuse_to_start_on_an_unmigrated_database(
    empty_database: str, tmp_path: Path, command: str
) -> None:
    args = (
        ["serve", "--no-dispatcher", "--port", str(free_port())]
        if command == "serve"
        else [command]
    )
    result = run(tmp_path, *args, env={"DATABASE_URL": empty_database})
    assert result.returncode != 0
    assert BEHIND in result.stderr
    assert "database schema is at nothing" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_twice_on_postgresql_is_idempotent(tmp_path: Path) -> None:
    # (SQLite: tests/test_cli.py.) PostgreSQL also goes through the migration lock.
    empty_database = scratch_postgres("cli")
    for _ in range(2):
        result = run(tmp_path, "migrate", env={"DATABASE_URL": empty_database})
        assert result.returncode == 0, result.stderr
        assert "database is at the latest schema" in result.stdout
    engine = create_engine(empty_database)
    try:
        assert current_revision(engine) == head_revision(empty_database)
        assert {"leads", "users", "outbox"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrate_waits_for_a_migration_already_in_progress(tmp_path: Path) -> None:
    # Several replicas or a retried deploy job may run `migrate` at once: they must take turns.
    url = scratch_postgres("cli")
    holder = create_engine(url, isolation_level="AUTOCOMMIT")
    with holder.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        process = subprocess.Popen(
            [LEAD_MANAGER, "migrate"],
            env=clean_env({"DATABASE_URL": url}),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            waiting = wait_for_advisory_waiter(lock, process)
            assert waiting, "migrate did not wait for the migration lock"
            assert "alembic_version" not in inspect(holder).get_table_names()
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
        _out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    try:
        with holder.connect() as connection:
            assert current_revision(connection.engine) == head_revision(url)
    finally:
        holder.dispose()


def wait_for_advisory_waiter(connection: Connection, process: subprocess.Popen[str]) -> bool:
    """Until another session waits on an advisory lock (True) or the process ended first (False)."""
    query = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if connection.scalar(query):
            return True
        time.sleep(0.05)
    return False
