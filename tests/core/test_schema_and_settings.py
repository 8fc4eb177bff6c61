"""Migrations and models agree on both backends; settings refuse unsafe production values."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError

from lead_manager.core.settings import Settings
from lead_manager.models import Base, in_orm_schema


def test_migrations_produce_exactly_the_models(live_server) -> None:
    with live_server.engine.connect() as connection:
        # The lead search index is the migrations' and the database's, not the models' (FTS5
        # table and triggers on SQLite, trigram indexes on PostgreSQL): left out by name.
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": in_orm_schema}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_production_refuses_missing_or_placeholder_secret() -> None:
    for key in (None, "changeme", "secret", "short-key"):
        with pytest.raises(ValidationError, match="SECRET_KEY"):
            Settings(_env_file=None, environment="production", secret_key=key)  # type: ignore[call-arg]
    ok = Settings(_env_file=None, environment="production", secret_key="k" * 40)  # type: ignore[call-arg]
    assert ok.signing_key() == "k" * 40


def test_development_generates_one_key_and_keeps_it(tmp_path) -> None:
    settings = Settings(_env_file=None, secret_key_file=tmp_path / "var" / "secret_key")  # type: ignore[call-arg]
    first = settings.signing_key()
    assert len(first) >= 48 and settings.signing_key() == first
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0


def test_trusted_proxies_from_comma_separated_env(monkeypatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.1, 10.1.0.0/16")
    assert Settings(_env_file=None).trusted_proxies == ["10.0.0.1", "10.1.0.0/16"]  # type: ignore[call-arg]


def test_firm_phone_and_address_are_optional_single_lines(monkeypatch) -> None:
    monkeypatch.setenv("FIRM_PHONE", "  ")
    monkeypatch.setenv("FIRM_ADDRESS", " 12 Court Street ")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.firm_phone is None and settings.firm_address == "12 Court Street"
    with pytest.raises(ValidationError, match="control characters"):
        Settings(_env_file=None, firm_phone="+1 555\r\nBcc: x@y.z")  # type: ignore[call-arg]
