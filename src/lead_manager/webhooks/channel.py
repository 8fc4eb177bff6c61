"""Delivering webhook messages from the outbox: signed POSTs to the checked address only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import structlog

from lead_manager.core.db import Database, transaction, utcnow
from lead_manager.core.metrics import WEBHOOKS_FAILED, WEBHOOKS_SENT
from lead_manager.core.settings import Settings
from lead_manager.outbox.delivery import (
    ChannelMetrics,
    ClaimedMessage,
    Delivered,
    DeliveryError,
)
from lead_manager.outbox.models import MessageKind
from lead_manager.webhooks import addresses, repository
from lead_manager.webhooks.signing import SecretBox, SecretUnreadableError, signature_headers

log = structlog.get_logger(__name__)

USER_AGENT = "lead-manager-webhooks/1"


class WebhookChannel:
    noun = "webhook"
    kinds = frozenset({MessageKind.WEBHOOK.value})
    metrics = ChannelMetrics(WEBHOOKS_SENT, WEBHOOKS_FAILED)

    def __init__(self, settings: Settings, database: Database) -> None:
        self.database = database
        self.box = SecretBox(settings.signing_key())
        self.timeout = settings.webhook_timeout_seconds
        self.allow_private = settings.webhook_allow_private

    @property
    def send_timeout_seconds(self) -> float:
        # Connecting and waiting for the answer are bounded apart.
        return 2 * self.timeout

    @contextmanager
    def open(self) -> Iterator[WebhookChannel]:
        # Each message opens its own connection (below): nothing to set up per batch.
        yield self

    def send(self, message: ClaimedMessage) -> Delivered:
        endpoint_id = uuid.UUID(message.payload["endpoint_id"])
        with self.database.sessions() as session:
            endpoint = repository.endpoint_for_delivery(session, endpoint_id)
        if endpoint is None:
            raise DeliveryError("the endpoint was deleted", permanent=True)
        url, sealed = endpoint
        try:
            secret = self.box.open(sealed)
        except SecretUnreadableError as exc:
            raise DeliveryError(str(exc), permanent=True) from None
        try:
            target = addresses.parse(url)
            # Again at every attempt: the name may point somewhere else since registration.
            address = addresses.resolve(target, allow_private=self.allow_private)[0]
        except addresses.UnsafeTargetError as exc:
            self._record_status(message.id, None)
            raise DeliveryError(f"not sent: the URL {exc}") from None
        body: str = message.payload["body"]
        headers = signature_headers(secret, str(message.id), utcnow(), body)
        try:
            status_code = self._post(target, address, headers, body)
        except httpx.HTTPError as exc:
            self._record_status(message.id, None)
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
        self._record_status(message.id, status_code)
        if not 200 <= status_code < 300:
            # Redirects are not followed (the new location was never checked): a failure too.
            raise DeliveryError(f"HTTP {status_code} from {target.host}")
        return Delivered(None, {"endpoint_id": str(endpoint_id), "status_code": status_code})

    def _post(
        self,
        target: addresses.Target,
        address: addresses.IPAddress,
        headers: dict[str, str],
        body: str,
    ) -> int:
        """POST to `address` itself, naming the host in Host and (for TLS) in SNI, so the
        certificate is still checked against the host name."""
        literal = f"[{address}]" if address.version == 6 else str(address)
        default_port = 443 if target.scheme == "https" else 80
        host_header = target.host_header + (
            "" if target.port == default_port else f":{target.port}"
        )
        extensions = {}
        if target.scheme == "https" and not target.is_ip_literal:
            extensions["sni_hostname"] = target.ascii_host
        # A client per message: a pooled connection opened for one host name must never carry
        # a request for another that happens to share its address.
        with (
            httpx.Client(
                timeout=httpx.Timeout(self.timeout),
                follow_redirects=False,
                trust_env=False,
            ) as client,
            client.stream(
                "POST",
                f"{target.scheme}://{literal}:{target.port}{target.target}",
                content=body.encode(),
                headers={
                    **headers,
                    "Host": host_header,
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                },
                extensions=extensions,
            ) as response,
        ):
            return response.status_code

    def _record_status(self, delivery_id: uuid.UUID, status_code: int | None) -> None:
        with transaction(self.database.write_sessions) as session:
            repository.record_status(session, delivery_id, status_code)
