from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lead_manager.webhooks.addresses import MAX_URL_LENGTH
from lead_manager.webhooks.models import WebhookEvent


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=1, max_length=MAX_URL_LENGTH, examples=["https://hooks.example.com/leads"]
    )
    events: list[WebhookEvent] = Field(min_length=1, max_length=len(WebhookEvent))

    @field_validator("events")
    @classmethod
    def _unique(cls, events: list[WebhookEvent]) -> list[WebhookEvent]:
        # In a fixed order, each once.
        return [event for event in WebhookEvent if event in events]


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    events: list[WebhookEvent]
    created_at: datetime


class WebhookCreated(WebhookRead):
    # Shown here only: afterwards it is kept encrypted and never returned.
    secret: str = Field(description="The `whsec_…` signing secret; shown only once")


class WebhookList(BaseModel):
    items: list[WebhookRead]


class DeliveryRead(BaseModel):
    # The `webhook-id` header of the event's requests (the same on every retry).
    event_id: uuid.UUID
    type: WebhookEvent
    attempts: int
    # Of the last attempt; null before the first, or when no response came (timeout, refused).
    status_code: int | None
    delivered_at: datetime | None


class DeliveryList(BaseModel):
    items: list[DeliveryRead]
