"""The outbox dispatcher: claim due messages under a lease, send them, record the outcome.

Runs inside `serve` (an asyncio task that does the blocking work in a thread) or as any number of
`lead-manager worker` processes. Delivery is at-least-once: a dispatcher killed after sending but
before recording lets the lease expire and another sends again, with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import smtplib
import socket
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Engine

from lead_manager.core.db import (
    create_session_factory,
    create_write_session_factory,
    transaction,
    utcnow,
)
from lead_manager.core.logging import mask_email, mask_emails_in
from lead_manager.core.metrics import EMAILS_FAILED, EMAILS_SENT
from lead_manager.core.settings import Settings
from lead_manager.notifications.content import MissingDataError
from lead_manager.notifications.content import load as load_content
from lead_manager.notifications.rendering import MailContext, create_environment, render
from lead_manager.notifications.transport import (
    EmlDirectoryTransport,
    MailSender,
    MailTransport,
    create_transport,
)
from lead_manager.outbox import repository
from lead_manager.outbox.models import MessageKind
from lead_manager.scheduling.jobs import ScheduledJob

log = structlog.get_logger(__name__)


class PermanentDeliveryError(Exception):
    """Retrying cannot help (the lead is gone, the server refused the address for good)."""


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    id: uuid.UUID
    kind: MessageKind
    payload: dict[str, Any]
    attempts: int
    request_id: str | None
    lease_until: datetime


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
        jobs: Sequence[ScheduledJob] = (),
    ) -> None:
        self.settings = settings
        self.jobs = list(jobs)
        # Claims and outcomes write; rendering only reads (and on SQLite must not take the
        # write lock while it loads the lead).
        self.session_factory = create_write_session_factory(engine)
        self.read_session_factory = create_session_factory(engine)
        self.worker_id = f"{name}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.transport = transport or create_transport(settings)
        self.templates = create_environment()
        self.context = MailContext(
            settings.firm_name,
            settings.email_from,
            settings.public_base_url,
            firm_phone=settings.firm_phone,
            firm_address=settings.firm_address,
            zone=settings.response_clock().zone,
        )
        self._stop = threading.Event()
        log.info("dispatcher ready", worker=self.worker_id, transport=self.transport.description)
        if isinstance(self.transport, EmlDirectoryTransport):
            log.warning(
                "SMTP_HOST is not set: emails are written as .eml files, not sent",
                mail_dir=str(self.transport.directory.resolve()),
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
                session, self.worker_id, now, lease_until, self.settings.dispatcher_batch_size
            )
            return [
                ClaimedMessage(
                    row.id,
                    MessageKind(row.kind),
                    dict(row.payload),
                    row.attempts,
                    row.request_id,
                    lease_until,
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
        if not batch:
            return 0
        pending = list(batch)
        try:
            with self.transport.open() as sender:
                while pending and not self._stop.is_set():
                    if not self._lease_left(pending[0]):
                        # Another dispatcher may already hold these: sending now could send twice.
                        log.warning("lease ran out mid-batch", messages=len(pending))
                        break
                    self._deliver(sender, pending[0])
                    pending.pop(0)
        except (OSError, smtplib.SMTPException) as exc:
            # The connection itself failed: nothing left in this batch was sent.
            log.warning(
                "mail transport unavailable",
                transport=self.transport.description,
                error=mask_emails_in(f"{type(exc).__name__}: {exc}"),
                messages=len(pending),
            )
            for message in pending:
                self._record_failure(message, f"{type(exc).__name__}: {exc}", permanent=False)
            pending = []
        # Stopped mid-batch: release the rest's leases by letting them expire (no send happened).
        return len(batch)

    def _lease_left(self, message: ClaimedMessage) -> bool:
        """Enough of the lease left for one send (bounded by the SMTP timeout) and its record.

        A lease shorter than the timeout gets half of it as margin, or nothing would ever be sent.
        """
        seconds = min(
            self.settings.smtp_timeout_seconds + 1, self.settings.dispatcher_lease_seconds / 2
        )
        return utcnow() + timedelta(seconds=seconds) < message.lease_until

    def _deliver(self, sender: MailSender, message: ClaimedMessage) -> None:
        with structlog.contextvars.bound_contextvars(
            request_id=message.request_id, outbox_id=str(message.id), kind=message.kind.value
        ):
            try:
                email = self._render(message)
            except (PermanentDeliveryError, ValueError) as exc:
                # ValueError: a header the email policy refuses (CR/LF, a malformed address).
                # Such a message can never be sent; it must not hold up the rest of the batch.
                self._record_failure(message, f"cannot render: {exc}", permanent=True)
                return
            try:
                sender.send(email)
            except (
                smtplib.SMTPRecipientsRefused,
                smtplib.SMTPSenderRefused,
                smtplib.SMTPDataError,
            ) as exc:
                # 4xx: try again later; 5xx: the server refused this message for good.
                code = _smtp_code(exc)
                self._record_failure(message, f"{type(exc).__name__}: {exc}", permanent=code >= 500)
                return
            except smtplib.SMTPNotSupportedError as exc:
                # An internationalised address and a server without SMTPUTF8: only this message.
                self._record_failure(message, f"{type(exc).__name__}: {exc}", permanent=True)
                return
            recipient = email["To"].addresses[0].addr_spec
            with transaction(self.session_factory) as session:
                recorded = repository.mark_sent(
                    session, message.id, self.worker_id, utcnow(), recipient
                )
            EMAILS_SENT.inc()
            log.info(
                "email sent",
                to=mask_email(recipient),
                message_id=str(email["Message-ID"]),
                lease_kept=recorded,
            )

    def _render(self, message: ClaimedMessage) -> Any:
        with self.read_session_factory() as session:
            try:
                content = load_content(session, message.kind, message.payload, utcnow())
            except MissingDataError as exc:
                raise PermanentDeliveryError(str(exc)) from exc
            return render(
                self.templates,
                message.kind,
                message.id,
                content.lead,
                content.recipient,
                self.context,
                content.extra,
            )

    def _record_failure(self, message: ClaimedMessage, error: str, *, permanent: bool) -> None:
        # SMTP refusals quote the recipient (`{'jane@example.com': (550, ...)}`): neither the log
        # nor the outbox row keeps a full address.
        error = mask_emails_in(error)
        attempts = message.attempts + 1
        give_up = permanent or attempts >= self.settings.dispatcher_max_attempts
        EMAILS_FAILED.labels(permanent=str(give_up).lower()).inc()
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
            request_id=message.request_id, outbox_id=str(message.id), kind=message.kind.value
        ):
            if give_up:
                log.error("email failed permanently", attempts=attempts, error=error)
            else:
                log.warning(
                    "email attempt failed", attempts=attempts, error=error, retry_at=retry_at
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


def _smtp_code(exc: smtplib.SMTPException) -> int:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return min(codes) if codes else 0
    return int(getattr(exc, "smtp_code", 0) or 0)
