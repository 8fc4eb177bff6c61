from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from lead_manager.core.db import Base
from lead_manager.users.models import Role, User


def get(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def get_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email.lower())).first()


def list_all(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.created_at, User.id)).all()


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def add(session: Session, user: User) -> User:
    session.add(user)
    session.flush()
    return user


def attorneys_and(session: Session, user_ids: Collection[uuid.UUID]) -> Sequence[User]:
    """Every active attorney, and the users of `user_ids` whatever their role or state."""
    condition = and_(User.role == Role.ATTORNEY.value, User.is_active.is_(True))
    if user_ids:
        condition = or_(condition, User.id.in_(list(user_ids)))
    return session.scalars(select(User).where(condition).order_by(User.id)).all()


def active_admins(session: Session) -> Sequence[User]:
    return session.scalars(
        select(User)
        .where(User.role == Role.ADMIN.value, User.is_active.is_(True))
        .order_by(User.id)
    ).all()


def lock_admins_and(session: Session, user_id: uuid.UUID) -> Sequence[User]:
    """The active admins and the user `user_id`, locked and re-read as committed.

    Serialises changes that could remove the last active admin: on PostgreSQL the rows are
    locked FOR UPDATE in id order (two admins demoting each other at the same moment: the second
    waits, then sees the first's change; same order, so no deadlock); on SQLite the writing
    request's transaction began with BEGIN IMMEDIATE and already holds the write lock.
    `populate_existing`: the objects loaded earlier in the request take the locked values.
    """
    return session.scalars(
        select(User)
        .where(
            or_(and_(User.role == Role.ADMIN.value, User.is_active.is_(True)), User.id == user_id)
        )
        .order_by(User.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()


def active_attorneys(session: Session, ids: Sequence[uuid.UUID]) -> Sequence[User]:
    """Those of `ids` who are active attorneys."""
    if not ids:
        return []
    return session.scalars(
        select(User)
        .where(User.id.in_(ids), User.role == Role.ATTORNEY.value, User.is_active.is_(True))
        .order_by(User.id)
    ).all()


# Built once: this runs on every submission, and building the statements per call (and the ORM's
# loading and flush they replace) cost more CPU than the rest of the choice. On the table, not
# the entity, so no ORM plugin runs per call (the `updated_at` onupdate default still applies).
_USERS = Base.metadata.tables[User.__tablename__]
_CANDIDATES = select(_USERS.c.id, _USERS.c.last_assigned_at).where(
    _USERS.c.role == Role.ATTORNEY.value,
    _USERS.c.is_active.is_(True),
    _USERS.c.is_available.is_(True),
)
_LOCKED_CANDIDATES = _CANDIDATES.order_by(_USERS.c.id).with_for_update(of=_USERS)
_MARK_ASSIGNED = (
    update(_USERS)
    .where(_USERS.c.id == bindparam("chosen_id"))
    .values(last_assigned_at=bindparam("last_assigned_at"))
)


def claim_next_attorney(
    session: Session, now: datetime, exclude: uuid.UUID | None = None
) -> uuid.UUID | None:
    """The available active attorney assigned longest ago (never-assigned first), now marked.

    Concurrent submissions must see each other's assignments, or two pick the same attorney and
    the rotation drifts. On PostgreSQL every candidate row is locked (in id order, so two
    submissions cannot deadlock) and the rows come back as committed by whoever held them last;
    SKIP LOCKED would not do: a waiter re-reads only its own row, never the order. On SQLite the
    writing transaction already holds the database's write lock. `exclude`: someone who may not
    have it (the attorney an escalated lead is taken from).
    """
    # On the connection: Core statements, and the ORM's execution layer would double their CPU
    # while (on SQLite) the write lock is held.
    connection = session.connection()
    candidates = _LOCKED_CANDIDATES if connection.dialect.name == "postgresql" else _CANDIDATES
    candidates_now: Sequence[tuple[uuid.UUID, datetime | None]] = connection.execute(
        candidates
    ).all()
    eligible = [row for row in candidates_now if row[0] != exclude]
    if not eligible:
        return None
    chosen_id, _ = min(
        eligible,
        key=lambda row: (row[1] is not None, row[1] or now, row[0]),
    )
    # Later than every assignment already made, even if our clock was read before a concurrent
    # submission's (or another host's clock runs ahead): otherwise the rotation could repeat.
    assigned = [at for _, at in candidates_now if at is not None]
    at = max([now, *(earlier + timedelta(microseconds=1) for earlier in assigned)])
    connection.execute(_MARK_ASSIGNED, {"chosen_id": chosen_id, "last_assigned_at": at})
    return chosen_id


_CLAIM_ATTORNEY = (
    update(_USERS)
    .where(
        _USERS.c.id == bindparam("chosen_id"),
        _USERS.c.role == Role.ATTORNEY.value,
        _USERS.c.is_active.is_(True),
        _USERS.c.is_available.is_(True),
    )
    .values(last_assigned_at=bindparam("last_assigned_at"))
)


def claim_attorney(session: Session, user_id: uuid.UUID, now: datetime) -> bool:
    """Assign to this attorney if still an active, available attorney (a returning prospect's
    earlier attorney); one conditional UPDATE, so it holds under concurrent changes."""
    result = session.connection().execute(
        _CLAIM_ATTORNEY, {"chosen_id": user_id, "last_assigned_at": now}
    )
    return bool(getattr(result, "rowcount", 0))
