"""Engine, sessions and the shared column types. One engine per process, made by `create_engine`."""

from __future__ import annotations

import sqlite3
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import structlog
from sqlalchemy import Connection, DateTime, Engine, MetaData, event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from lead_manager.core.settings import Settings

log = structlog.get_logger(__name__)
T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Session.info key: on SQLite a writing request takes the write lock when it begins, so two
# writers never both read first and then fail to upgrade their lock (SQLITE_BUSY).
WRITE_INTENT = "write_intent"
SQLITE_BUSY_TIMEOUT_SECONDS = 15
# PostgreSQL: the longest a read on the event loop may take to connect, or to run.
LOOP_READ_TIMEOUT_SECONDS = 5


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


def _configure_sqlite(engine: Engine, *, transactions: bool = True) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from pysqlite so BEGIN is ours (see WRITE_INTENT).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        # Sorts and groupings (the statistics over a long range) in memory, not in temporary
        # files: two to three times faster, at a few tens of MB for a year of leads.
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    if not transactions:
        return
    # This process's writers take turns on a lock before BEGIN IMMEDIATE. Left to SQLite, a
    # writer that finds the database locked sleeps and retries (1, 2, 5 … 100 ms), so under
    # concurrent submissions the lock sat free while every writer slept; a lock hands the turn
    # straight to the next one. Other processes (workers, the CLI) still meet busy_timeout.
    write_turn = threading.Lock()
    # The connections whose transaction holds the turn. Not `connection.info`: that is cleared
    # when a connection is invalidated, and the turn must still be given back.
    holders: weakref.WeakSet[Any] = weakref.WeakSet()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if not connection.get_execution_options().get(WRITE_INTENT, False):
            connection.exec_driver_sql("BEGIN")
            return
        if not write_turn.acquire(timeout=SQLITE_BUSY_TIMEOUT_SECONDS):
            raise sqlite3.OperationalError("database is locked")
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            write_turn.release()
            raise
        holders.add(connection)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Any) -> None:
        # Just before COMMIT/ROLLBACK: the next writer's BEGIN IMMEDIATE then waits at most for
        # that statement, SQLite's first 1 ms retry.
        if connection in holders:
            holders.discard(connection)
            write_turn.release()


def ensure_sqlite_directory(url: str) -> None:
    """SQLite creates the file but not its directory (`var/` on a fresh checkout)."""
    if url.startswith("sqlite") and "///" in url:
        database = url.split("///", 1)[1].split("?", 1)[0]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)


def create_engine(settings: Settings) -> Engine:
    return _engine_for(settings.database_url)


def _engine_for(url: str, *, event_loop: bool = False) -> Engine:
    kwargs: dict[str, Any] = {"pool_pre_ping": False}
    if url.startswith("sqlite"):
        ensure_sqlite_directory(url)
        kwargs["connect_args"] = {
            "check_same_thread": False,
            "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
        }
        kwargs["pool_size"] = 20
        kwargs["max_overflow"] = 20
    else:
        kwargs["pool_size"] = 10
        kwargs["max_overflow"] = 20
        kwargs["pool_pre_ping"] = True
    if event_loop:
        # See Database.loop_read: one connection at a time is ever checked out, so two do.
        kwargs.update(
            pool_size=2, max_overflow=0, pool_pre_ping=False, isolation_level="AUTOCOMMIT"
        )
        if not url.startswith("sqlite"):
            # While it waits, nothing else of the process runs: an unreachable or stuck server
            # fails the read in seconds instead of freezing every request.
            kwargs["connect_args"] = {
                "connect_timeout": LOOP_READ_TIMEOUT_SECONDS,
                "options": f"-c statement_timeout={LOOP_READ_TIMEOUT_SECONDS * 1000}",
            }
    engine = sa_create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, transactions=not event_loop)
    return engine


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, else roll back and undo what the hooks undo.

    The request dependency and the CLI and dispatcher all end their transactions through
    `finish_transaction`, so there is one place that commits.
    """
    session = factory()
    try:
        yield session
    except BaseException:
        finish_transaction(session, failed=True)
        raise
    finish_transaction(session)


def finish_transaction(session: Session, *, failed: bool = False) -> None:
    """Commit (or, if `failed` or the commit fails, roll back and run the hooks); then close."""
    try:
        if not failed:
            try:
                session.commit()
            except BaseException:
                failed = True
                raise
            forget_rollback_hooks(session)
            run_commit_hooks(session)
    finally:
        try:
            if failed:
                session.info.pop(_COMMIT_HOOKS, None)
                try:
                    session.rollback()
                finally:
                    # Nothing committed even if the rollback itself failed (a broken connection).
                    run_rollback_hooks(session)
        finally:
            session.close()


def create_write_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose transaction, when it begins, takes SQLite's write lock straight away."""
    return create_session_factory(engine.execution_options(**{WRITE_INTENT: True}))


@dataclass(frozen=True, slots=True)
class Database:
    """The process's engine and its two kinds of session: reads, and writes (see WRITE_INTENT);
    and a small engine of its own for short reads on the event loop (`loop_read`)."""

    engine: Engine
    sessions: sessionmaker[Session]
    write_sessions: sessionmaker[Session]
    loop_engine: Engine

    @classmethod
    def create(cls, settings: Settings) -> Database:
        return cls.from_engine(create_engine(settings))

    @classmethod
    def from_engine(cls, engine: Engine) -> Database:
        return cls(
            engine,
            create_session_factory(engine),
            create_write_session_factory(engine),
            _engine_for(engine.url.render_as_string(hide_password=False), event_loop=True),
        )

    def loop_read(self, read: Callable[[Connection], T]) -> T:
        """`read(connection)` for a read of a few index seeks, run on the event loop itself.

        A request's thread hops (to run a statement, then to end its transaction) cost more CPU
        in thread switches than such a read does. Safe on the loop only because `read` gives
        the connection back before anything is awaited: the loop then never holds more than one,
        and its own pool never makes it wait for one (a loop waiting for a connection that only
        an awaiting request could give back would wait forever). Autocommit: one statement
        needs no transaction. No ping before each use (a round trip each): a connection found
        dead, after a database restart, is replaced and the read tried once more.
        """
        try:
            with self.loop_engine.connect() as connection:
                return read(connection)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        with self.loop_engine.connect() as connection:
            return read(connection)

    def dispose(self) -> None:
        self.engine.dispose()
        self.loop_engine.dispose()


_ROLLBACK_HOOKS = "rollback_hooks"
_COMMIT_HOOKS = "commit_hooks"


def on_commit(session: Session, hook: Callable[[], None]) -> None:
    """Run `hook` once this transaction has committed (what only a committed change may say)."""
    session.info.setdefault(_COMMIT_HOOKS, []).append(hook)


def run_commit_hooks(session: Session) -> None:
    for hook in session.info.pop(_COMMIT_HOOKS, []):
        # The change is committed whatever a hook does; its failure must not turn into an error.
        try:
            hook()
        except Exception:
            log.exception("commit hook failed", hook=getattr(hook, "__qualname__", repr(hook)))


def on_rollback(session: Session, hook: Callable[[], None]) -> None:
    """Undo something outside the database (a stored file) if this transaction does not commit."""
    session.info.setdefault(_ROLLBACK_HOOKS, []).append(hook)


def run_rollback_hooks(session: Session) -> None:
    hooks: list[Callable[[], None]] = session.info.pop(_ROLLBACK_HOOKS, [])
    for hook in reversed(hooks):
        # Every undo gets its turn, and the error that caused the rollback is the one raised;
        # what a failed undo leaves behind (an unreferenced file) is harmless.
        try:
            hook()
        except Exception:
            log.exception("rollback hook failed", hook=getattr(hook, "__qualname__", repr(hook)))


def forget_rollback_hooks(session: Session) -> None:
    session.info.pop(_ROLLBACK_HOOKS, None)
