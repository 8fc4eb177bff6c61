"""The reference: the same two requests on the bare minimum stack, to measure lead-manager against.

Starlette, python-multipart (through `request.form()`), the `sqlite3` module in WAL mode, PyJWT.
It does what the lead-manager requests must do at the least, with the same durability: the
resume is checked to be a PDF by its first bytes, written to a temporary file, fsynced and
renamed, then the row commits; the list checks an HS256 bearer token and that its user is
active (one primary-key lookup), then reads one keyset page from the status index.

Run with uvicorn: `uvicorn bench.reference_app:create_app --factory` and the environment
variables REFERENCE_DATABASE, REFERENCE_RESUMES, REFERENCE_SECRET.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import tempfile
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import jwt
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_local = threading.local()
_LIST = """
SELECT id, first_name, last_name, email, status, created_at, assigned_to FROM leads
WHERE status = ? ORDER BY created_at DESC, id DESC LIMIT ?
"""
_INSERT = """
INSERT INTO leads (id, first_name, last_name, email, phone, message, status, assigned_to,
    resume_key, resume_filename, resume_content_type, resume_size, request_id,
    created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, 'PENDING', NULL, ?, ?, 'application/pdf', ?, NULL, ?, ?)
"""


def _connection(database: str) -> sqlite3.Connection:
    connection: sqlite3.Connection | None = getattr(_local, "connection", None)
    if connection is None:
        connection = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=15000")
        _local.connection = connection
    return connection


def _iso(stamp: str) -> str:
    return stamp.replace(" ", "T") + "+00:00"


def _uuid(hex_id: str | None) -> str | None:
    return str(uuid.UUID(hex=hex_id)) if hex_id else None


def create_app() -> Starlette:
    database = os.environ["REFERENCE_DATABASE"]
    resumes = Path(os.environ["REFERENCE_RESUMES"])
    resumes.mkdir(parents=True, exist_ok=True)
    secret = os.environ["REFERENCE_SECRET"]

    def authorized(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return False
        try:
            claims = jwt.decode(header[7:], secret, algorithms=["HS256"])
            user_hex = uuid.UUID(claims["sub"]).hex
        except (jwt.PyJWTError, KeyError, ValueError):
            return False
        row = (
            _connection(database)
            .execute("SELECT is_active FROM users WHERE id = ?", (user_hex,))
            .fetchone()
        )
        return bool(row and row[0])

    def page(status: str, limit: int) -> list[dict[str, Any]]:
        rows = _connection(database).execute(_LIST, (status, limit)).fetchall()
        return [
            {
                "id": _uuid(row[0]),
                "first_name": row[1],
                "last_name": row[2],
                "email": row[3],
                "status": row[4],
                "created_at": _iso(row[5]),
                "assigned_to": _uuid(row[6]),
            }
            for row in rows
        ]

    def list_leads_sync(request: Request) -> JSONResponse:
        if not authorized(request):
            return JSONResponse({"detail": "Not authenticated"}, status_code=401)
        status = request.query_params.get("status", "PENDING")
        items = page(status, 51)
        next_cursor = None
        if len(items) > 50:
            items = items[:50]
            next_cursor = f"{items[-1]['created_at']}|{items[-1]['id']}"
        return JSONResponse({"items": items, "next_cursor": next_cursor})

    async def list_leads(request: Request) -> JSONResponse:
        return await run_in_threadpool(list_leads_sync, request)

    def store(fields: dict[str, str], upload: BinaryIO, filename: str) -> dict[str, Any]:
        key = secrets.token_hex(16)
        fd, tmp_name = tempfile.mkstemp(dir=resumes, prefix=".upload-")
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(upload, out, 256 * 1024)
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        os.replace(tmp_name, resumes / key)
        lead_id = uuid.uuid4()
        now = datetime.now(UTC)
        stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        connection = _connection(database)
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute(
                _INSERT,
                (
                    lead_id.hex,
                    fields["first_name"],
                    fields["last_name"],
                    fields["email"],
                    fields.get("phone"),
                    fields.get("message"),
                    key,
                    filename,
                    size,
                    stamp,
                    stamp,
                ),
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            (resumes / key).unlink(missing_ok=True)
            raise
        return {
            "id": str(lead_id),
            "first_name": fields["first_name"],
            "last_name": fields["last_name"],
            "email": fields["email"],
            "status": "PENDING",
            "created_at": now.isoformat(),
        }

    async def submit_lead(request: Request) -> JSONResponse:
        async with request.form(max_files=1, max_fields=20) as form:
            resume = form.get("resume")
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            if (
                not isinstance(resume, UploadFile)
                or any(
                    not 1 <= len(fields.get(name, "")) <= 100
                    for name in ("first_name", "last_name")
                )
                or "@" not in fields.get("email", "")
            ):
                return JSONResponse({"detail": "invalid"}, status_code=422)
            head = await resume.read(5)
            if head != b"%PDF-":
                return JSONResponse({"detail": "not a PDF"}, status_code=415)
            await resume.seek(0)
            body = await run_in_threadpool(
                store, fields, resume.file, resume.filename or "resume.pdf"
            )
        return JSONResponse(
            body, status_code=201, headers={"Location": f"/api/v1/leads/{body['id']}"}
        )

    return Starlette(
        routes=[
            Route("/api/v1/leads", list_leads, methods=["GET"]),
            Route("/api/v1/leads", submit_lead, methods=["POST"]),
        ]
    )
