"""The delivery channels every dispatcher runs (wired here: the dispatcher knows no domain's)."""

from __future__ import annotations

from lead_manager.core.db import Database
from lead_manager.core.settings import Settings
from lead_manager.notifications.mail_channel import MailChannel
from lead_manager.outbox.delivery import DeliveryChannel
from lead_manager.webhooks.channel import WebhookChannel


def delivery_channels(settings: Settings, database: Database) -> list[DeliveryChannel]:
    """One channel per kind of outbox message, email first (a slow webhook endpoint must not
    hold up the emails of the same batch)."""
    return [MailChannel(settings, database.engine), WebhookChannel(settings, database)]
