"""Outbox messages of the email kinds → rendered emails → the mail transport."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

import structlog
from sqlalchemy import Engine

from lead_manager.core.db import create_session_factory, utcnow
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
from lead_manager.outbox.delivery import (
    ChannelMetrics,
    ChannelUnavailableError,
    ClaimedMessage,
    Delivered,
    DeliveryError,
)
from lead_manager.outbox.models import EMAIL_KINDS, MessageKind

log = structlog.get_logger(__name__)


class MailChannel:
    noun = "email"
    kinds = frozenset(kind.value for kind in EMAIL_KINDS)
    metrics = ChannelMetrics(EMAILS_SENT, EMAILS_FAILED)

    def __init__(
        self, settings: Settings, engine: Engine, transport: MailTransport | None = None
    ) -> None:
        self.settings = settings
        # Rendering only reads (and on SQLite must not take the write lock while it loads).
        self.read_session_factory = create_session_factory(engine)
        self.transport = transport or create_transport(settings)
        self.templates = create_environment()
        self.context = MailContext(
            settings.firm_name,
            settings.email_from,
            settings.public_base_url,
            firm_phone=settings.firm_phone,
            firm_address=settings.firm_address,
            zone=settings.response_clock().zone,
            signing_key=settings.signing_key(),
        )
        if isinstance(self.transport, EmlDirectoryTransport):
            log.warning(
                "SMTP_HOST is not set: emails are written as .eml files, not sent",
                mail_dir=str(self.transport.directory.resolve()),
            )

    @property
    def description(self) -> str:
        return self.transport.description

    @property
    def send_timeout_seconds(self) -> float:
        return self.settings.smtp_timeout_seconds

    @contextmanager
    def open(self) -> Iterator[_MailBatch]:
        try:
            with self.transport.open() as sender:
                yield _MailBatch(self, sender)
        except (OSError, smtplib.SMTPException) as exc:
            raise self.unavailable(exc) from exc

    def unavailable(self, exc: Exception) -> ChannelUnavailableError:
        error = mask_emails_in(f"{type(exc).__name__}: {exc}")
        log.warning("mail transport unavailable", transport=self.description, error=error)
        return ChannelUnavailableError(error)

    def render(self, message: ClaimedMessage) -> EmailMessage:
        with self.read_session_factory() as session:
            try:
                content = load_content(
                    session, MessageKind(message.kind), message.payload, utcnow()
                )
            except MissingDataError as exc:
                raise DeliveryError(f"cannot render: {exc}", permanent=True) from exc
            try:
                return render(
                    self.templates,
                    MessageKind(message.kind),
                    message.id,
                    content.lead,
                    content.recipient,
                    self.context,
                    content.extra,
                )
            except ValueError as exc:
                # A header the email policy refuses (CR/LF, a malformed address): such a
                # message can never be sent; it must not hold up the rest of the batch.
                raise DeliveryError(f"cannot render: {exc}", permanent=True) from exc


class _MailBatch:
    def __init__(self, channel: MailChannel, sender: MailSender) -> None:
        self.channel = channel
        self.sender = sender

    def send(self, message: ClaimedMessage) -> Delivered:
        email = self.channel.render(message)
        try:
            self.sender.send(email)
        except (
            smtplib.SMTPRecipientsRefused,
            smtplib.SMTPSenderRefused,
            smtplib.SMTPDataError,
        ) as exc:
            # 4xx: try again later; 5xx: the server refused this message for good.
            raise DeliveryError(
                f"{type(exc).__name__}: {exc}", permanent=_smtp_code(exc) >= 500
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            # An internationalised address and a server without SMTPUTF8: only this message.
            raise DeliveryError(f"{type(exc).__name__}: {exc}", permanent=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            # The connection itself failed: nothing left in this batch can be sent on it.
            raise self.channel.unavailable(exc) from exc
        recipient = email["To"].addresses[0].addr_spec
        return Delivered(
            recipient, {"to": mask_email(recipient), "message_id": str(email["Message-ID"])}
        )


def _smtp_code(exc: smtplib.SMTPException) -> int:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return min(codes) if codes else 0
    return int(getattr(exc, "smtp_code", 0) or 0)
