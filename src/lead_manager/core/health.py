"""Operations endpoints: liveness, readiness (database and outbox backlog), Prometheus metrics."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from lead_manager.core import metrics
from lead_manager.core.dependencies import CoreServicesDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up (no dependencies checked)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "The database does not answer"}})
def readyz(core: CoreServicesDep) -> JSONResponse:
    """Ready when the database answers; also reports the outbox backlog for operators."""
    try:
        with core.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            backlog = core.count_backlog(connection)
    except Exception as exc:  # any failure to reach the database means "not ready"
        return JSONResponse({"status": "unavailable", "error": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ok", "outbox": backlog})


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
        401: {"description": "METRICS_TOKEN is set and the bearer token does not match"},
    },
)
def prometheus_metrics(request: Request, core: CoreServicesDep) -> Response:
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
        metrics.render(core.metrics_registry),
        media_type=metrics.CONTENT_TYPE_LATEST,
        headers={"Cache-Control": "no-store"},
    )
