"""All SQL of signing in and out: the one lookup per authenticated request, revoked tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lead_manager.auth.models import RevokedToken
from lead_manager.users.models import User


def user_and_revocation(session: Session, user_id: uuid.UUID, jti: str) -> tuple[User, bool] | None:
    """The user and whether this token was revoked, in ONE statement (primary key lookup plus
    an EXISTS on the revoked token's primary key): every authenticated request runs it."""
    revoked = exists().where(RevokedToken.jti == jti)
    row = session.execute(select(User, revoked).where(User.id == user_id)).first()
    if row is None:
        return None
    return row[0], bool(row[1])


_USERS = User.__table__
_REVOKED = RevokedToken.__table__
# Built once: the event loop's check of every list request (auth/service.principal_for_token).
_TOKEN_HOLDER = select(
    _USERS.c.id,
    _USERS.c.role,
    _USERS.c.is_active,
    _USERS.c.session_version,
    exists().where(_REVOKED.c.jti == bindparam("jti")).label("revoked"),
).where(_USERS.c.id == bindparam("user_id"))


def token_holder(connection: Connection, user_id: uuid.UUID, jti: str) -> Row[Any] | None:
    """What `user_and_revocation` reads, as a plain row (id, role, is_active, session_version,
    revoked): the same single statement, without the ORM, for a read on the event loop."""
    return connection.execute(_TOKEN_HOLDER, {"user_id": user_id, "jti": jti}).first()


def revoke(session: Session, jti: str, expires_at: datetime, now: datetime) -> None:
    """Revoke one token; forget revocations of tokens that have expired meanwhile (an expired
    token is refused on its own), so the table stays small without a scheduled job."""
    session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))
    if session.get(RevokedToken, jti) is not None:
        return
    try:
        # A savepoint: the same token signed out twice at the same moment is not an error.
        with session.begin_nested():
            session.add(RevokedToken(jti=jti, expires_at=expires_at))
    except IntegrityError:
        pass


def set_password(
    session: Session, user: User, password_hash: str, *, expected_version: int | None = None
) -> bool:
    """Store a new password hash and move the session version on (ending every earlier session).

    With `expected_version`, only if the version is still that one: one conditional UPDATE, so
    of two uses of one reset token at the same moment exactly one succeeds.
    """
    statement = (
        update(User)
        .where(User.id == user.id)
        .values(password_hash=password_hash, session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    if expected_version is not None:
        statement = statement.where(User.session_version == expected_version)
    changed = bool(getattr(session.execute(statement), "rowcount", 0))
    if changed:
        session.refresh(user)
    return changed
