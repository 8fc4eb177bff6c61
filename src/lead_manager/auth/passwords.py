"""Changing and resetting passwords. Each one ends every earlier session of the user: setting a
password moves the user's session version on, and tokens name the version they were issued at.
No HTTP here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from lead_manager.audit import repository as audit
from lead_manager.audit.models import AuditAction
from lead_manager.auth import repository as sessions
from lead_manager.auth.service import LoginThrottle
from lead_manager.core.db import utcnow
from lead_manager.core.errors import DomainError, NotFoundError
from lead_manager.core.request_meta import RequestMeta
from lead_manager.core.security import (
    InvalidTokenError,
    decode_password_reset_token,
    hash_password,
    verify_password,
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


def change_password(
    session: Session, user: User, current: str, new: str, *, meta: RequestMeta
) -> None:
    """Set a new password after checking the current one; earlier sessions end (the caller's
    too: a page signs the user in again with a new token, an API client logs in again)."""
    if not verify_password(current, user.password_hash):
        raise WrongPasswordError
    sessions.set_password(session, user, hash_password(new))
    audit.record(
        session, AuditAction.PASSWORD_CHANGED, actor=user.id, target=str(user.id), meta=meta
    )


@dataclass(frozen=True, slots=True)
class PasswordResets:
    """Reset links by email: requested by anyone (throttled like logins), used once."""

    throttle: LoginThrottle
    signing_key: str

    def request(self, session: Session, email: str, *, meta: RequestMeta) -> None:
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

    def confirm(
        self, session: Session, token: str, new_password: str, *, meta: RequestMeta
    ) -> None:
        """Set the password a valid reset token allows; InvalidResetLinkError otherwise."""
        try:
            user_id, version = decode_password_reset_token(token, self.signing_key)
        except InvalidTokenError as exc:
            raise InvalidResetLinkError from exc
        user = users.get(session, user_id)
        if user is None or not user.is_active or user.session_version != version:
            raise InvalidResetLinkError
        # Conditional on the version still being the token's: a token is used exactly once,
        # even by two requests at the same moment.
        if not sessions.set_password(
            session, user, hash_password(new_password), expected_version=version
        ):
            raise InvalidResetLinkError
        audit.record(
            session,
            AuditAction.PASSWORD_RESET,
            actor=user.id,
            target=str(user.id),
            meta=meta,
            via="link",
        )


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
