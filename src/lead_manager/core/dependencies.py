"""Cross-cutting request dependencies: the session (one transaction per request) and settings.

Dependencies that do no I/O are `async def` throughout the app: FastAPI runs a plain `def`
dependency in the threadpool, a thread hop per dependency per request. Those that touch the
database, Redis or files stay `def` so they never block the event loop, or hand just their I/O
to the threadpool (the session's commit).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Annotated

import anyio
from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from lead_manager.core.db import Database, finish_transaction
from lead_manager.core.request_meta import RequestMeta
from lead_manager.core.services import CoreServices
from lead_manager.core.settings import Settings

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_core_services(request: Request) -> CoreServices:
    """Set on the app by `create_app`; the one place it is read by name."""
    core: CoreServices = request.app.state.core
    return core


CoreServicesDep = Annotated[CoreServices, Depends(get_core_services)]


async def get_database(core: CoreServicesDep) -> Database:
    return core.database


DatabaseDep = Annotated[Database, Depends(get_database)]


async def get_session(request: Request, database: DatabaseDep) -> AsyncIterator[Session]:
    """The request's only transaction: committed when the endpoint returns, else rolled back.

    Scope "function" (below) makes the commit happen before the response is sent, so a client
    never sees a 201 for something that then failed to commit. Making a session does no I/O
    (it connects on first use, in the endpoint's thread), so only the end of the transaction
    goes to the threadpool: one hop instead of two for a `def` dependency.
    """
    reads = request.method in _READ_METHODS
    factory = database.sessions if reads else database.write_sessions
    async with _request_transaction(factory) as session:
        yield session


async def get_write_session(database: DatabaseDep) -> AsyncIterator[Session]:
    """For a read (GET) that also records something, e.g. the audit row of a download.

    SQLite cannot upgrade a read transaction to a write once another writer has committed
    ("database is locked", at once, whatever busy_timeout says); this one takes the write lock
    when it begins instead.
    """
    async with _request_transaction(database.write_sessions) as session:
        yield session


@asynccontextmanager
async def _request_transaction(factory: sessionmaker[Session]) -> AsyncIterator[Session]:
    # A context manager, not an inner generator iterated with `async for`: an error the endpoint
    # raises must reach the `except` below now, not when the generator is garbage-collected.
    session = factory()
    try:
        yield session
    except BaseException:
        await _finish(session, failed=True)
        raise
    await _finish(session, failed=False)


async def _finish(session: Session, *, failed: bool) -> None:
    # Shielded: a cancelled request (the client went away) must still end its transaction,
    # or its connection, and on SQLite the write turn, would never be given back.
    with anyio.CancelScope(shield=True):
        await run_in_threadpool(partial(finish_transaction, session, failed=failed))


async def get_settings(core: CoreServicesDep) -> Settings:
    return core.settings


async def get_request_meta(request: Request) -> RequestMeta:
    return RequestMeta(
        request_id=getattr(request.state, "request_id", None),
        client_ip=getattr(request.state, "client_ip", None),
    )


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RequestMetaDep = Annotated[RequestMeta, Depends(get_request_meta)]
