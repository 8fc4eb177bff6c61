"""Delivery rate: emails per second from the outbox through `lead-manager worker` to SMTP.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/scratch python -m bench.delivery

The database must be a scratch one: its leads, outbox and users are deleted. Without
BENCH_DATABASE_URL, TEST_DATABASE_URL is used. An aiosmtpd server runs in this process on a
free port; 1 and then 3 worker processes (with the default INFO logging) drain N messages
that are committed at once. The time runs from that commit to the last email received.
Writes var/bench/delivery.json.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import create_engine, delete
from sqlalchemy.orm import Session as DbSession

from lead_manager.core.db import new_id, utcnow
from lead_manager.core.migrations import upgrade_to_head
from lead_manager.leads.models import IdempotencyKey, Lead, LeadStatusChange
from lead_manager.outbox import service as outbox
from lead_manager.outbox.models import MessageKind, OutboxMessage
from lead_manager.users.models import Role, User

LEADS = int(os.environ.get("BENCH_LEADS", "500"))  # two emails each
WORKER_COUNTS = (1, 3)
OUTPUT = Path("var/bench/delivery.json")


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.last_at = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            self.count += 1
            self.last_at = time.perf_counter()
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def reset(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for model in (OutboxMessage, IdempotencyKey, LeadStatusChange, Lead, User):
            connection.execute(delete(model))
    engine.dispose()


def enqueue_leads(url: str, count: int) -> float:
    """Commit `count` leads with their two outbox messages at once; returns the commit time."""
    engine = create_engine(url)
    with DbSession(engine) as session:
        attorney = User(
            email=f"bench-{new_id().hex[:8]}@firm.example",
            full_name="Bench Attorney",
            password_hash="!",
            role=Role.ATTORNEY.value,
        )
        session.add(attorney)
        session.flush()
        now = utcnow()
        for i in range(count):
            lead = Lead(
                id=new_id(),
                first_name="Bench",
                last_name=f"Prospect{i}",
                email=f"prospect{i}@example.com",
                message="Please call me back.",
                status="PENDING",
                assigned_to=attorney.id,
                resume_key=f"bench/{i}",
                resume_filename="resume.pdf",
                resume_content_type="application/pdf",
                resume_size=1000,
                created_at=now,
                updated_at=now,
            )
            session.add(lead)
            session.flush()  # the outbox rows refer to the lead
            outbox.enqueue(
                session,
                lead.id,
                [
                    outbox.Email(MessageKind.LEAD_ACKNOWLEDGEMENT),
                    outbox.Email(MessageKind.ATTORNEY_NOTIFICATION, attorney.id),
                ],
                request_id=None,
            )
        session.commit()
        committed = time.perf_counter()
    engine.dispose()
    return committed


def start_workers(
    url: str, smtp_port: int, count: int, directory: Path
) -> list[subprocess.Popen[bytes]]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_STARTTLS": "false",
        "DISPATCHER_POLL_SECONDS": "0.1",
        "DIGEST_TIME": "",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }
    command = [str(Path(sys.executable).with_name("lead-manager")), "worker"]
    processes = []
    for i in range(count):
        log_path = directory / f"worker{i}.log"
        with log_path.open("wb") as log:
            processes.append(
                subprocess.Popen(command, env=env, cwd=directory, stdout=log, stderr=log)
            )
    # Ready when each has logged that its loop started (imports and connections are not timed).
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all(
            "worker started" in (directory / f"worker{i}.log").read_text() for i in range(count)
        ):
            return processes
        time.sleep(0.05)
    raise RuntimeError("workers did not start")


def measure(url: str, workers: int) -> dict[str, Any]:
    reset(url)
    handler = Counter()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    with tempfile.TemporaryDirectory() as scratch:
        processes = start_workers(url, port, workers, Path(scratch))
        try:
            started = enqueue_leads(url, LEADS)
            expected = 2 * LEADS
            deadline = time.monotonic() + 300
            while handler.count < expected and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=30)
            controller.stop()
    elapsed = handler.last_at - started
    return {
        "workers": workers,
        "emails": handler.count,
        "expected": expected,
        "seconds": round(elapsed, 3),
        "emails_per_second": round(handler.count / elapsed, 1) if elapsed > 0 else None,
    }


def main() -> int:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        print("set BENCH_DATABASE_URL to a scratch PostgreSQL database", file=sys.stderr)
        return 2
    upgrade_to_head(url)
    results = [measure(url, workers) for workers in WORKER_COUNTS]
    reset(url)
    report = {"benchmark": "delivery", "leads": LEADS, "cpus": os.cpu_count(), "runs": results}
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, indent=2) + "\n")
    for run in results:
        print(
            f"{run['workers']} worker(s): {run['emails']}/{run['expected']} emails "
            f"in {run['seconds']} s = {run['emails_per_second']} emails/s"
        )
    print(f"written to {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
