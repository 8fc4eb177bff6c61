"""Logging in: password check with throttling, equal work for unknown emails, audit of both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy.orm import Session, sessionmaker

from lead_manager.audit import repository as audit
from lead_manager.audit.models import AuditAction
from lead_manager.core.db import transaction
from lead_manager.core.logging import mask_email
from lead_manager.core.metrics import LOGIN_FAILURES, LOGIN_THROTTLED
from lead_manager.core.rate_limit import Limit, RateLimiter, RateLimitExceededError
from lead_manager.core.request_meta import RequestMeta
from lead_manager.core.security import (
    AccessToken,
    InvalidTokenError,
    create_access_token,
    decode_access_token,
    verify_password,
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


class InvalidCredentialsError(Exception):
    """Wrong password, unknown or inactive account: one kind, one wording, for the API and pages."""

    detail = "Incorrect email or password."


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    read_factory: sessionmaker[Session],
    throttle: LoginThrottle,
    meta: RequestMeta,
) -> User:
    """The active user with these credentials, else InvalidCredentialsError (one kind for all).

    Failures are counted per (account, address) and per address; the pair keeps a remote attacker
    from locking a user out, the address alone bounds guessing across many accounts. Raises
    RateLimitExceededError before any password work once either is used up.

    The account is read, and the password checked, before `session` (the request's writing
    transaction, which only records the audit row) does anything: on SQLite a writing
    transaction holds the database's write lock from its first statement, and holding it
    through the deliberately slow hash queued every lead submission behind each login.
    """
    normalized = email.strip().lower()
    address = meta.client_ip or "unknown"
    try:
        throttle.limiter.check(throttle.per_account, normalized, address)
        throttle.limiter.check(throttle.per_address, address)
    except RateLimitExceededError:
        LOGIN_THROTTLED.inc()
        raise
    user = None
    # No stored email is longer or holds control characters; PostgreSQL rejects NUL outright.
    if len(normalized) <= 320 and not CONTROL_CHARACTERS.search(normalized):
        with transaction(read_factory) as lookup:
            user = users.get_by_email(lookup, normalized)
    valid = verify_password(password, user.password_hash if user else None)
    if user is None or not valid or not user.is_active:
        throttle.limiter.record(throttle.per_account, normalized, address)
        throttle.limiter.record(throttle.per_address, address)
        audit.record(
            session,
            AuditAction.LOGIN_FAILED,
            actor=None,
            target=str(user.id) if user else None,
            meta=meta,
        )
        LOGIN_FAILURES.inc()
        log.info("login failed", email=mask_email(normalized))
        raise InvalidCredentialsError
    throttle.limiter.clear(throttle.per_account, normalized, address)
    audit.record(
        session, AuditAction.LOGIN_SUCCEEDED, actor=user.id, target=str(user.id), meta=meta
    )
    return user


@dataclass(frozen=True, slots=True)
class Authenticator:
    """Logging in and recognising tokens: the one way for the API (bearer) and the pages (cookie)."""

    read_sessions: sessionmaker[Session]
    throttle: LoginThrottle
    signing_key: str
    token_lifetime: timedelta

    def login(self, session: Session, email: str, password: str, meta: RequestMeta) -> AccessToken:
        """A token for these credentials; InvalidCredentialsError or RateLimitExceededError."""
        user = authenticate(
            session,
            email,
            password,
            read_factory=self.read_sessions,
            throttle=self.throttle,
            meta=meta,
        )
        return create_access_token(user.id, self.signing_key, self.token_lifetime)

    def user_for_token(self, session: Session, token: str | None) -> User | None:
        """The active user a token belongs to, else None."""
        if not token:
            return None
        try:
            user_id = decode_access_token(token, self.signing_key)
        except InvalidTokenError:
            return None
        user = users.get(session, user_id)
        # A deactivated user's tokens stop working at once: the account is checked every time.
        if user is None or not user.is_active:
            return None
        return user
