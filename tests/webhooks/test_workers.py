"""Two `lead-manager worker` processes deliver every event once per endpoint."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lead_manager.outbox.models import OutboxMessage, OutboxStatus
from tests.conftest import Account, LiveServer
from tests.intake import submit
from tests.notifications.test_delivery import worker_command, worker_environment
from tests.webhooks.helpers import register
from tests.webhooks.receiver import receiver

LEADS = 30
pytestmark = pytest.mark.slow


def test_two_workers_deliver_each_event_once_per_endpoint(
    api: LiveServer,
    admin: Account,
    attorney: Account,
    public,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(api.settings, "webhook_allow_private", True)
    environment = worker_environment(
        api.settings.database_url,
        # The same key as the server: the workers decrypt the endpoints' secrets with it.
        SECRET_KEY=api.settings.signing_key(),
        WEBHOOK_ALLOW_PRIVATE="true",
        MAIL_DIR=str(tmp_path / "mail"),
        DISPATCHER_POLL_SECONDS="0.05",
        # Small batches, so that both workers take turns at the queue.
        DISPATCHER_BATCH_SIZE="3",
        LOG_LEVEL="INFO",
    )
    with receiver() as first, receiver() as second:
        hooks = [register(admin, first.url), register(admin, second.url, ["lead.created"])]
        workers = []
        for number in range(2):
            log = (tmp_path / f"worker{number}.log").open("wb")
            workers.append(
                subprocess.Popen(
                    worker_command(), env=environment, cwd=tmp_path, stdout=log, stderr=log
                )
            )
            log.close()
        try:
            ids = [submit(public, email=f"p{n}@example.com").json()["id"] for n in range(LEADS)]
            for lead_id in ids[:10]:
                attorney.client.patch(f"/api/v1/leads/{lead_id}", json={"status": "REACHED_OUT"})
            first.wait_for(LEADS + 10, timeout=60)
            second.wait_for(LEADS, timeout=60)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with api.session() as session:
                    unsent = session.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.status != OutboxStatus.SENT.value)
                    )
                if unsent == 0:
                    break
                time.sleep(0.1)
            time.sleep(0.5)  # a duplicate would arrive about now
            assert all(worker.poll() is None for worker in workers), "no worker crashed"
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=20)
    for got, count in ((first, LEADS + 10), (second, LEADS)):
        message_ids = Counter(request.headers["webhook-id"] for request in got.received)
        assert len(got.received) == count
        assert message_ids.most_common(1)[0][1] == 1, "no duplicates"
    assert Counter(b["type"] for b in first.verified(hooks[0]["secret"])) == {
        "lead.created": LEADS,
        "lead.status_changed": 10,
    }
    assert {b["data"]["id"] for b in second.verified(hooks[1]["secret"])} == set(ids)
    logs = [(tmp_path / f"worker{n}.log").read_text() for n in range(2)]
    assert all(log.count('"webhook sent"') > 0 for log in logs), "both workers took part"
