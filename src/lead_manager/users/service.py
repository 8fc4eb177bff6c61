"""Accounts: creation, changes, and the one-time first admin. No HTTP here."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lead_manager.audit import repository as audit
from lead_manager.audit.models import AuditAction
from lead_manager.core.errors import ConflictError, NotFoundError
from lead_manager.core.request_meta import RequestMeta
from lead_manager.core.security import hash_password
from lead_manager.users import repository
from lead_manager.users.models import Role, User
from lead_manager.users.schemas import UserCreate, UserSelfUpdate, UserUpdate

DEFAULT_ADMIN_EMAIL = "admin@example.com"


def create_user(
    session: Session, data: UserCreate, *, actor: uuid.UUID | None, meta: RequestMeta
) -> User:
    email = str(data.email).lower()
    if repository.get_by_email(session, email) is not None:
        raise ConflictError("A user with this email already exists.")
    user = User(
        email=email,
        full_name=data.full_name,
        password_hash=hash_password(data.password),
        role=data.role.value,
        is_active=True,
        is_available=data.is_available,
    )
    try:
        # A savepoint, so a concurrent duplicate only undoes this insert, not the request.
        with session.begin_nested():
            repository.add(session, user)
    except IntegrityError as exc:
        raise ConflictError("A user with this email already exists.") from exc
    audit.record(
        session,
        AuditAction.USER_CREATED,
        actor=actor,
        target=str(user.id),
        meta=meta,
        role=user.role,
    )
    return user


def list_users(session: Session) -> Sequence[User]:
    return repository.list_all(session)


def get_user(session: Session, user_id: uuid.UUID) -> User:
    user = repository.get(session, user_id)
    if user is None:
        raise NotFoundError("User not found.")
    return user


def update_user(
    session: Session,
    user: User,
    changes: UserUpdate | UserSelfUpdate,
    *,
    actor: uuid.UUID,
    meta: RequestMeta,
) -> User:
    fields = changes.model_dump(exclude_unset=True, exclude_none=True)
    if "role" in fields:
        fields["role"] = Role(fields["role"]).value
    admins = None
    if "role" in fields or "is_active" in fields:
        # Locked before deciding (finding 10): without it two admins demoting each other at the
        # same moment each saw the other still active, and none was left.
        admins = repository.lock_admins_and(session, user.id)
    changed = {name: value for name, value in fields.items() if getattr(user, name) != value}
    loses_admin = user.role == Role.ADMIN.value and (
        changed.get("role", Role.ADMIN.value) != Role.ADMIN.value
        or changed.get("is_active") is False
    )
    others = [
        admin
        for admin in admins or ()
        if admin.id != user.id and admin.role == Role.ADMIN.value and admin.is_active
    ]
    if loses_admin and not others:
        raise ConflictError("This is the last active administrator; appoint another first.")
    for name, value in changed.items():
        setattr(user, name, value)
    if changed:
        session.flush()
        audit.record(
            session,
            AuditAction.USER_UPDATED,
            actor=actor,
            target=str(user.id),
            meta=meta,
            changes=sorted(changed),
        )
    return user


def ensure_first_admin(session: Session) -> tuple[str, str] | None:
    """When there are no users at all: an admin with a generated password, returned once."""
    if repository.count(session) > 0:
        return None
    password = secrets.token_urlsafe(18)
    data = UserCreate(
        email=DEFAULT_ADMIN_EMAIL,
        full_name="Administrator",
        password=password,
        role=Role.ADMIN,
        is_available=False,
    )
    user = create_user(session, data, actor=None, meta=RequestMeta())
    return user.email, password
