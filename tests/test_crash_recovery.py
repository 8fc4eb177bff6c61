"""kill -9 of the server under load loses no acknowledged submission."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select

from lead_manager.leads.models import Lead
from lead_manager.outbox.models import OutboxMessage
from tests.intake import submit
from tests.serve_process import migrated


@pytest.mark.slow
def test_every_201_survives_kill_9(tmp_path: Path) -> None:
    server = migrated(tmp_path)
    server.start("--no-dispatcher")
    accepted: list[str] = []
    stop = threading.Event()

    def submit_continuously() -> None:
        with httpx.Client(base_url=server.base_url, timeout=5) as client:
            while not stop.is_set():
                try:
                    response = submit(client, email=f"p{len(accepted)}@example.com")
                except httpx.TransportError:
                    continue  # the server is gone: this one was never acknowledged
                if response.status_code == 201:
                    accepted.append(response.json()["id"])

    threads = [threading.Thread(target=submit_continuously) for _ in range(3)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(accepted) < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    assert len(accepted) >= 30, server.log()

    server.start("--no-dispatcher")  # recovers the SQLite WAL on open
    try:
        with httpx.Client(base_url=server.base_url) as client:
            assert client.get("/readyz").status_code == 200
            assert submit(client).status_code == 201
    finally:
        server.stop()

    engine = create_engine(server.env["DATABASE_URL"])
    storage = Path(server.env["STORAGE_URL"].removeprefix("file://"))
    with engine.connect() as connection:
        leads = {
            row.id: row.resume_key for row in connection.execute(select(Lead.id, Lead.resume_key))
        }
        outbox = [
            row.payload["lead_id"] for row in connection.execute(select(OutboxMessage.payload))
        ]
    engine.dispose()
    for lead_id in accepted:
        key = leads.get(uuid.UUID(lead_id))
        assert key is not None, f"acknowledged lead {lead_id} is missing"
        assert (storage / key).is_file(), f"lead {lead_id} lost its resume"
        assert outbox.count(lead_id) >= 1, f"lead {lead_id} lost its emails"
