"""Logging in: password check with throttling, equal work for unknown emails, audit of both."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import structlog
from anyio import to_thread
from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from lead_manager.audit import repository as audit
from lead_manager.audit.models import AuditAction
from lead_manager.auth import repository as sessions
from lead_manager.core.db import transaction, utcnow
from lead_manager.core.logging import mask_email
from lead_manager.core.metrics import LOGIN_FAILURES, LOGIN_THROTTLED
from lead_manager.core.rate_limit import Limit, RateLimiter, RateLimitExceededError
from lead_manager.core.request_meta import RequestMeta
from lead_manager.core.security import (
    AccessToken,
    InvalidTokenError,
    PasswordHashing,
    TokenClaims,
    create_access_token,
    decode_access_token,
)
from lead_manager.core.validation import CONTROL_CHARACTERS
from lead_manager.users import repository as users
from lead_manager.users.models import User

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class LoginThrottle:
    limiter: RateLimiter
    per_account: Limit
    per_address: Limit


@dataclass(frozen=True, slots=True)
class Principal:
    """Who an authenticated read is for, without the ORM's user object: for requests served on
    the event loop (the lead list)."""

    id: uuid.UUID
    role: str


def _still_valid(claims: TokenClaims, is_active: bool, version: int, revoked: bool) -> bool:
    # Checked every time: deactivation, sign-out and a password change end sessions at once.
    return bool(is_active) and not revoked and version == claims.session_version


class InvalidCredentialsError(Exception):
    """Wrong password, unknown or inactive account: one kind, one wording, for the API and pages."""

    detail = "Incorrect email or password."


async def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    read_factory: sessionmaker[Session],
    throttle: LoginThrottle,
    hashing: PasswordHashing,
    meta: RequestMeta,
) -> User:
    """The active user with these credentials, else InvalidCredentialsError (one kind for all).

    Attempts are counted per (account, address) and per address; the pair keeps a remote
    attacker from locking a user out, the address alone bounds guessing across many accounts.
    Each attempt is counted (an atomic hit, in memory or Redis) *before* the password is checked,
    so of many simultaneous attempts no more than the limit get checked; the rest raise
    RateLimitExceededError without any password work. A success clears its pair's count (the
    address's keeps it: the limits library cannot take one hit back). HashingBusyError when the
    hashing queue is full (the attempt stays counted: the limits come first, so that of a burst
    the refused attempts never take a place in the queue).

    The account is read, and the password checked, before `session` (the request's writing
    transaction, which only records the audit row) does anything: on SQLite a writing
    transaction holds the database's write lock from its first statement, and holding it
    through the deliberately slow hash queued every lead submission behind each login. The
    password check waits in the hashing queue as a future: the login holds no server thread.
    """
    normalized = email.strip().lower()
    address = meta.client_ip or "unknown"
    try:
        # The pair first: an attempt it refuses then does not use up the address's budget.
        await throttle.limiter.consume_async(throttle.per_account, normalized, address)
        await throttle.limiter.consume_async(throttle.per_address, address)
    except RateLimitExceededError:
        LOGIN_THROTTLED.inc()
        raise
    with hashing.turn() as turn:
        user = await to_thread.run_sync(_active_candidate, read_factory, normalized)
        valid = await turn.verify(password, user.password_hash if user else None)
    if user is None or not valid or not user.is_active:
        await to_thread.run_sync(_record_failure, session, user, meta)
        log.info("login failed", email=mask_email(normalized))
        raise InvalidCredentialsError
    await to_thread.run_sync(_record_success, session, user, throttle, normalized, address, meta)
    return user


def _active_candidate(read_factory: sessionmaker[Session], normalized: str) -> User | None:
    # No stored email is longer or holds control characters; PostgreSQL rejects NUL outright.
    if len(normalized) > 320 or CONTROL_CHARACTERS.search(normalized):
        return None
    with transaction(read_factory) as lookup:
        return users.get_by_email(lookup, normalized)


def _record_failure(session: Session, user: User | None, meta: RequestMeta) -> None:
    audit.record(
        session,
        AuditAction.LOGIN_FAILED,
        actor=None,
        target=str(user.id) if user else None,
        meta=meta,
    )
    LOGIN_FAILURES.inc()


def _record_success(
    session: Session,
    user: User,
    throttle: LoginThrottle,
    normalized: str,
    address: str,
    meta: RequestMeta,
) -> None:
    throttle.limiter.clear(throttle.per_account, normalized, address)
    audit.record(
        session, AuditAction.LOGIN_SUCCEEDED, actor=user.id, target=str(user.id), meta=meta
    )


@dataclass(frozen=True, slots=True)
class Authenticator:
    """Logging in and recognising tokens: the one way for the API (bearer) and the pages (cookie)."""

    read_sessions: sessionmaker[Session]
    throttle: LoginThrottle
    # Password checks run here, on threads of their own (a bounded queue).
    hashing: PasswordHashing
    signing_key: str
    token_lifetime: timedelta

    async def login(
        self, session: Session, email: str, password: str, meta: RequestMeta
    ) -> AccessToken:
        """A token for these credentials; InvalidCredentialsError, RateLimitExceededError or
        HashingBusyError."""
        user = await authenticate(
            session,
            email,
            password,
            read_factory=self.read_sessions,
            throttle=self.throttle,
            hashing=self.hashing,
            meta=meta,
        )
        return self.issue_token(user)

    def issue_token(self, user: User) -> AccessToken:
        """A new session for `user` (after login, or to keep a page signed in after a password
        change), valid until it expires, is revoked, or the user's session version moves on."""
        return create_access_token(
            user.id, self.signing_key, self.token_lifetime, session_version=user.session_version
        )

    def user_for_token(self, session: Session, token: str | None) -> User | None:
        """The active user a token belongs to, else None."""
        claims = self._claims(token)
        if claims is None:
            return None
        found = sessions.user_and_revocation(session, claims.user_id, claims.jti)
        if found is None:
            return None
        user, revoked = found
        return user if _still_valid(claims, user.is_active, user.session_version, revoked) else None

    def principal_for_token(self, connection: Connection, token: str | None) -> Principal | None:
        """`user_for_token` as a plain (id, role) pair, read on the given connection (the event
        loop's, see Database.loop_read)."""
        claims = self._claims(token)
        if claims is None:
            return None
        row = sessions.token_holder(connection, claims.user_id, claims.jti)
        if row is None or not _still_valid(claims, row.is_active, row.session_version, row.revoked):
            return None
        return Principal(row.id, row.role)

    def _claims(self, token: str | None) -> TokenClaims | None:
        if not token:
            return None
        try:
            return decode_access_token(token, self.signing_key)
        except InvalidTokenError:
            return None

    def logout(self, session: Session, token: str | None) -> None:
        """Revoke this token (a no-op for one that is not valid anyway)."""
        if not token:
            return
        try:
            claims = decode_access_token(token, self.signing_key)
        except InvalidTokenError:
            return
        sessions.revoke(session, claims.jti, claims.expires_at, utcnow())
