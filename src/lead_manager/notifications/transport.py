"""Delivering rendered emails: SMTP (one connection per batch) or .eml files without a server."""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
import uuid
from contextlib import AbstractContextManager
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Protocol

from lead_manager.core.settings import Settings


class MailTransport(Protocol):
    description: str

    def open(self) -> AbstractContextManager[MailSender]:
        """A connection (or its stand-in) used for one batch of messages."""


class MailSender(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host is not None
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.username = settings.smtp_username
        self.password = (
            settings.smtp_password.get_secret_value() if settings.smtp_password else None
        )
        self.starttls = settings.smtp_starttls and not settings.smtp_ssl
        self.use_ssl = settings.smtp_ssl
        self.timeout = settings.smtp_timeout_seconds
        self.description = f"SMTP {self.host}:{self.port}"

    def open(self) -> _SmtpConnection:
        return _SmtpConnection(self)


class _SmtpConnection:
    def __init__(self, transport: SmtpTransport) -> None:
        self.transport = transport
        self.client: smtplib.SMTP | None = None

    def __enter__(self) -> _SmtpConnection:
        t = self.transport
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if t.use_ssl:
            client = smtplib.SMTP_SSL(t.host, t.port, timeout=t.timeout, context=context)
        else:
            client = smtplib.SMTP(t.host, t.port, timeout=t.timeout)
        try:
            client.ehlo()
            if t.starttls:
                # Refuses to go on in clear text when the server does not offer STARTTLS.
                client.starttls(context=context)
                client.ehlo()
            if t.username:
                client.login(t.username, t.password or "")
        except BaseException:
            client.close()
            raise
        self.client = client
        return self

    def send(self, message: EmailMessage) -> None:
        assert self.client is not None
        self.client.send_message(message)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.client is None:
            return
        try:
            self.client.quit()
        except (smtplib.SMTPException, OSError):
            self.client.close()


class EmlDirectoryTransport:
    """For a newcomer without a mail server: each email becomes a file in MAIL_DIR."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.description = f".eml files in {directory}"

    def open(self) -> _EmlWriter:
        self.directory.mkdir(parents=True, exist_ok=True)
        return _EmlWriter(self.directory)


def eml_copy(directory: Path, outbox_id: uuid.UUID) -> Path:
    """The file the directory transport writes for an outbox message (its Message-ID's local part,
    see rendering.message_id); erasure removes it."""
    return directory / f"{outbox_id}.eml"


class _EmlWriter:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __enter__(self) -> _EmlWriter:
        return self

    def send(self, message: EmailMessage) -> None:
        name = str(message["Message-ID"]).strip("<>").partition("@")[0]
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(message.as_bytes())
        os.replace(tmp, self.directory / f"{name}.eml")

    def __exit__(self, *_exc: object) -> None:
        return None


def create_transport(settings: Settings) -> MailTransport:
    if settings.smtp_host:
        return SmtpTransport(settings)
    return EmlDirectoryTransport(settings.mail_dir)
