"""Webhook events about leads, emitted by the code that makes each change."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lead_manager.core.request_meta import RequestMeta
from lead_manager.leads.models import Lead
from lead_manager.leads.schemas import LeadRead
from lead_manager.webhooks import service as webhooks
from lead_manager.webhooks.models import WebhookEvent


def emit_event(session: Session, event: WebhookEvent, lead: Lead, meta: RequestMeta) -> None:
    """`event` about `lead` for the subscribed endpoints, its body the lead's list item as it
    is now (so `lead` must show the change already)."""
    webhooks.emit(
        session,
        event,
        lambda: LeadRead.model_validate(lead).model_dump(mode="json"),
        lead_id=lead.id,
        request_id=meta.request_id,
    )
