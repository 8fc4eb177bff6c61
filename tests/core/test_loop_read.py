"""Reads on the event loop (Database.loop_read): the lead list's page and its token check run
there on a small pool of their own, never waiting for the threads' pool, and a connection the
database dropped is replaced without failing the request."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from sqlalchemy import Connection, event, text
from sqlalchemy.exc import DBAPIError, OperationalError

from lead_manager.core.db import Database
from tests.conftest import Account, LiveServer


@contextmanager
def statements(server: LiveServer) -> Iterator[tuple[list[str], list[str]]]:
    """The statements the request runs: (on the threads' engine, on the loop's engine)."""
    threads: list[str] = []
    loop: list[str] = []
    database = server.services.database

    def on_threads(_c, _cur, statement, *_a) -> None:  # type: ignore[no-untyped-def]
        threads.append(statement)

    def on_loop(_c, _cur, statement, *_a) -> None:  # type: ignore[no-untyped-def]
        loop.append(statement)

    event.listen(database.engine, "before_cursor_execute", on_threads)
    event.listen(database.loop_engine, "before_cursor_execute", on_loop)
    try:
        yield threads, loop
    finally:
        event.remove(database.engine, "before_cursor_execute", on_threads)
        event.remove(database.loop_engine, "before_cursor_execute", on_loop)


def test_a_plain_list_page_is_two_reads_on_the_loop(api: LiveServer, attorney: Account) -> None:
    """The token check and the page, each one SELECT on the loop's connection; no BEGIN, no
    COMMIT, nothing from the threads' pool."""
    for params in ({}, {"status": "PENDING"}, {"assigned_to": "me"}, {"conflict": "potential"}):
        with statements(api) as (threads, loop):
            response = attorney.client.get("/api/v1/leads", params=params)
        assert response.status_code == 200, response.text
        assert threads == [], params
        assert len(loop) == 2 and all(s.lstrip().upper().startswith("SELECT") for s in loop)
        assert "revoked_tokens" in loop[0] and "FROM leads" in loop[1]


def test_searches_and_mixed_filters_run_off_the_loop(api: LiveServer, attorney: Account) -> None:
    """A search, or two filters no single index orders, may read far: their page runs on a
    thread (the threads' pool); only the token check stays on the loop."""
    for params in ({"q": "smith"}, {"status": "PENDING", "assigned_to": "me"}, {"overdue": "true"}):
        with statements(api) as (threads, loop):
            response = attorney.client.get("/api/v1/leads", params=params)
        assert response.status_code == 200, response.text
        assert any("FROM leads" in s for s in threads), params
        assert len(loop) == 1 and "revoked_tokens" in loop[0]


def test_the_list_does_not_wait_for_the_threads_pool(api: LiveServer, attorney: Account) -> None:
    """Every connection of the threads' pool taken (say, by slow requests): the list still
    answers at once, since it never asks that pool for one."""
    pool = api.services.database.engine.pool
    with ExitStack() as held:
        for _ in range(pool.size() + pool._max_overflow):  # type: ignore[attr-defined]
            held.enter_context(api.services.database.engine.connect())
        started = time.monotonic()
        response = attorney.client.get("/api/v1/leads", params={"status": "PENDING"})
        took = time.monotonic() - started
    assert response.status_code == 200, response.text
    # The threads' pool would have made it wait pool_timeout (30 s) and then fail.
    assert took < 10


def test_a_connection_the_database_dropped_is_replaced(
    api: LiveServer, attorney: Account, backend: str
) -> None:
    """PostgreSQL restarted, or an idle connection killed: the loop's pool pings nothing before
    use, so the read finds its connection dead, and loop_read tries once more on a new one."""
    if backend != "postgresql":
        pytest.skip("a SQLite connection is a file handle; nothing can drop it")
    assert attorney.client.get("/api/v1/leads").status_code == 200
    with api.engine.connect() as connection:
        killed = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'"
            )
        ).scalar_one()
    assert killed >= 1
    # Give the server's side a moment to close the sockets.
    time.sleep(0.2)
    for _ in range(3):
        response = attorney.client.get("/api/v1/leads")
        assert response.status_code == 200, response.text


def test_loop_read_retries_a_dropped_connection_once_and_nothing_else(api: LiveServer) -> None:
    database: Database = api.services.database
    calls: list[int] = []

    def broken_query(connection: Connection) -> int:
        calls.append(1)
        return int(connection.execute(text("SELECT no_such_column FROM leads")).scalar_one())

    with pytest.raises(OperationalError if api.engine.dialect.name == "sqlite" else DBAPIError):
        database.loop_read(broken_query)
    assert len(calls) == 1

    def dropped_once(connection: Connection) -> int:
        calls.append(1)
        if len(calls) == 2:
            error = DBAPIError("SELECT 1", None, Exception("server closed the connection"))
            error.connection_invalidated = True
            raise error
        return int(connection.execute(text("SELECT 1")).scalar_one())

    assert database.loop_read(dropped_once) == 1
    assert len(calls) == 3


def test_a_stuck_read_on_the_loop_fails_in_seconds(api: LiveServer, backend: str) -> None:
    """While a loop read waits, nothing else of the process runs: on PostgreSQL its statements
    are cut off after LOOP_READ_TIMEOUT_SECONDS rather than freezing every request."""
    if backend != "postgresql":
        pytest.skip("SQLite reads do not wait on other sessions (WAL)")
    from lead_manager.core.db import LOOP_READ_TIMEOUT_SECONDS

    started = time.monotonic()
    with pytest.raises(DBAPIError, match="statement timeout"):
        api.services.database.loop_read(
            lambda connection: connection.execute(
                text("SELECT pg_sleep(:s)"), {"s": LOOP_READ_TIMEOUT_SECONDS + 5}
            ).all()
        )
    assert time.monotonic() - started < LOOP_READ_TIMEOUT_SECONDS + 3
    # The connection is still good for the next read.
    assert api.services.database.loop_read(lambda c: c.execute(text("SELECT 1")).scalar()) == 1
