from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestMeta:
    """Who is asking, from where: carried into audit rows, outbox messages and logs."""

    request_id: str | None = None
    client_ip: str | None = None
