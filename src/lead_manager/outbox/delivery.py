"""What the dispatcher needs from a channel (email, webhooks…) to deliver outbox messages.

The dispatcher claims due messages under a lease, hands each to the channel of its kind and
records the outcome (sent; or a failed attempt, retried with backoff until it is given up on).
A channel only says how one message is delivered and whether a failure is worth retrying.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from prometheus_client import Counter


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempts: int
    request_id: str | None
    lease_until: datetime


class DeliveryError(Exception):
    """This message was not delivered; `permanent` when retrying cannot help."""

    def __init__(self, error: str, *, permanent: bool = False) -> None:
        super().__init__(error)
        self.error = error
        self.permanent = permanent


class ChannelUnavailableError(Exception):
    """The channel itself failed (the SMTP connection): no message left in the batch was sent."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True, slots=True)
class Delivered:
    # Recorded on the outbox row: an email's address (the lead's timeline shows it); None for
    # deliveries that are not to a person.
    recipient: str | None
    # For the "<noun> sent" log line.
    details: Mapping[str, object]


class MessageSender(Protocol):
    def send(self, message: ClaimedMessage) -> Delivered:
        """Deliver one message or raise DeliveryError."""
        ...


@dataclass(frozen=True, slots=True)
class ChannelMetrics:
    sent: Counter
    # Labelled `permanent` ("true" when given up on).
    failed: Counter


class DeliveryChannel(Protocol):
    # In log lines: "<noun> sent", "<noun> attempt failed", "<noun> failed permanently".
    noun: str
    # The outbox kinds it delivers; a dispatcher claims only kinds it has a channel for.
    kinds: frozenset[str]
    metrics: ChannelMetrics

    @property
    def send_timeout_seconds(self) -> float:
        """The longest one send may take: a message is started only with this much lease left."""
        ...

    def open(self) -> AbstractContextManager[MessageSender]:
        """What one batch of this channel's messages is sent through (e.g. one SMTP connection);
        may raise ChannelUnavailableError."""
        ...
