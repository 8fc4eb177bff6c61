"""The stack floor: the reference's intake, written with the stack lead-manager is built on.

FastAPI with the form parsed into the product's `LeadCreate` (Pydantic, e-mail validation), the
resume saved by the product's storage (a directory: temporary file, fsync, rename), and one
Core INSERT of the lead row in a SQLAlchemy session transaction on the product's engine set-up
(WAL, the write turn). No middleware, no rate limit, no content sniffing, no assignment, history
or outbox rows, no log lines: the reference's work and nothing more.

It answers how much of the gap between lead-manager and the reference is the stack itself and
how much is lead-manager's own work. Run with uvicorn: `uvicorn bench.stack_floor_app:create_app
--factory` and lead-manager's environment (DATABASE_URL on a migrated database, STORAGE_URL).
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any, BinaryIO

from fastapi import FastAPI, File, Form, Response, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from lead_manager.core.db import (
    Base,
    create_engine,
    create_write_session_factory,
    new_id,
    transaction,
    utcnow,
)
from lead_manager.core.settings import get_settings
from lead_manager.leads.models import Lead, LeadStatus
from lead_manager.leads.schemas import LeadCreate, LeadCreated
from lead_manager.storage.base import ResumeStorage
from lead_manager.storage.factory import create_storage

_INSERT_LEAD = insert(Base.metadata.tables[Lead.__tablename__])


def _store(
    factory: sessionmaker[Session],
    storage: ResumeStorage,
    data: LeadCreate,
    resume: BinaryIO,
    filename: str,
) -> dict[str, Any]:
    key = secrets.token_hex(16)
    storage.save(key, resume)
    now = utcnow()
    row = {
        "id": new_id(),
        "first_name": data.first_name,
        "last_name": data.last_name,
        "email": str(data.email),
        "phone": data.phone,
        "message": data.message,
        "status": LeadStatus.PENDING.value,
        "resume_key": key,
        "resume_filename": filename,
        "resume_content_type": "application/pdf",
        "resume_size": resume.tell(),
        "created_at": now,
        "updated_at": now,
    }
    with transaction(factory) as session:
        session.connection().execute(_INSERT_LEAD, row)
    return row


def create_app() -> FastAPI:
    settings = get_settings()
    factory = create_write_session_factory(create_engine(settings))
    storage = create_storage(settings)
    app = FastAPI()

    @app.post("/api/v1/leads", status_code=201)
    async def submit_lead(
        data: Annotated[LeadCreate, Form()], resume: Annotated[UploadFile, File()]
    ) -> Response:
        if await resume.read(5) != b"%PDF-":
            return JSONResponse({"detail": "not a PDF"}, status_code=415)
        await resume.seek(0)
        row = await run_in_threadpool(
            _store, factory, storage, data, resume.file, resume.filename or "resume.pdf"
        )
        return Response(
            LeadCreated.model_validate(row).model_dump_json(),
            status_code=201,
            media_type="application/json",
            headers={"Location": f"/api/v1/leads/{row['id']}"},
        )

    return app
