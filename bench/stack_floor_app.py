"""The stack floor: the raw reference's work, written with the stack lead-manager is built on.

FastAPI `async def` endpoints and an async auth dependency (PyJWT, then the user's row): the list
takes no thread hop; SQLAlchemy Core statements on a plain engine (pysqlite, or psycopg on
PostgreSQL), reads in autocommit; a Pydantic model validated from the rows and serialised once.
The intake takes the form into a model (`Form()`, `EmailStr`), checks the resume's first bytes,
copies it to a temporary file (fsync, rename) and runs one INSERT; like the raw reference, it
takes one thread hop where the work waits for the disk (the file, and the INSERT on PostgreSQL,
whose commit waits for the WAL flush; SQLite's INSERT stays on the event loop). No middleware, rate
limit, libmagic, assignment, history, outbox or log line: what the stack costs, to judge
lead-manager against (lead-manager / floor), and what it costs over the raw reference
(floor / raw).

Run with uvicorn (`bench.stack_floor_app:create_app --factory`) and lead-manager's environment:
DATABASE_URL (a migrated database), SECRET_KEY, STORAGE_URL (`file://`).
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import jwt
import orjson
from fastapi import Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, EmailStr, StringConstraints
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    Uuid,
    create_engine,
    event,
    func,
    insert,
    literal_column,
    or_,
    select,
    table,
)
from starlette.concurrency import run_in_threadpool

SEARCH_MIN_CHARS = 3
SEARCH_MAX_MATCHES = 10_000


class UTCDateTime(TypeDecorator[datetime]):
    """SQLite keeps naive UTC text; the answers carry the zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and dialect.name == "sqlite":
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()
users = Table("users", metadata, Column("id", Uuid, primary_key=True), Column("is_active", Boolean))
leads = Table(
    "leads",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("first_name", String(100)),
    Column("last_name", String(100)),
    Column("email", String(320)),
    Column("phone", String(40)),
    Column("message", Text),
    Column("status", String(16)),
    Column("assigned_to", Uuid),
    Column("resume_key", String(64)),
    Column("resume_filename", String(255)),
    Column("resume_content_type", String(100)),
    Column("resume_size", Integer),
    Column("request_id", String(64)),
    Column("created_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
)
PAGE = (
    leads.c.id,
    leads.c.first_name,
    leads.c.last_name,
    leads.c.email,
    leads.c.status,
    leads.c.created_at,
    leads.c.assigned_to,
)
_FULL_NAME = leads.c.first_name + literal_column("' '", String) + leads.c.last_name
_SEARCH = table("leads_search")
_INSERT = insert(leads)


class Status(StrEnum):
    PENDING = "PENDING"
    REACHED_OUT = "REACHED_OUT"


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
SingleLine = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


class LeadForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    first_name: Name
    last_name: Name
    email: Annotated[EmailStr, StringConstraints(max_length=320)]
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    message: Annotated[str, StringConstraints(max_length=5000)] | None = None


class LeadCreated(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    status: Status
    created_at: datetime


class LeadItem(LeadCreated):
    assigned_to: uuid.UUID | None


class LeadPage(BaseModel):
    items: list[LeadItem]
    next_cursor: str | None


def _matches(q: str) -> Any:
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(_FULL_NAME.ilike(pattern, escape="\\"), leads.c.email.ilike(pattern, escape="\\"))


def _page(connection: Connection, status: Status | None, q: str | None, limit: int) -> Any:
    """One keyset page; a search the index finds few matches for is built from them (as in
    lead-manager, leads/repository.py)."""
    sqlite = connection.dialect.name == "sqlite"
    if q and len(q) >= SEARCH_MIN_CHARS:
        if sqlite:
            phrase = '"' + q.replace('"', '""') + '"'
            candidates: Any = (
                select(literal_column("leads_search.rowid"))
                .select_from(_SEARCH)
                .where(literal_column("leads_search").op("MATCH")(phrase))
            )
        else:
            candidates = select(leads.c.id).where(_matches(q))
        found = connection.execute(
            select(func.count()).select_from(candidates.limit(SEARCH_MAX_MATCHES + 1).subquery())
        ).scalar_one()
        if found <= SEARCH_MAX_MATCHES:
            matched_rows = select(*PAGE).where(_matches(q))
            if sqlite:
                matched_rows = matched_rows.where(literal_column("leads.rowid").in_(candidates))
            matched = matched_rows.cte("matched").prefix_with("MATERIALIZED")
            stmt = select(*matched.c).order_by(matched.c.created_at.desc(), matched.c.id.desc())
            if status is not None:
                stmt = stmt.where(matched.c.status == status.value)
            return connection.execute(stmt.limit(limit)).all()
    stmt = select(*PAGE).order_by(leads.c.created_at.desc(), leads.c.id.desc())
    if status is not None:
        stmt = stmt.where(leads.c.status == status.value)
    if q:
        stmt = stmt.where(_matches(q))
    return connection.execute(stmt.limit(limit)).all()


def _engine(url: str) -> Engine:
    engine = create_engine(url, pool_size=5)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=15000"):
                dbapi_connection.execute(f"PRAGMA {pragma}")

    return engine


async def read_connection(request: Request) -> AsyncIterator[Connection]:
    with request.app.state.reader.connect() as connection:
        yield connection


ReadConnection = Annotated[Connection, Depends(read_connection)]


async def current_user(request: Request, connection: ReadConnection) -> uuid.UUID:
    header = request.headers.get("authorization", "")
    try:
        if not header.startswith("Bearer "):
            raise ValueError("no bearer token")
        claims = jwt.decode(
            header[7:],
            request.app.state.secret,
            ["HS256"],
            options={"require": ["exp", "iat", "sub"]},
        )
        if claims.get("typ") != "access":
            raise ValueError("not an access token")
        user_id = uuid.UUID(claims["sub"])
    except (jwt.PyJWTError, ValueError, TypeError):
        user_id = None
    if (
        user_id is None
        or not connection.execute(select(users.c.is_active).where(users.c.id == user_id)).scalar()
    ):
        raise HTTPException(401, "Not authenticated", {"WWW-Authenticate": "Bearer"})
    return user_id


CurrentUser = Annotated[uuid.UUID, Depends(current_user)]


def create_app() -> FastAPI:
    engine = _engine(os.environ["DATABASE_URL"])
    resumes = Path(os.environ["STORAGE_URL"].removeprefix("file://"))
    resumes.mkdir(parents=True, exist_ok=True)
    app = FastAPI()
    app.state.reader = engine.execution_options(isolation_level="AUTOCOMMIT")
    app.state.secret = os.environ["SECRET_KEY"]

    @app.get("/api/v1/leads")
    async def list_leads(
        _user: CurrentUser,
        connection: ReadConnection,
        status: Status | None = None,
        q: SingleLine | None = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
    ) -> Response:
        rows = _page(connection, status, q.strip() if q else None, limit + 1)
        cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            raw = orjson.dumps([last.created_at.isoformat(), last.id.hex])
            cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        page = LeadPage.model_validate(
            {"items": rows[:limit], "next_cursor": cursor}, from_attributes=True
        )
        return Response(page.model_dump_json(), media_type="application/json")

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

    def insert_lead(row: dict[str, Any]) -> None:
        try:
            with engine.begin() as connection:
                connection.execute(_INSERT, row)
        except BaseException:
            (resumes / row["resume_key"]).unlink(missing_ok=True)
            raise

    def store_and_insert(upload: BinaryIO, row: dict[str, Any]) -> None:
        row["resume_key"], row["resume_size"] = store(upload)
        insert_lead(row)

    @app.post("/api/v1/leads", status_code=201)
    async def submit_lead(
        data: Annotated[LeadForm, Form()], resume: Annotated[UploadFile, File()]
    ) -> Response:
        if await resume.read(5) != b"%PDF-":
            raise HTTPException(415, "not an accepted type")
        await resume.seek(0)
        now = datetime.now(UTC)
        row = {
            "id": uuid.uuid4(),
            "first_name": data.first_name,
            "last_name": data.last_name,
            "email": str(data.email),
            "phone": data.phone,
            "message": data.message,
            "status": Status.PENDING.value,
            "resume_filename": os.path.basename(resume.filename or "resume.pdf")[:255],
            "resume_content_type": "application/pdf",
            "created_at": now,
            "updated_at": now,
        }
        if engine.dialect.name == "sqlite":
            row["resume_key"], row["resume_size"] = await run_in_threadpool(store, resume.file)
            insert_lead(row)
        else:
            await run_in_threadpool(store_and_insert, resume.file, row)
        return Response(
            LeadCreated.model_validate(row).model_dump_json(),
            status_code=201,
            media_type="application/json",
            headers={"Location": f"/api/v1/leads/{row['id']}"},
        )

    return app
