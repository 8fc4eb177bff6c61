"""The one settings object: environment variables (and `.env`), as fixed in CONTRACT.md."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from datetime import time, timedelta
from enum import StrEnum
from functools import lru_cache
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from lead_manager.core.business_hours import (
    BusinessHours,
    ResponseClock,
    parse_time_of_day,
    parse_zone,
)
from lead_manager.core.matching_keys import check_phone_region
from lead_manager.core.validation import CONTROL_CHARACTERS, check_single_line

# Values that appear in examples and tutorials; a production deployment using one is misconfigured.
PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "secret",
        "secret_key",
        "dev",
        "development",
        "test",
        "please-change",
    }
)
MIN_SECRET_KEY_LENGTH = 32
# Text shown on pages and in email headers' neighbourhood: one line, trimmed, reasonably short.
SingleLineSetting = Annotated[
    str,
    AfterValidator(check_single_line),
    StringConstraints(strip_whitespace=True, max_length=200),
]


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite:///var/lead_manager.db"
    secret_key: SecretStr | None = None
    secret_key_file: Path = Path("var/secret_key")
    access_token_expire_minutes: int = Field(default=30, ge=1, le=24 * 60)

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_dir: Path = Path("var/mail")
    email_from: str = "leads@localhost"
    firm_name: str = "Our law firm"
    # Shown to prospects (thank-you page, page footer, acknowledgement email); left out when unset.
    firm_phone: SingleLineSetting | None = None
    firm_address: SingleLineSetting | None = None

    storage_url: str = "file://var/resumes"
    s3_endpoint_url: str | None = None
    max_resume_bytes: int = Field(default=10 * 1024 * 1024, ge=1)

    redis_url: str | None = None
    lead_rate_limit: str = "10/minute"
    login_rate_limit: str = "5/minute"
    # Failed logins from one address over all accounts: bounds password spraying.
    login_address_rate_limit: str = "20/minute"
    # Comma-separated in the environment (NoDecode: not JSON), e.g. `10.0.0.1,10.1.0.0/16`.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Browser origins allowed to call the API cross-origin; empty means no CORS headers at all.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # HSTS max-age sent on HTTPS responses (0 turns the header off).
    hsts_max_age_seconds: int = Field(default=31536000, ge=0)
    # When set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>`.
    metrics_token: SecretStr | None = None
    # Stored resume files no lead references are removed by `cleanup-orphans` after this long
    # (an upload in progress has its file before its lead commits).
    orphan_grace_minutes: int = Field(default=60, ge=1)
    public_base_url: str = "http://127.0.0.1:8000"

    log_level: str = "INFO"
    log_format: str = "console"

    # Run the outbox dispatcher inside `serve` (the embedded default); `--no-dispatcher` clears it.
    embedded_dispatcher: bool = True
    dispatcher_poll_seconds: float = Field(default=1.0, gt=0)
    dispatcher_batch_size: int = Field(default=50, ge=1, le=1000)
    dispatcher_max_attempts: int = Field(default=8, ge=1)
    dispatcher_lease_seconds: int = Field(default=60, ge=5)
    # Failed deliveries wait base·2^(attempt-1) seconds (jittered), at most the maximum.
    dispatcher_retry_base_seconds: float = Field(default=5.0, gt=0)
    dispatcher_retry_max_seconds: float = Field(default=3600.0, gt=0)
    idempotency_ttl_hours: int = Field(default=24, ge=24)

    # Working a lead: speed to lead and the daily digest (validated below, one-line reasons).
    firm_timezone: str = "UTC"
    # 0 turns the SLA (respond_by, escalation) off; at most 30 days.
    first_response_sla_minutes: float = Field(default=120.0, ge=0, le=30 * 24 * 60)
    business_hours: str = ""
    # HH:MM in FIRM_TIMEZONE; empty turns the digest off.
    digest_time: str = "08:00"
    # Returning prospects and conflicts: the region of phone numbers without a country code, the
    # name similarity (0 to 1) of a conflict hit, the check itself (off only to measure it).
    phone_region: Annotated[str, AfterValidator(check_phone_region)] = "US"
    conflict_name_threshold: float = Field(default=0.9, gt=0, le=1)
    conflict_check: bool = True

    # Insight and integration (issue 17); FIRM_TIMEZONE and FIRST_RESPONSE_SLA_MINUTES above
    # also give the statistics' days and within-SLA share.
    # Webhook URLs on loopback/private/link-local addresses are refused unless this is set.
    webhook_allow_private: bool = False
    # Connect and read timeout of one webhook delivery attempt.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Origins (scheme://host[:port]) that may frame the public form and call the intake API.
    form_embed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("firm_phone", "firm_address", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    # Privacy (issue 16): the notice the form links to and whose version each lead records, and
    # how long closed leads are kept (0 keeps them; see privacy/retention.py).
    privacy_notice_url: str | None = None
    privacy_notice_version: str = "1"
    retention_days: int = Field(default=0, ge=0, le=36500)

    @field_validator("trusted_proxies", "cors_origins", "form_embed_origins", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for proxy in value:
            try:
                ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"TRUSTED_PROXIES: {proxy!r} is not an address or network"
                ) from None
        return value

    @field_validator("form_embed_origins")
    @classmethod
    def _check_origins(cls, value: list[str]) -> list[str]:
        origins = []
        for origin in value:
            parts = urlsplit(origin)
            if (
                parts.scheme not in {"http", "https"}
                or not parts.hostname
                or parts.path not in {"", "/"}
                or parts.query
                or parts.fragment
                or parts.username is not None
            ):
                raise ValueError(
                    f"FORM_EMBED_ORIGINS: {origin!r} is not an origin like https://www.example.com"
                )
            # Browsers send the origin without a trailing slash, in lower case.
            origins.append(f"{parts.scheme}://{parts.netloc.lower()}")
        return origins

    @field_validator("log_format")
    @classmethod
    def _check_log_format(cls, value: str) -> str:
        if value not in {"console", "json"}:
            raise ValueError("LOG_FORMAT must be 'console' or 'json'")
        return value

    @field_validator("firm_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            parse_zone(value)
        except ValueError as exc:
            raise ValueError(f"FIRM_TIMEZONE: {exc}") from None
        return value.strip()

    @field_validator("business_hours")
    @classmethod
    def _check_business_hours(cls, value: str) -> str:
        try:
            BusinessHours.parse(value)
        except ValueError as exc:
            raise ValueError(f"BUSINESS_HOURS: {exc}") from None
        return value

    @field_validator("digest_time")
    @classmethod
    def _check_digest_time(cls, value: str) -> str:
        if value.strip():
            try:
                parse_time_of_day(value)
            except ValueError as exc:
                raise ValueError(f"DIGEST_TIME: {exc}") from None
        return value.strip()

    @field_validator("privacy_notice_url", mode="before")
    @classmethod
    def _check_privacy_notice_url(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip()
        parts = urlsplit(text)
        # Shown as a link on the public form: only a web address, never javascript: or data:.
        if (
            parts.scheme not in {"http", "https"}
            or not parts.netloc
            or CONTROL_CHARACTERS.search(text)
        ):
            raise ValueError("PRIVACY_NOTICE_URL must be an http(s) URL")
        return text

    @field_validator("privacy_notice_version")
    @classmethod
    def _check_privacy_notice_version(cls, value: str) -> str:
        # Stored with every lead (a column of 50 characters) and shown on the lead page.
        value = value.strip()
        if not value or len(value) > 50 or CONTROL_CHARACTERS.search(value):
            raise ValueError("PRIVACY_NOTICE_VERSION must be 1-50 printable characters")
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            key = self.secret_key.get_secret_value() if self.secret_key else ""
            if key.lower() in PLACEHOLDER_SECRETS or len(key) < MIN_SECRET_KEY_LENGTH:
                raise ValueError(
                    "SECRET_KEY must be set to a random value of at least "
                    f"{MIN_SECRET_KEY_LENGTH} characters when ENVIRONMENT=production"
                )
        return self

    @property
    def is_development(self) -> bool:
        return self.environment is not Environment.PRODUCTION

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def timezone(self) -> ZoneInfo:
        return parse_zone(self.firm_timezone)

    @property
    def idempotency_ttl(self) -> timedelta:
        return timedelta(hours=self.idempotency_ttl_hours)

    def response_clock(self) -> ResponseClock:
        """FIRM_TIMEZONE, BUSINESS_HOURS and FIRST_RESPONSE_SLA_MINUTES, parsed (make it once)."""
        minutes = self.first_response_sla_minutes
        return ResponseClock(
            zone=parse_zone(self.firm_timezone),
            hours=BusinessHours.parse(self.business_hours),
            sla=timedelta(minutes=minutes) if minutes > 0 else None,
        )

    @property
    def digest_at(self) -> time | None:
        return parse_time_of_day(self.digest_time) if self.digest_time else None

    @property
    def max_request_bytes(self) -> int:
        # The resume plus room for the other fields (message ≤ 5000 chars) and multipart framing.
        return self.max_resume_bytes + 64 * 1024

    def signing_key(self) -> str:
        """The JWT key: configured, or (outside production) generated once into a file."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return development_key(self.secret_key_file)


def development_key(path: Path) -> str:
    """The key kept in `path`, created on first use.

    `serve --workers N` starts several processes at once, and all must agree on one key. A new
    key is written whole to a private temporary file and hard-linked into place: the link is
    atomic and fails if the file exists, so the first writer wins and no reader ever sees a
    partly written (empty) key file.
    """
    key = _read_key(path)
    if key is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(descriptor, "w") as handle:  # mkstemp: mode 0600
                handle.write(secrets.token_urlsafe(48))
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process was first: use its key
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
        key = _read_key(path)
    if not key:
        raise RuntimeError(
            f"the key file {path} is empty: delete it to have a new key generated, or set "
            "SECRET_KEY"
        )
    return key


def _read_key(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return None


@lru_cache
def get_settings() -> Settings:
    return Settings()
