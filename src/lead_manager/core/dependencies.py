"""Cross-cutting request dependencies: the session (one transaction per request) and settings.

Dependencies that do no I/O are `async def` throughout the app: FastAPI runs a plain `def`
dependency in the threadpool, a thread hop per dependency per request. Those that touch the
database, Redis or files stay `def` so they never block the event loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from lead_manager.core.db import transaction
from lead_manager.core.request_meta import RequestMeta
from lead_manager.core.settings import Settings

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """The request's only transaction: committed when the endpoint returns, else rolled back.

    Scope "function" (below) makes the commit happen before the response is sent, so a client
    never sees a 201 for something that then failed to commit.
    """
    state = request.app.state
    factory = state.session_factory if request.method in _READ_METHODS else state.write_session_factory
    with transaction(factory) as session:
        yield session


def get_write_session(request: Request) -> Iterator[Session]:
    """For a read (GET) that also records something, e.g. the audit row of a download.

    SQLite cannot upgrade a read transaction to a write once another writer has committed
    ("database is locked", at once, whatever busy_timeout says); this one takes the write lock
    when it begins instead.
    """
    with transaction(request.app.state.write_session_factory) as session:
        yield session


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_request_meta(request: Request) -> RequestMeta:
    return RequestMeta(
        request_id=getattr(request.state, "request_id", None),
        client_ip=getattr(request.state, "client_ip", None),
    )


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RequestMetaDep = Annotated[RequestMeta, Depends(get_request_meta)]
