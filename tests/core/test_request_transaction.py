"""The request's session dependency, driven the way FastAPI drives a dependency with `yield`."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from starlette.requests import Request

from lead_manager.core.db import on_commit, on_rollback
from lead_manager.core.dependencies import get_session
from tests.conftest import LiveServer


def _request(api: LiveServer, method: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": method,
            "app": api.app,
            "path": "/",
            "headers": [],
            "query_string": b"",
        }
    )


def _write_probe(session, events: list[str]) -> None:  # type: ignore[no-untyped-def]
    # A write, so on SQLite the transaction holds the write turn until it ends.
    session.execute(text("UPDATE users SET full_name = full_name WHERE 1 = 0"))
    on_rollback(session, lambda: events.append("rolled back"))
    on_commit(session, lambda: events.append("committed"))


def test_an_error_ends_the_transaction_before_the_dependency_lets_go(api: LiveServer) -> None:
    """The rollback (and its undo hooks) must have run when the error leaves the dependency,
    not later when a generator is collected: a retry sent right after the error response must
    find the write turn free and the idempotency key released."""
    events: list[str] = []

    async def drive() -> None:
        dependency = get_session(_request(api, "POST"), api.services.database)
        session = await dependency.__anext__()
        await asyncio.to_thread(_write_probe, session, events)
        with pytest.raises(ValueError):
            await dependency.athrow(ValueError("the endpoint failed"))
        assert events == ["rolled back"]
        assert not session.in_transaction()

    asyncio.run(drive())
    # The next writer gets in at once (on SQLite it would otherwise wait for the write turn).
    with api.session() as session, session.begin():
        session.execute(text("UPDATE users SET full_name = full_name WHERE 1 = 0"))


def test_success_commits_then_runs_the_commit_hooks(api: LiveServer) -> None:
    events: list[str] = []

    async def drive() -> None:
        dependency = get_session(_request(api, "POST"), api.services.database)
        session = await dependency.__anext__()
        await asyncio.to_thread(_write_probe, session, events)
        with pytest.raises(StopAsyncIteration):
            await dependency.__anext__()
        assert events == ["committed"]
        assert not session.in_transaction()

    asyncio.run(drive())
