"""The outbox dispatcher: claim due messages under a lease, deliver each through the channel of
its kind (email, webhooks), record the outcome.

Runs inside `serve` (an asyncio task that does the blocking work in a thread) or as any number of
`lead-manager worker` processes. Delivery is at-least-once: a dispatcher killed after sending but
before recording lets the lease expire and another sends again, with the same message id (the
email's Message-ID, the webhook's `webhook-id`).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import threading
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import structlog
from sqlalchemy import Engine

from lead_manager.core.db import create_write_session_factory, transaction, utcnow
from lead_manager.core.logging import mask_emails_in
from lead_manager.core.settings import Settings
from lead_manager.notifications.mail_channel import MailChannel
from lead_manager.notifications.transport import MailTransport
from lead_manager.outbox import repository
from lead_manager.outbox.delivery import (
    ChannelUnavailableError,
    ClaimedMessage,
    DeliveryChannel,
    DeliveryError,
    MessageSender,
)
from lead_manager.scheduling.jobs import ScheduledJob

log = structlog.get_logger(__name__)


def backoff_delay(attempts: int, base_seconds: float, max_seconds: float) -> timedelta:
    """Exponential, jittered over the upper half so that a burst of failures spreads out:
    with the default base 5 s: 2.5-5 s, 5-10 s, 10-20 s ... up to the maximum (an hour)."""
    ceiling = min(max_seconds, base_seconds * 2 ** max(0, attempts - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 - not crypto


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        name: str = "worker",
        transport: MailTransport | None = None,
        channels: Sequence[DeliveryChannel] | None = None,
        jobs: Sequence[ScheduledJob] = (),
    ) -> None:
        """`channels` deliver the outbox's kinds; without them, email only (through
        `transport`). `lead_manager.channels.delivery_channels` lists every channel."""
        self.settings = settings
        self.jobs = list(jobs)
        self.session_factory = create_write_session_factory(engine)
        self.channels = list(channels or [MailChannel(settings, engine, transport)])
        self.channel_of = {kind: channel for channel in self.channels for kind in channel.kinds}
        self.worker_id = f"{name}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        log.info(
            "dispatcher ready",
            worker=self.worker_id,
            channels=[channel.noun for channel in self.channels],
        )

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def claim(self) -> list[ClaimedMessage]:
        now = utcnow()
        lease_until = now + timedelta(seconds=self.settings.dispatcher_lease_seconds)
        with transaction(self.session_factory) as session:
            rows = repository.claim_due(
                session,
                self.worker_id,
                now,
                lease_until,
                self.settings.dispatcher_batch_size,
                kinds=sorted(self.channel_of),
            )
            return [
                ClaimedMessage(
                    row.id, row.kind, dict(row.payload), row.attempts, row.request_id, lease_until
                )
                for row in rows
            ]

    def run_jobs(self) -> int:
        """Every scheduled job's due work; one job's failure does not stop the others."""
        done = 0
        for job in self.jobs:
            if self._stop.is_set():
                break
            try:
                done += job.run_due(utcnow(), self.worker_id)
            except Exception:
                log.exception("scheduled job failed", job=job.name)
        return done

    def run_once(self) -> int:
        """Scheduled jobs, then one batch of messages: how much work was done (0: nothing due)."""
        return self.run_jobs() + self.run_messages()

    def run_messages(self) -> int:
        """One batch: returns how many messages were claimed (0 when nothing was due)."""
        batch = self.claim()
        for channel in self.channels:
            messages = [message for message in batch if message.kind in channel.kinds]
            if messages and not self._stop.is_set():
                self._run_channel(channel, messages)
        # Stopped mid-batch: the rest's leases expire (no send happened) and they are due again.
        return len(batch)

    def _run_channel(self, channel: DeliveryChannel, messages: list[ClaimedMessage]) -> None:
        pending = list(messages)
        try:
            with channel.open() as sender:
                while pending and not self._stop.is_set():
                    if not self._lease_left(channel, pending[0]):
                        # Another dispatcher may already hold these: sending now could send twice.
                        log.warning("lease ran out mid-batch", messages=len(pending))
                        break
                    self._deliver(channel, sender, pending[0])
                    pending.pop(0)
        except ChannelUnavailableError as exc:
            # Nothing left in this batch was sent: each counts a failed attempt.
            for message in pending:
                self._record_failure(channel, message, exc.error, permanent=False)
        except Exception as exc:
            # A surprise while opening or closing the channel (a host name the resolver cannot
            # even encode, a bug): the same, or the batch would wait out its lease and be
            # claimed again for ever, never counting an attempt.
            log.exception(f"unexpected {channel.noun} channel error", error=type(exc).__name__)
            for message in pending:
                self._record_failure(
                    channel, message, f"unexpected {type(exc).__name__}: {exc}", permanent=False
                )

    def _lease_left(self, channel: DeliveryChannel, message: ClaimedMessage) -> bool:
        """Enough of the lease left for one send (bounded by the channel's timeout) and its
        record. A lease shorter than the timeout gets half of it as margin, or nothing would
        ever be sent."""
        seconds = min(channel.send_timeout_seconds + 1, self.settings.dispatcher_lease_seconds / 2)
        return utcnow() + timedelta(seconds=seconds) < message.lease_until

    def _deliver(
        self, channel: DeliveryChannel, sender: MessageSender, message: ClaimedMessage
    ) -> None:
        with structlog.contextvars.bound_contextvars(
            request_id=message.request_id, outbox_id=str(message.id), kind=message.kind
        ):
            try:
                delivered = sender.send(message)
            except ChannelUnavailableError:
                raise
            except DeliveryError as exc:
                self._record_failure(channel, message, exc.error, permanent=exc.permanent)
                return
            except Exception as exc:
                # A bug or a surprise of the channel must not hold up the other messages: it
                # counts as a failed attempt, retried and in the end given up on like any other.
                log.exception("unexpected delivery error", error=type(exc).__name__)
                self._record_failure(
                    channel, message, f"unexpected {type(exc).__name__}: {exc}", permanent=False
                )
                return
            with transaction(self.session_factory) as session:
                recorded = repository.mark_sent(
                    session, message.id, self.worker_id, utcnow(), delivered.recipient
                )
            channel.metrics.sent.inc()
            log.info(f"{channel.noun} sent", **delivered.details, lease_kept=recorded)

    def _record_failure(
        self, channel: DeliveryChannel, message: ClaimedMessage, error: str, *, permanent: bool
    ) -> None:
        # SMTP refusals quote the recipient (`{'jane@example.com': (550, ...)}`): neither the log
        # nor the outbox row keeps a full address.
        error = mask_emails_in(error)
        attempts = message.attempts + 1
        give_up = permanent or attempts >= self.settings.dispatcher_max_attempts
        channel.metrics.failed.labels(permanent=str(give_up).lower()).inc()
        retry_at: datetime | None = None
        if not give_up:
            retry_at = utcnow() + backoff_delay(
                attempts,
                self.settings.dispatcher_retry_base_seconds,
                self.settings.dispatcher_retry_max_seconds,
            )
        with transaction(self.session_factory) as session:
            repository.mark_failed_attempt(session, message.id, self.worker_id, error, retry_at)
        with structlog.contextvars.bound_contextvars(
            request_id=message.request_id, outbox_id=str(message.id), kind=message.kind
        ):
            if give_up:
                log.error(f"{channel.noun} failed permanently", attempts=attempts, error=error)
            else:
                log.warning(
                    f"{channel.noun} attempt failed",
                    attempts=attempts,
                    error=error,
                    retry_at=retry_at,
                )

    def run_forever(self) -> None:
        """The `worker` loop: until SIGTERM/SIGINT, then finish the message in hand and exit."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stop())
        log.info("worker started", worker=self.worker_id)
        while not self._stop.is_set():
            try:
                claimed = self.run_once()
            except Exception:
                log.exception("dispatcher batch failed")
                claimed = 0
            if claimed == 0:
                self._stop.wait(self.settings.dispatcher_poll_seconds)
        log.info("worker stopped", worker=self.worker_id)

    async def run_async(self) -> None:
        """The embedded dispatcher: blocking work in a thread, so requests are never held up."""
        while not self._stop.is_set():
            try:
                claimed = await asyncio.to_thread(self.run_once)
            except Exception:
                log.exception("dispatcher batch failed")
                claimed = 0
            if claimed == 0:
                await asyncio.sleep(self.settings.dispatcher_poll_seconds)
