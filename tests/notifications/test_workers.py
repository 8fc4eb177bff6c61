"""Several `lead-manager worker` processes on PostgreSQL: every email once, none lost on kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lead_manager.outbox.models import OutboxMessage, OutboxStatus
from lead_manager.users.models import Role
from tests.conftest import LiveServer, add_account
from tests.intake import submit
from tests.notifications.mailserver import Mailbox, expected_message_id, outbox_rows, smtp_server
from tests.notifications.test_delivery import worker_command, worker_environment

LEADS = 200
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]


@contextmanager
def workers(
    api: LiveServer, smtp_port: int, directory: Path, count: int, **env: str
) -> Iterator[list[subprocess.Popen[bytes]]]:
    environment = worker_environment(
        api.settings.database_url,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        SMTP_STARTTLS="false",
        DISPATCHER_POLL_SECONDS="0.05",
        DISPATCHER_BATCH_SIZE="10",
        LOG_LEVEL="WARNING",
        **env,
    )
    processes = []
    for i in range(count):
        log = (directory / f"worker{i}.log").open("wb")
        processes.append(
            subprocess.Popen(
                worker_command(), env=environment, cwd=directory, stdout=log, stderr=log
            )
        )
        log.close()
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=20)


def submit_concurrently(api: LiveServer) -> None:
    with api.client() as client, ThreadPoolExecutor(8) as pool:
        statuses = pool.map(
            lambda i: submit(client, email=f"prospect{i}@example.com").status_code, range(LEADS)
        )
        assert list(statuses) == [201] * LEADS


def wait_until_all_sent(api: LiveServer, timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with api.session() as session:
            pending = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status != OutboxStatus.SENT.value)
            )
        if pending == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"{pending} messages still not sent")


def test_three_workers_send_every_email_exactly_once(api: LiveServer, tmp_path: Path) -> None:
    add_account(api, Role.ATTORNEY)
    add_account(api, Role.ATTORNEY)
    mailbox = Mailbox()
    with smtp_server(mailbox) as port, workers(api, port, tmp_path, 3) as processes:
        submit_concurrently(api)
        wait_until_all_sent(api)
        assert all(p.poll() is None for p in processes), "no worker crashed"
    rows = outbox_rows(api)
    assert len(rows) == 2 * LEADS
    ids = mailbox.message_ids()
    assert len(ids) == 2 * LEADS
    assert Counter(ids).most_common(1)[0][1] == 1, "no duplicates"
    assert set(ids) == {expected_message_id(r, api.settings) for r in rows}, "none missing"
    assert len({r.locked_by for r in rows}) == 1  # all released after sending


def test_a_worker_killed_mid_run_loses_nothing(api: LiveServer, tmp_path: Path) -> None:
    add_account(api, Role.ATTORNEY)
    mailbox = Mailbox()
    with (
        smtp_server(mailbox) as port,
        workers(api, port, tmp_path, 3, DISPATCHER_LEASE_SECONDS="5") as processes,
    ):
        victim = processes[0]
        submitter = threading.Thread(target=submit_concurrently, args=(api,))
        submitter.start()
        # Kill the victim while it holds a lease on a batch (it must have claimed messages).
        held: list[OutboxMessage] = []
        deadline = time.monotonic() + 30
        while not held and time.monotonic() < deadline:
            with api.session() as session:
                held = list(
                    session.scalars(
                        select(OutboxMessage).where(
                            OutboxMessage.locked_by.like(f"worker:%:{victim.pid}:%"),
                            OutboxMessage.status == OutboxStatus.PENDING.value,
                        )
                    )
                )
            time.sleep(0.005)
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait(timeout=10) == -signal.SIGKILL
        submitter.join(timeout=60)
        assert held, "the victim never claimed a batch"
        wait_until_all_sent(api)
        assert all(p.poll() is None for p in processes[1:])
    rows = outbox_rows(api)
    assert len(rows) == 2 * LEADS
    ids = mailbox.message_ids()
    assert set(ids) == {expected_message_id(r, api.settings) for r in rows}, "none missing"
    duplicates = [message_id for message_id, n in Counter(ids).items() if n > 1]
    # At most the one message the victim had sent but not yet recorded when it died.
    assert len(duplicates) <= 1, duplicates
    assert set(duplicates) <= {expected_message_id(m, api.settings) for m in held}
    taken_over = {r.id for r in rows} & {m.id for m in held}
    assert taken_over and all(r.status == OutboxStatus.SENT for r in rows if r.id in taken_over)
