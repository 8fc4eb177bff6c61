"""The app's services, made once by `create_app` and handed to handlers through `ServicesDep`.

A typed container instead of attributes read by name off `app.state`: a reader of a handler sees
what it uses, and mypy checks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from lead_manager.auth.passwords import Passwords
from lead_manager.auth.service import Authenticator, LoginThrottle
from lead_manager.core.business_hours import ResponseClock
from lead_manager.core.db import Database
from lead_manager.core.rate_limit import Limit, RateLimiter
from lead_manager.core.security import PasswordHashing
from lead_manager.core.settings import Settings
from lead_manager.storage.base import ResumeStorage
from lead_manager.storage.factory import create_storage
from lead_manager.webhooks.signing import SecretBox


@dataclass(frozen=True, slots=True)
class AppServices:
    settings: Settings
    database: Database
    storage: ResumeStorage
    rate_limiter: RateLimiter
    # LEAD_RATE_LIMIT, per client address.
    lead_limit: Limit
    authenticator: Authenticator
    # Argon2 work on threads of its own with a bounded queue (shut down with the app).
    password_hashing: PasswordHashing
    # Password reset links: requests throttled like logins (LOGIN_*RATE_LIMIT), tokens signed.
    passwords: Passwords
    # Signs access tokens and the pages' CSRF tokens.
    signing_key: str
    # First-response deadlines (FIRM_TIMEZONE, BUSINESS_HOURS, FIRST_RESPONSE_SLA_MINUTES).
    clock: ResponseClock
    # Seals webhook secrets at rest (a key derived from the signing key).
    webhook_secrets: SecretBox

    @classmethod
    def create(cls, settings: Settings, database: Database) -> AppServices:
        limiter = RateLimiter(settings.redis_url)
        signing_key = settings.signing_key()
        hashing = PasswordHashing.for_this_machine()
        throttle = LoginThrottle(
            limiter,
            per_account=limiter.limit("login-account", settings.login_rate_limit),
            per_address=limiter.limit("login-address", settings.login_address_rate_limit),
        )
        return cls(
            settings=settings,
            database=database,
            storage=create_storage(settings),
            rate_limiter=limiter,
            lead_limit=limiter.limit("lead", settings.lead_rate_limit),
            authenticator=Authenticator(
                read_sessions=database.sessions,
                throttle=throttle,
                hashing=hashing,
                signing_key=signing_key,
                token_lifetime=timedelta(minutes=settings.access_token_expire_minutes),
            ),
            password_hashing=hashing,
            passwords=Passwords(
                LoginThrottle(
                    limiter,
                    per_account=limiter.limit("reset-account", settings.login_rate_limit),
                    per_address=limiter.limit("reset-address", settings.login_address_rate_limit),
                ),
                signing_key,
                read_sessions=database.sessions,
                hashing=hashing,
            ),
            signing_key=signing_key,
            clock=settings.response_clock(),
            webhook_secrets=SecretBox(signing_key),
        )


def services_of(request: Request) -> AppServices:
    """Set on the app by `create_app`; the one place it is read by name."""
    services: AppServices = request.app.state.services
    return services


async def get_services(request: Request) -> AppServices:
    return services_of(request)


ServicesDep = Annotated[AppServices, Depends(get_services)]
