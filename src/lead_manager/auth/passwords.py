"""Changing and resetting passwords. Each one ends every earlier session of the user: setting a
password moves the user's session version on, and tokens name the version they were issued at.
No HTTP here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from anyio import to_thread
from sqlalchemy.orm import Session, sessionmaker

from lead_manager.audit import repository as audit
from lead_manager.audit.models import AuditAction
from lead_manager.auth import repository as sessions
from lead_manager.auth.service import LoginThrottle
from lead_manager.core.db import transaction, utcnow
from lead_manager.core.errors import DomainError, NotFoundError
from lead_manager.core.request_meta import RequestMeta
from lead_manager.core.security import (
    InvalidTokenError,
    PasswordHashing,
    decode_password_reset_token,
    hash_password,
)
from lead_manager.core.validation import CONTROL_CHARACTERS
from lead_manager.outbox.models import MessageKind
from lead_manager.outbox.service import Email, enqueue
from lead_manager.users import repository as users
from lead_manager.users.models import User

RESET_LINK_LIFETIME = timedelta(hours=1)


class WrongPasswordError(DomainError):
    """400: the current password given with a change is not the user's."""

    def __init__(self) -> None:
        super().__init__("The current password is not correct.")


class InvalidResetLinkError(DomainError):
    """400: a reset token that is forged, expired, or already used (one wording for all)."""

    def __init__(self) -> None:
        super().__init__("This password reset link is invalid or has expired; ask for a new one.")


@dataclass(frozen=True, slots=True)
class StoredPassword:
    password_hash: str
    session_version: int


def _stored_password(
    read_factory: sessionmaker[Session], user_id: uuid.UUID
) -> StoredPassword | None:
    """An active user's hash and session version, read in a read transaction of its own."""
    with transaction(read_factory) as reads:
        user = users.get(reads, user_id)
        if user is None or not user.is_active:
            return None
        return StoredPassword(user.password_hash, user.session_version)


def _store_password(
    session: Session,
    user_id: uuid.UUID,
    new_hash: str,
    version: int,
    meta: RequestMeta,
    *,
    action: AuditAction,
    refused: DomainError,
    **details: str,
) -> User:
    """Write a hash worked out before, on the condition that the session version is still the
    one read before hashing (`refused` is raised otherwise: a change or reset that landed
    meanwhile wins, and a reset token is used exactly once); audited as `action`."""
    user = users.get(session, user_id)
    if user is None or not sessions.set_password(session, user, new_hash, expected_version=version):
        raise refused
    audit.record(session, action, actor=user.id, target=str(user.id), meta=meta, **details)
    return user


@dataclass(frozen=True, slots=True)
class Passwords:
    """A user changing their password, and reset links by email (requested by anyone, throttled
    like logins, used once). Both hash on `hashing`, before the request's writing transaction
    writes (see `change`)."""

    throttle: LoginThrottle
    signing_key: str
    read_sessions: sessionmaker[Session]
    hashing: PasswordHashing

    async def change(
        self, session: Session, user_id: uuid.UUID, current: str, new: str, *, meta: RequestMeta
    ) -> User:
        """Set a new password after checking the current one; earlier sessions end (the
        caller's too: a page signs the user in again with a new token, an API client logs in
        again). Returns the user as changed.

        As with the login, the slow part comes first and outside `session` (the request's
        writing transaction, which on SQLite holds the database's write lock from its first
        statement): the account is read on a read session, both hashes wait their turn on the
        hashing executor (HashingBusyError when its queue is full), and only then is the new
        hash written, on the condition that the session version is still the one read (a change
        or reset that landed meanwhile wins; this one is refused as a wrong password, which it
        may well be by then).
        """
        stored = await to_thread.run_sync(_stored_password, self.read_sessions, user_id)
        valid = await self.hashing.verify(current, stored.password_hash if stored else None)
        if stored is None or not valid:
            raise WrongPasswordError
        new_hash = await self.hashing.hash(new)
        store = partial(
            _store_password,
            action=AuditAction.PASSWORD_CHANGED,
            refused=WrongPasswordError(),
        )
        return await to_thread.run_sync(
            store, session, user_id, new_hash, stored.session_version, meta
        )

    def request_reset(self, session: Session, email: str, *, meta: RequestMeta) -> None:
        """Email an active account a reset link; for any other address do the same work but the
        email, and tell the caller nothing either way. RateLimitExceededError when used up."""
        normalized = email.strip().lower()
        address = meta.client_ip or "unknown"
        # Every request counts (not only failures as with logins): each may send an email.
        self.throttle.limiter.consume(self.throttle.per_account, normalized, address)
        self.throttle.limiter.consume(self.throttle.per_address, address)
        user = None
        if len(normalized) <= 320 and not CONTROL_CHARACTERS.search(normalized):
            user = users.get_by_email(session, normalized)
        if user is not None and user.is_active:
            expires_at = utcnow() + RESET_LINK_LIFETIME
            # The version too (not a secret): a link rendered after the password changed, or
            # re-sent after it was used, is void already.
            details = {
                "expires_at": int(expires_at.timestamp()),
                "session_version": user.session_version,
            }
            email_row = Email(MessageKind.PASSWORD_RESET, recipient_id=user.id, details=details)
            enqueue(session, None, [email_row], request_id=meta.request_id)
        audit.record(
            session,
            AuditAction.PASSWORD_RESET_REQUESTED,
            actor=None,
            target=str(user.id) if user is not None else None,
            meta=meta,
        )

    async def confirm_reset(
        self, session: Session, token: str, new_password: str, *, meta: RequestMeta
    ) -> None:
        """Set the password a valid reset token allows; InvalidResetLinkError otherwise. The new
        hash is worked out before `session` writes (see `change`)."""
        try:
            user_id, version = decode_password_reset_token(token, self.signing_key)
        except InvalidTokenError as exc:
            raise InvalidResetLinkError from exc
        stored = await to_thread.run_sync(_stored_password, self.read_sessions, user_id)
        if stored is None or stored.session_version != version:
            raise InvalidResetLinkError
        new_hash = await self.hashing.hash(new_password)
        store = partial(
            _store_password,
            action=AuditAction.PASSWORD_RESET,
            refused=InvalidResetLinkError(),
            via="link",
        )
        await to_thread.run_sync(store, session, user_id, new_hash, version, meta)


def reset_from_shell(session: Session, email: str, new_password: str) -> uuid.UUID:
    """`lead-manager reset-password`: set a user's password; NotFoundError for an unknown email."""
    user = users.get_by_email(session, email.strip().lower())
    if user is None:
        raise NotFoundError(f"no user with the email {email.strip()!r}")
    sessions.set_password(session, user, hash_password(new_password))
    audit.record(
        session,
        AuditAction.PASSWORD_RESET,
        actor=None,
        target=str(user.id),
        meta=RequestMeta(),
        via="shell",
    )
    return user.id
