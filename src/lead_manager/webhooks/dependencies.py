from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from lead_manager.auth.dependencies import AdminUser
from lead_manager.core.dependencies import SessionDep
from lead_manager.webhooks import service
from lead_manager.webhooks.models import WebhookEndpoint


def webhook_or_404(
    webhook_id: uuid.UUID, session: SessionDep, _admin: AdminUser
) -> WebhookEndpoint:
    return service.get_endpoint(session, webhook_id)


WebhookByPath = Annotated[WebhookEndpoint, Depends(webhook_or_404)]
