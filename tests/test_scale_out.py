"""Scale-out: two API processes and two workers sharing PostgreSQL, Redis and S3 (moto).

The processes are the real `lead-manager serve --no-dispatcher` and `lead-manager worker`
commands, configured only through the environment, as in compose.yaml.
"""

from __future__ import annotations

import email
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from lead_manager.core.migrations import upgrade_to_head
from lead_manager.core.security import hash_password
from lead_manager.outbox.models import OutboxMessage, OutboxStatus
from lead_manager.users.models import Role, User
from tests import documents
from tests.conftest import PASSWORD, S3_ENVIRONMENT, redis_url, scratch_postgres
from tests.intake import submit
from tests.processes import Process, free_port

pytestmark = pytest.mark.slow

LEADS = 24
EMAILS_PER_LEAD = 2  # the acknowledgement and the attorney's notification


@dataclass
class MailCatcher:
    """An SMTP server that keeps every message it is handed (aiosmtpd handler protocol)."""

    messages: list[email.message.EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self.arrived:
            self.messages.append(message)  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float) -> list[email.message.EmailMessage]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            return list(self.messages)


@pytest.fixture
def smtp() -> Iterator[tuple[MailCatcher, int]]:
    catcher = MailCatcher()
    port = free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    yield catcher, port
    controller.stop()


@dataclass
class Cluster:
    apis: list[Process]
    workers: list[Process]
    database_url: str

    def outbox_statuses(self) -> Counter[str]:
        engine = create_engine(self.database_url)
        try:
            with Session(engine) as session:
                return Counter(session.scalars(select(OutboxMessage.status)).all())
        finally:
            engine.dispose()


@pytest.fixture
def cluster(
    tmp_path: Path, s3_endpoint: str, s3_bucket: str, smtp: tuple[MailCatcher, int]
) -> Iterator[Cluster]:
    database = scratch_postgres("scale_out")
    upgrade_to_head(database)  # the deploy's one `migrate` step
    shared_redis = redis_url()
    redis.Redis.from_url(shared_redis).flushdb()
    engine = create_engine(database)
    with Session(engine) as session:
        password_hash = hash_password(PASSWORD)
        for name in ("ann", "bob"):
            session.add(
                User(
                    email=f"{name}@firm.example",
                    full_name=name.title(),
                    password_hash=password_hash,
                    role=Role.ATTORNEY.value,
                    is_active=True,
                    is_available=True,
                )
            )
        session.commit()
    engine.dispose()

    env = dict(
        ENVIRONMENT="test",
        DATABASE_URL=database,
        REDIS_URL=shared_redis,
        STORAGE_URL=f"s3://{s3_bucket}/resumes",
        S3_ENDPOINT_URL=s3_endpoint,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp[1]),
        SMTP_STARTTLS="false",
        SECRET_KEY="scale-out-test-signing-key-" + "k" * 32,
        DISPATCHER_POLL_SECONDS="0.2",
        DISPATCHER_BATCH_SIZE="4",  # small batches, so both workers get a share
        LEAD_RATE_LIMIT="10000/minute",
        LOG_LEVEL="INFO",
        DIGEST_TIME="",  # exact email counts, whatever the hour
        **S3_ENVIRONMENT,
    )
    ports = [free_port(), free_port()]
    apis = [
        Process.start(["serve", "--no-dispatcher", "--port", str(port)], env, tmp_path, f"api{n}")
        for n, port in enumerate(ports)
    ]
    workers = [Process.start(["worker"], env, tmp_path, f"worker{n}") for n in range(2)]
    try:
        for api, port in zip(apis, ports, strict=True):
            api.wait_healthy(f"http://127.0.0.1:{port}")
        yield Cluster(apis, workers, database)
    finally:
        api_codes = [process.stop() for process in apis]
        worker_codes = [process.stop() for process in workers]
    # uvicorn shuts down gracefully, then re-raises the signal; the worker exits 0 itself.
    assert api_codes == [-signal.SIGTERM] * 2, [api.output() for api in apis]
    assert worker_codes == [0, 0], [worker.output() for worker in workers]


def login(base_url: str, address: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=30)
    response = client.post("/api/v1/auth/token", data={"username": address, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return client


def test_two_apis_and_two_workers_share_one_state(
    cluster: Cluster, smtp: tuple[MailCatcher, int]
) -> None:
    catcher = smtp[0]
    urls = [api.base_url or "" for api in cluster.apis]
    resumes = {n: documents.pdf(extra_bytes=20_000 + n * 997) for n in range(LEADS)}

    def submit_on(n: int) -> tuple[int, str, str]:
        with httpx.Client(base_url=urls[n % 2], timeout=60) as client:
            response = submit(client, resume=resumes[n], email=f"prospect{n}@example.com")
        assert response.status_code == 201, response.text
        return n, response.json()["id"], response.headers["x-request-id"]

    # Concurrent submissions, alternating between the two API processes.
    with ThreadPoolExecutor(max_workers=8) as pool:
        submitted = list(pool.map(submit_on, range(LEADS)))
    lead_of = {n: lead_id for n, lead_id, _ in submitted}

    # A token issued by one instance works on the other (one SECRET_KEY), and every lead is
    # visible from both.
    clients = [login(urls[0], "ann@firm.example"), login(urls[1], "bob@firm.example")]
    try:
        for client in clients:
            listing = client.get("/api/v1/leads", params={"limit": 100})
            assert listing.status_code == 200, listing.text
            assert {item["id"] for item in listing.json()["items"]} == set(lead_of.values())
            assigned = Counter(item["assigned_to"] for item in listing.json()["items"])
            assert None not in assigned and len(assigned) == 2  # round-robin over both attorneys

        # Each resume comes back byte for byte from either instance (S3 is the shared store).
        for n, lead_id in lead_of.items():
            for client in clients:
                download = client.get(f"/api/v1/leads/{lead_id}/resume")
                assert download.status_code == 200, download.text
                assert download.content == resumes[n]

        # An Idempotency-Key claimed through one instance is honoured by the other.
        key = {"Idempotency-Key": f"scale-{uuid.uuid4()}"}
        first = submit(clients[0], email="retry@example.com", headers=key)
        replay = submit(clients[1], email="retry@example.com", headers=key)
        assert (first.status_code, replay.status_code) == (201, 201), replay.text
        assert replay.json()["id"] == first.json()["id"]
    finally:
        for client in clients:
            client.close()

    expected = (LEADS + 1) * EMAILS_PER_LEAD
    messages = catcher.wait_for(expected, timeout=45)
    # A worker records "sent" just after the SMTP server has the message: give the last
    # records a moment to commit before reading the outbox.
    deadline = time.monotonic() + 15
    while (outbox := cluster.outbox_statuses()) != {OutboxStatus.SENT.value: expected}:
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert outbox == {OutboxStatus.SENT.value: expected}, outbox
    # Every outbox row has been recorded as sent, so no dispatcher can send anything more: the
    # mailbox is final. Each email arrived exactly once.
    message_ids = Counter(str(message["Message-ID"]) for message in messages)
    assert len(message_ids) == expected
    assert [mid for mid, seen in message_ids.items() if seen > 1] == []
    acknowledged = Counter(str(message["To"]) for message in messages)
    for n in range(LEADS):
        assert acknowledged[f"prospect{n}@example.com"] == 1
    assert acknowledged["ann@firm.example"] + acknowledged["bob@firm.example"] == LEADS + 1

    # Both workers are alive (not crashed) and, between them, sent everything.
    assert all(worker.popen.poll() is None for worker in cluster.workers)
    sent_by = [worker.output().count("email sent") for worker in cluster.workers]
    assert sum(sent_by) == expected, sent_by
    print(f"emails sent per worker: {sent_by}")
