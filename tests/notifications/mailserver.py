"""A real SMTP server (aiosmtpd) in the test process, and ways to run the dispatcher against it."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from lead_manager.core.settings import Settings
from lead_manager.notifications.dispatcher import Dispatcher
from lead_manager.outbox.models import OutboxMessage
from tests.conftest import LiveServer
from tests.processes import free_port


@dataclass
class Delivery:
    envelope_from: str
    recipients: list[str]
    message: EmailMessage
    # MAIL FROM carried SMTPUTF8 (an internationalised address, RFC 6531).
    smtp_utf8: bool = False


@dataclass
class Mailbox:
    """The aiosmtpd handler: keeps what arrives; `reply` decides the answer to each RCPT TO."""

    deliveries: list[Delivery] = field(default_factory=list)
    reply: Callable[[str], str | None] = lambda _address: None
    logins: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self.reply(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        message = message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.deliveries.append(
                Delivery(
                    str(envelope.mail_from), list(envelope.rcpt_tos), message, envelope.smtp_utf8
                )
            )
        return "250 Message accepted"

    def count(self) -> int:
        with self._lock:
            return len(self.deliveries)

    def snapshot(self) -> list[Delivery]:
        with self._lock:
            return list(self.deliveries)

    def message_ids(self) -> list[str]:
        return [str(d.message["Message-ID"]) for d in self.snapshot()]

    def wait_for(self, count: int, timeout: float = 20) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while self.count() < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.snapshot()

    def authenticator(self, password: str) -> Callable[..., AuthResult]:
        """aiosmtpd's authenticator hook: accepts `password` for any user, records the login."""

        def check(
            server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
        ) -> AuthResult:
            ok = isinstance(auth_data, LoginPassword) and auth_data.password == password.encode()
            if ok:
                self.logins.append(auth_data.login.decode())
            return AuthResult(success=ok, handled=False)  # False: aiosmtpd answers 535 itself

        return check


@contextmanager
def smtp_server(mailbox: Mailbox, port: int | None = None, **smtp_options: Any) -> Iterator[int]:
    """aiosmtpd on 127.0.0.1 (a free port unless given); yields the port."""
    port = port or free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **smtp_options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (as an IP SAN, so hostname checking passes) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def smtp_settings(api: LiveServer, port: int, **overrides: Any) -> Settings:
    """The live server's settings, sending through 127.0.0.1:port, retrying quickly."""
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
        "smtp_timeout_seconds": 5.0,
        "dispatcher_retry_base_seconds": 0.05,
        "dispatcher_retry_max_seconds": 0.2,
    }
    values.update(overrides)
    return Settings(_env_file=None, **{**api.settings.model_dump(), **values})  # type: ignore[call-arg]


def dispatcher_for(api: LiveServer, settings: Settings) -> Dispatcher:
    return Dispatcher(settings, api.engine, name="test")


def outbox_rows(api: LiveServer) -> list[OutboxMessage]:
    with api.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)))


def run_until(dispatcher: Dispatcher, done: Callable[[], bool], timeout: float = 20) -> None:
    """Run batches (as the worker loop would) until `done()`; retries become due meanwhile."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError("the dispatcher did not finish in time")
        if dispatcher.run_once() == 0:
            time.sleep(0.02)


def expected_message_id(row: OutboxMessage, settings: Settings) -> str:
    return f"<{row.id}@{settings.email_from.rpartition('@')[2]}>"
