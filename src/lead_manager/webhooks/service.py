"""Registering webhook endpoints and emitting events to them (through the outbox)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy.orm import Session

from lead_manager.audit import repository as audit
from lead_manager.audit.models import AuditAction
from lead_manager.core.db import new_id, utcnow
from lead_manager.core.errors import InvalidInputError, NotFoundError
from lead_manager.core.request_meta import RequestMeta
from lead_manager.outbox import service as outbox
from lead_manager.outbox.models import MessageKind
from lead_manager.webhooks import addresses, repository
from lead_manager.webhooks.models import WebhookEndpoint, WebhookEvent
from lead_manager.webhooks.schemas import WebhookCreate
from lead_manager.webhooks.signing import SecretBox, new_secret

RECENT_DELIVERIES = 50


def register(
    session: Session,
    data: WebhookCreate,
    box: SecretBox,
    *,
    allow_private: bool,
    actor: uuid.UUID,
    meta: RequestMeta,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (returned this once; stored sealed)."""
    try:
        addresses.check(data.url, allow_private=allow_private)
    except addresses.UnsafeTargetError as exc:
        raise InvalidInputError(f"The URL {exc}.", field="url") from None
    secret = new_secret()
    endpoint = WebhookEndpoint(
        url=data.url,
        events=[event.value for event in data.events],
        secret_ciphertext=box.seal(secret),
        created_by=actor,
        created_at=utcnow(),
    )
    repository.add_endpoint(session, endpoint)
    audit.record(
        session,
        AuditAction.WEBHOOK_CREATED,
        actor=actor,
        target=str(endpoint.id),
        meta=meta,
        url=endpoint.url,
        events=endpoint.events,
    )
    return endpoint, secret


def list_endpoints(session: Session) -> Sequence[WebhookEndpoint]:
    return repository.endpoints(session)


def get_endpoint(session: Session, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = repository.get_endpoint(session, endpoint_id)
    if endpoint is None:
        raise NotFoundError("Webhook not found.")
    return endpoint


def delete(
    session: Session, endpoint: WebhookEndpoint, *, actor: uuid.UUID, meta: RequestMeta
) -> None:
    """Gone at once: its deliveries not yet made are given up on when their turn comes."""
    repository.delete_endpoint(session, endpoint.id)
    audit.record(
        session,
        AuditAction.WEBHOOK_DELETED,
        actor=actor,
        target=str(endpoint.id),
        meta=meta,
        url=endpoint.url,
    )


def recent_deliveries(session: Session, endpoint: WebhookEndpoint) -> list[dict[str, Any]]:
    return [
        {
            "event_id": row.id,
            "type": row.event_type,
            "attempts": row.attempts,
            "status_code": row.status_code,
            "delivered_at": row.sent_at,
            "state": row.status,
            "last_error": row.last_error,
            "created_at": row.created_at,
        }
        for row in repository.deliveries(session, endpoint.id, RECENT_DELIVERIES)
    ]


def emit(
    session: Session,
    event_type: WebhookEvent,
    describe: Callable[[], Mapping[str, Any]],
    *,
    lead_id: uuid.UUID | None = None,
    request_id: str | None = None,
) -> int:
    """Queue `event_type` for every endpoint subscribed to it, in the caller's transaction;
    how many. `describe()` gives the JSON-ready data (e.g. a schema's `model_dump(mode="json")`),
    called only when someone subscribes (most submissions have no one to tell): the body is
    fixed now, so every retry sends the same bytes, describing the lead as it was."""
    endpoint_ids = repository.subscribers(session, event_type.value)
    if not endpoint_ids:
        return 0
    now = utcnow()
    body = orjson.dumps(
        {
            "type": event_type.value,
            "timestamp": now.isoformat().replace("+00:00", "Z"),
            "data": dict(describe()),
        }
    ).decode()
    messages = [
        (new_id(), {"endpoint_id": str(endpoint_id), "type": event_type.value, "body": body})
        for endpoint_id in endpoint_ids
    ]
    outbox.enqueue_payloads(
        session, MessageKind.WEBHOOK, messages, lead_id=lead_id, request_id=request_id
    )
    repository.add_deliveries(
        session,
        [
            {
                "id": message_id,
                "endpoint_id": uuid.UUID(payload["endpoint_id"]),
                "event_type": event_type.value,
                "created_at": now,
            }
            for message_id, payload in messages
        ],
    )
    return len(messages)
