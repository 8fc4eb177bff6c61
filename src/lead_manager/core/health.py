from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up (no dependencies checked)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "The database does not answer"}})
def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers; also reports the outbox backlog for operators."""
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            counts = dict(
                connection.execute(text("SELECT status, COUNT(*) FROM outbox GROUP BY status")).all()
            )
    except Exception as exc:  # any failure to reach the database means "not ready"
        return JSONResponse({"status": "unavailable", "error": type(exc).__name__}, status_code=503)
    return JSONResponse(
        {
            "status": "ok",
            "outbox": {name: int(counts.get(name, 0)) for name in ("pending", "sent", "failed")},
        }
    )
