"""Operations endpoints: liveness, readiness (database and outbox backlog), Prometheus metrics."""

from __future__ import annotations

import secrets
from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from lead_manager.core.dependencies import CoreServicesDep
from lead_manager.core.metrics import CONTENT_TYPE_LATEST, render
from lead_manager.core.openapi import RETRY_AFTER_HEADER, ErrorRead

router = APIRouter(tags=["operations"])


class HealthRead(BaseModel):
    status: Literal["ok"]


class OutboxCounts(BaseModel):
    """Outbox messages (emails) by delivery status."""

    pending: int
    sent: int
    failed: int


class ReadyRead(BaseModel):
    status: Literal["ok"]
    outbox: OutboxCounts


class NotReadyRead(BaseModel):
    status: Literal["unavailable"]
    error: str  # the exception's class name, nothing more


@router.get("/healthz", response_model=HealthRead)
async def healthz() -> dict[str, str]:
    """The process is up (no dependencies checked)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=ReadyRead,
    responses={
        503: {
            "model": NotReadyRead,
            "description": "The database does not answer",
            "headers": RETRY_AFTER_HEADER,
        }
    },
)
def readyz(core: CoreServicesDep) -> JSONResponse:
    """Ready when the database answers; also reports the outbox backlog for operators."""
    try:
        with core.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            backlog = core.count_backlog(connection)
    except Exception as exc:  # any failure to reach the database means "not ready"
        return JSONResponse(
            {"status": "unavailable", "error": type(exc).__name__},
            status_code=503,
            headers={"Retry-After": "5"},  # like every 503 here
        )
    return JSONResponse({"status": "ok", "outbox": backlog})


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "Prometheus text format",
        },
        401: {
            "model": ErrorRead,
            "description": "METRICS_TOKEN is set and the bearer token does not match",
        },
    },
)
def metrics(request: Request, core: CoreServicesDep) -> Response:
    """Request latency per route, leads, emails, logins, spam. Set METRICS_TOKEN to protect it."""
    token = core.settings.metrics_token
    if token is not None:
        expected = f"Bearer {token.get_secret_value()}".encode()
        given = request.headers.get("authorization", "").encode("latin-1")
        if not secrets.compare_digest(given, expected):
            return JSONResponse(
                {"detail": "Not authenticated"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
    return Response(
        render(core.metrics_registry),
        media_type=CONTENT_TYPE_LATEST,
        headers={"Cache-Control": "no-store"},
    )
