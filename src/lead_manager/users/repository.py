from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

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
        select(User)
        .where(User.role == Role.ADMIN.value, User.is_active.is_(True))
        .order_by(User.id)
    ).all()


def claim_next_attorney(session: Session, now: datetime) -> User | None:
    """The available active attorney assigned longest ago (never-assigned first), now marked.

    Concurrent submissions must see each other's assignments, or two pick the same attorney and
    the rotation drifts. On PostgreSQL every candidate row is locked (in id order, so two
    submissions cannot deadlock) and the rows come back as committed by whoever held them last;
    SKIP LOCKED would not do: a waiter re-reads only its own row, never the order. On SQLite the
    writing transaction already holds the database's write lock.
    """
    candidates = (
        select(User)
        .where(
            User.role == Role.ATTORNEY.value,
            User.is_active.is_(True),
            User.is_available.is_(True),
        )
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.order_by(User.id).with_for_update(of=User)
    eligible = session.scalars(candidates).all()
    if not eligible:
        return None
    attorney = min(
        eligible,
        key=lambda user: (user.last_assigned_at is not None, user.last_assigned_at or now, user.id),
    )
    # Later than every assignment already made, even if our clock was read before a concurrent
    # submission's (or another host's clock runs ahead): otherwise the rotation could repeat.
    assigned = [user.last_assigned_at for user in eligible if user.last_assigned_at is not None]
    attorney.last_assigned_at = max([now, *(at + timedelta(microseconds=1) for at in assigned)])
    session.flush()
    return attorney
