from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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


def active_admins(session: Session) -> Sequence[User]:
    return session.scalars(
        select(User).where(User.role == Role.ADMIN.value, User.is_active.is_(True)).order_by(User.id)
    ).all()


def claim_next_attorney(session: Session, now: datetime) -> User | None:
    """The available active attorney assigned longest ago (never-assigned first), now marked.

    On PostgreSQL concurrent submissions skip each other's locked rows, so they spread over the
    attorneys instead of queueing on one; if every candidate is locked we wait for one. On SQLite
    the writing transaction already holds the database's write lock.
    """
    candidates = (
        select(User)
        .where(
            User.role == Role.ATTORNEY.value,
            User.is_active.is_(True),
            User.is_available.is_(True),
        )
        .order_by(User.last_assigned_at.asc().nulls_first(), User.id)
        .limit(1)
    )
    attorney: User | None
    if session.get_bind().dialect.name == "postgresql":
        attorney = session.scalars(candidates.with_for_update(skip_locked=True)).first()
        if attorney is None:
            attorney = session.scalars(candidates.with_for_update()).first()
    else:
        attorney = session.scalars(candidates).first()
    if attorney is not None:
        attorney.last_assigned_at = now
        session.flush()
    return attorney
