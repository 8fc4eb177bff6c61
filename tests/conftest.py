"""Shared fixtures: a real server (uvicorn on a free port) per database backend, real clients.

Every API test runs against SQLite (a file) and PostgreSQL (TEST_DATABASE_URL). Without
TEST_DATABASE_URL the PostgreSQL half is skipped locally, and fails in CI (CI is set).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session

from lead_manager.container import AppServices
from lead_manager.core.migrations import upgrade_to_head
from lead_manager.core.security import create_access_token, hash_password
from lead_manager.core.settings import Settings
from lead_manager.main import create_app
from lead_manager.models import Base
from lead_manager.users.models import Role, User
from tests.processes import free_port

PASSWORD = "correct horse battery staple"
UNLIMITED = "100000/minute"


def postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url and os.environ.get("CI"):
        pytest.fail("TEST_DATABASE_URL must be set in CI: the suite runs on PostgreSQL too")
    return url


def redis_url() -> str:
    """A Redis database of the tests' own (TEST_REDIS_URL), emptied by the tests that use it."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("TEST_REDIS_URL must be set in CI: shared rate limits are tested on Redis")
        pytest.skip("TEST_REDIS_URL is not set")
    return url


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def scratch_postgres(suffix: str) -> str:
    """An empty PostgreSQL database of its own beside TEST_DATABASE_URL's (`<name>_<suffix>`),
    for tests whose processes must not share the live server's database."""
    url = postgres_url()
    if url is None:
        pytest.skip("TEST_DATABASE_URL is not set")
    base = make_url(url)
    name = f"{base.database}_{suffix}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    scratch = base.set(database=name).render_as_string(hide_password=False)
    reset_postgres(scratch)
    return scratch


def database_url(backend: str, directory: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{directory / 'lead_manager.db'}"
    url = postgres_url()
    if url is None:
        pytest.skip("TEST_DATABASE_URL is not set")
    return url


def make_settings(directory: Path, url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "database_url": url,
        "secret_key": "test-signing-key-" + "x" * 32,
        "storage_url": f"file://{directory / 'resumes'}",
        "mail_dir": directory / "mail",
        "lead_rate_limit": UNLIMITED,
        "login_rate_limit": UNLIMITED,
        "login_address_rate_limit": UNLIMITED,
        "embedded_dispatcher": False,
        "public_base_url": "https://leads.example.test",
        "firm_name": "Hale & Partners LLP",
        "email_from": "intake@hale.example",
        "log_level": "WARNING",
        # The digest is due every day from 08:00: off, so that what a test sends does not depend
        # on the hour it runs at (the digest's own tests turn it on).
        "digest_time": "",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class LiveServer:
    """A real uvicorn server in a thread of the test process."""

    app: FastAPI
    settings: Settings
    base_url: str
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def services(self) -> AppServices:
        services: AppServices = self.app.state.services
        return services

    @property
    def engine(self) -> Engine:
        return self.services.database.engine

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_server(settings: Settings, *, check_schema: bool = True) -> LiveServer:
    app = create_app(settings, check_schema=check_schema)
    port = free_port()
    # proxy_headers=False as in `lead-manager serve`: only TRUSTED_PROXIES may speak for clients.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    return LiveServer(app, settings, f"http://127.0.0.1:{port}", server, thread)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def live_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp(f"server-{backend}")
    url = database_url(backend, directory)
    if backend == "postgresql":
        reset_postgres(url)
    upgrade_to_head(url)
    server = start_server(make_settings(directory, url))
    yield server
    server.stop()
    server.engine.dispose()


def clear_database(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for name in tables:
                connection.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[LiveServer]:
    """The server with an empty database, storage, mailbox and rate limits."""
    clear_database(live_server.engine)
    live_server.services.rate_limiter.reset()
    for directory in (
        Path(live_server.settings.storage_url.removeprefix("file://")),
        live_server.settings.mail_dir,
    ):
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True, exist_ok=True)
    yield live_server


# Hashing is deliberately slow; the fixtures share one hash of PASSWORD.
_PASSWORD_HASH = hash_password(PASSWORD)


@dataclass
class Account:
    id: uuid.UUID
    email: str
    role: str
    token: str
    client: httpx.Client = field(repr=False)


def add_account(
    server: LiveServer,
    role: Role,
    *,
    email: str | None = None,
    available: bool = True,
    active: bool = True,
    full_name: str = "",
) -> Account:
    email = email or f"{role.value}-{uuid.uuid4().hex[:8]}@firm.example"
    with server.session() as session:
        user = User(
            email=email.lower(),
            full_name=full_name or email.split("@")[0],
            password_hash=_PASSWORD_HASH,
            role=role.value,
            is_active=active,
            is_available=available,
        )
        session.add(user)
        session.commit()
        user_id = user.id
    token = create_access_token(user_id, server.services.signing_key, timedelta(minutes=5)).token
    return Account(user_id, email.lower(), role.value, token, server.client(token))


@pytest.fixture
def attorney(api: LiveServer) -> Iterator[Account]:
    account = add_account(api, Role.ATTORNEY, full_name="Alice Attorney")
    yield account
    account.client.close()


@pytest.fixture
def admin(api: LiveServer) -> Iterator[Account]:
    account = add_account(api, Role.ADMIN, available=False, full_name="Ada Admin")
    yield account
    account.client.close()


@pytest.fixture
def public(api: LiveServer) -> Iterator[httpx.Client]:
    with api.client() as client:
        yield client


# boto3 reads these; moto accepts any values. Set for the whole session so the API servers started
# in this process and the subprocesses of the scale-out test sign their requests alike.
S3_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "test-access-key",
    "AWS_SECRET_ACCESS_KEY": "test-secret-key",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible server (moto's server mode) on a free local port."""
    from moto.server import ThreadedMotoServer

    # moto's server logs every request through werkzeug: noise in a failing test's report.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in S3_ENVIRONMENT.items():
            patch.setenv(name, value)
        yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> str:
    """A new, empty bucket on the S3 server."""
    import boto3

    name = f"resumes-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=name)
    return name
