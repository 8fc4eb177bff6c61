"""The raw reference: the least work that honours the contract for the requests `make bench` sends.

Starlette routing on the event loop: the database driver is called directly (`sqlite3`, or psycopg
on PostgreSQL), in autocommit, one statement per step, and the answers are orjson bytes. One
thread hop, where the work waits for the disk: the resume's write and fsync (on the event loop
they would serialise every submission behind one fsync), with the INSERT on PostgreSQL, whose
commit waits for the WAL flush (a connection per worker thread, so commits overlap as
lead-manager's do). SQLite's INSERT does not wait (WAL, synchronous=NORMAL) and stays on the
loop, so its writers never contend for the lock.

- `GET /api/v1/leads`: checks the HS256 bearer token (signature, `exp`/`iat`/`sub`, `typ`) and
  that its user is active (one primary-key lookup), then reads one keyset page (status, `q`,
  limit), the search through the same substring index and plan as lead-manager.
- `POST /api/v1/leads`: the multipart form (python-multipart, through `request.form()` with the
  contract's limits), the field bounds, the resume's type by its first bytes (a PDF is what the
  bench sends), the file copied in chunks to a temporary file, fsynced and renamed, then one
  INSERT.

Run with uvicorn (`bench.raw_app:create_app --factory`) and lead-manager's environment:
DATABASE_URL (a migrated database), SECRET_KEY, STORAGE_URL (`file://`).
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import sqlite3
import tempfile
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import jwt
import orjson
import psycopg
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PAGE_COLUMNS = "id, first_name, last_name, email, status, created_at, assigned_to"
# lead-manager's thresholds (leads/repository.py): a trigram, and "few" index matches.
SEARCH_MIN_CHARS = 3
SEARCH_MAX_MATCHES = 10_000
STATUSES = frozenset({"PENDING", "REACHED_OUT"})
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FORM_LIMITS = {"max_files": 1, "max_fields": 20, "max_part_size": 64 * 1024}


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class Database(Protocol):
    # Whether a write waits for the disk (then it runs in a worker thread, beside the file's).
    writes_wait: bool

    def user_is_active(self, user_id: uuid.UUID) -> bool: ...

    def page(self, status: str | None, q: str | None, limit: int) -> list[dict[str, Any]]: ...

    def insert_lead(self, row: dict[str, Any]) -> None: ...


class SQLite:
    """Text ids (32 hex digits) and naive UTC timestamps, as SQLAlchemy stores them."""

    writes_wait = False

    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=15000"):
            self.connection.execute(f"PRAGMA {pragma}")

    def user_is_active(self, user_id: uuid.UUID) -> bool:
        row = self.connection.execute(
            "SELECT is_active FROM users WHERE id = ?", (user_id.hex,)
        ).fetchone()
        return bool(row and row[0])

    def page(self, status: str | None, q: str | None, limit: int) -> list[dict[str, Any]]:
        where, params = ([], []) if status is None else (["status = ?"], [status])
        order = f"ORDER BY created_at DESC, id DESC LIMIT {limit}"
        if q:
            pattern = _like(q)
            matches = (
                "(lower(first_name || ' ' || last_name) LIKE lower(?) ESCAPE '\\' "
                "OR lower(email) LIKE lower(?) ESCAPE '\\')"
            )
            phrase = '"' + q.replace('"', '""') + '"'
            if len(q) >= SEARCH_MIN_CHARS and self._few(phrase):
                sql = (
                    f"WITH matched AS MATERIALIZED (SELECT {PAGE_COLUMNS} FROM leads WHERE "
                    f"{matches} AND rowid IN (SELECT rowid FROM leads_search "
                    "WHERE leads_search MATCH ?)) "
                    f"SELECT * FROM matched {'WHERE ' + where[0] if where else ''} {order}"
                )
                params = [pattern, pattern, phrase, *params]
            else:
                where.append(matches)
                params += [pattern, pattern]
                sql = f"SELECT {PAGE_COLUMNS} FROM leads WHERE {' AND '.join(where)} {order}"
        else:
            sql = f"SELECT {PAGE_COLUMNS} FROM leads {'WHERE ' + where[0] if where else ''} {order}"
        return [
            {
                "id": _dashed(row[0]),
                "first_name": row[1],
                "last_name": row[2],
                "email": row[3],
                "status": row[4],
                "created_at": row[5].replace(" ", "T") + "+00:00",
                "assigned_to": row[6] and _dashed(row[6]),
            }
            for row in self.connection.execute(sql, params)
        ]

    def _few(self, phrase: str) -> bool:
        (found,) = self.connection.execute(
            "SELECT count(*) FROM (SELECT rowid FROM leads_search WHERE leads_search MATCH ? "
            f"LIMIT {SEARCH_MAX_MATCHES + 1})",
            (phrase,),
        ).fetchone()
        return bool(found <= SEARCH_MAX_MATCHES)

    def insert_lead(self, row: dict[str, Any]) -> None:
        stamp = row["created_at"].strftime("%Y-%m-%d %H:%M:%S.%f")
        self.connection.execute(_SQLITE_INSERT, _insert_values(row, row["id"].hex, stamp))


class PostgreSQL:
    """psycopg in autocommit: one statement is one transaction, no BEGIN/COMMIT round trips.

    Reads on the event loop's connection; writes on one connection per worker thread.
    """

    writes_wait = True

    def __init__(self, url: str) -> None:
        self.url = url
        self.connection = self._connect()
        self.writers = threading.local()

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, autocommit=True, options="-c timezone=UTC")

    def user_is_active(self, user_id: uuid.UUID) -> bool:
        row = self.connection.execute(
            "SELECT is_active FROM users WHERE id = %s", (user_id,)
        ).fetchone()
        return bool(row and row[0])

    def page(self, status: str | None, q: str | None, limit: int) -> list[dict[str, Any]]:
        where: list[str] = []
        params: list[Any] = []
        if status is not None:
            where, params = ["status = %s"], [status]
        order = f"ORDER BY created_at DESC, id DESC LIMIT {limit}"
        if q:
            pattern = _like(q)
            matches = "((first_name || ' ' || last_name) ILIKE %s OR email ILIKE %s)"
            if len(q) >= SEARCH_MIN_CHARS and self._few(matches, pattern):
                sql = (
                    f"WITH matched AS MATERIALIZED (SELECT {PAGE_COLUMNS} FROM leads "
                    f"WHERE {matches}) "
                    f"SELECT * FROM matched {'WHERE ' + where[0] if where else ''} {order}"
                )
                params = [pattern, pattern, *params]
            else:
                where.append(matches)
                params += [pattern, pattern]
                sql = f"SELECT {PAGE_COLUMNS} FROM leads WHERE {' AND '.join(where)} {order}"
        else:
            sql = f"SELECT {PAGE_COLUMNS} FROM leads {'WHERE ' + where[0] if where else ''} {order}"
        names = ("id", "first_name", "last_name", "email", "status", "created_at", "assigned_to")
        # orjson writes UUIDs and aware datetimes (RFC 3339) itself.
        return [dict(zip(names, row, strict=True)) for row in self.connection.execute(sql, params)]

    def _few(self, matches: str, pattern: str) -> bool:
        row = self.connection.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM leads WHERE {matches} "
            f"LIMIT {SEARCH_MAX_MATCHES + 1}) AS found",
            (pattern, pattern),
        ).fetchone()
        return bool(row and row[0] <= SEARCH_MAX_MATCHES)

    def insert_lead(self, row: dict[str, Any]) -> None:
        writer: psycopg.Connection[Any] | None = getattr(self.writers, "connection", None)
        if writer is None:
            writer = self.writers.connection = self._connect()
        writer.execute(_INSERT, _insert_values(row, row["id"], row["created_at"]))


_INSERT = """
INSERT INTO leads (id, first_name, last_name, email, phone, message, status, assigned_to,
    resume_key, resume_filename, resume_content_type, resume_size, request_id,
    created_at, updated_at)
VALUES (%s, %s, %s, %s, %s, %s, 'PENDING', NULL, %s, %s, 'application/pdf', %s, NULL, %s, %s)
"""
_SQLITE_INSERT = _INSERT.replace("%s", "?")


def _insert_values(row: dict[str, Any], lead_id: Any, stamp: Any) -> tuple[Any, ...]:
    return (
        lead_id,
        row["first_name"],
        row["last_name"],
        row["email"],
        row["phone"],
        row["message"],
        row["resume_key"],
        row["resume_filename"],
        row["resume_size"],
        stamp,
        stamp,
    )


def _dashed(hex_id: str) -> str:
    return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"


def connect(url: str) -> Database:
    if url.startswith("sqlite"):
        return SQLite(url.split("///", 1)[1])
    return PostgreSQL(url.replace("postgresql+psycopg://", "postgresql://", 1))


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


_UNAUTHENTICATED = {"detail": "Not authenticated"}


def create_app() -> Starlette:
    database = connect(os.environ["DATABASE_URL"])
    secret = os.environ["SECRET_KEY"]
    resumes = Path(os.environ["STORAGE_URL"].removeprefix("file://"))
    resumes.mkdir(parents=True, exist_ok=True)

    def user_id(request: Request) -> uuid.UUID | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return None
        try:
            claims = jwt.decode(
                header[7:], secret, ["HS256"], options={"require": ["exp", "iat", "sub"]}
            )
            if claims.get("typ") != "access":
                return None
            return uuid.UUID(claims["sub"])
        except (jwt.PyJWTError, ValueError, TypeError):
            return None

    async def list_leads(request: Request) -> Response:
        user = user_id(request)
        if user is None or not database.user_is_active(user):
            return _json(_UNAUTHENTICATED, 401, {"WWW-Authenticate": "Bearer"})
        query = request.query_params
        status, q = query.get("status"), query.get("q")
        try:
            limit = int(query.get("limit", "50"))
        except ValueError:
            limit = 0
        if (
            (status is not None and status not in STATUSES)
            or not 1 <= limit <= 100
            or (q is not None and (len(q) > 200 or _CONTROL.search(q)))
        ):
            return _json({"detail": "invalid query"}, 422)
        items = database.page(status, q.strip() if q else None, limit + 1)
        cursor = None
        if len(items) > limit:
            items = items[:limit]
            last = items[-1]
            raw = orjson.dumps([last["created_at"], str(last["id"]).replace("-", "")])
            cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return _json({"items": items, "next_cursor": cursor})

    def store(upload: BinaryIO) -> tuple[str, int]:
        key = secrets.token_hex(16)
        fd, temporary = tempfile.mkstemp(dir=resumes, prefix=".upload-")
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(upload, out, 256 * 1024)
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        os.replace(temporary, resumes / key)
        return key, size

    def insert(row: dict[str, Any]) -> None:
        try:
            database.insert_lead(row)
        except BaseException:
            (resumes / row["resume_key"]).unlink(missing_ok=True)
            raise

    def store_and_insert(upload: BinaryIO, row: dict[str, Any]) -> None:
        row["resume_key"], row["resume_size"] = store(upload)
        insert(row)

    async def submit_lead(request: Request) -> Response:
        async with request.form(**_FORM_LIMITS) as form:
            resume = form.get("resume")
            fields = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
            first, last, email = (fields.get(k, "") for k in ("first_name", "last_name", "email"))
            if (
                not isinstance(resume, UploadFile)
                or not (0 < len(first) <= 100 and 0 < len(last) <= 100 and len(email) <= 320)
                or _CONTROL.search(first + last + email)
                or not _EMAIL.fullmatch(email)
                or len(fields.get("phone", "")) > 40
                or len(fields.get("message", "")) > 5000
            ):
                return _json({"detail": "invalid"}, 422)
            if resume.file.read(5) != b"%PDF-":
                return _json({"detail": "not an accepted type"}, 415)
            resume.file.seek(0)
            row = {
                "id": uuid.uuid4(),
                "first_name": first,
                "last_name": last,
                "email": email,
                "phone": fields.get("phone") or None,
                "message": fields.get("message") or None,
                "resume_filename": os.path.basename(resume.filename or "resume.pdf")[:255],
                "created_at": datetime.now(UTC),
            }
            if database.writes_wait:
                await run_in_threadpool(store_and_insert, resume.file, row)
            else:
                row["resume_key"], row["resume_size"] = await run_in_threadpool(store, resume.file)
                insert(row)
        body = {
            "id": row["id"],
            "first_name": first,
            "last_name": last,
            "email": email,
            "status": "PENDING",
            "created_at": row["created_at"],
        }
        return _json(body, 201, {"Location": f"/api/v1/leads/{row['id']}"})

    return Starlette(
        routes=[
            Route("/api/v1/leads", list_leads, methods=["GET"]),
            Route("/api/v1/leads", submit_lead, methods=["POST"]),
        ]
    )
