from __future__ import annotations

from fastapi import APIRouter, Response, status

from lead_manager.auth.dependencies import AdminUser
from lead_manager.container import ServicesDep
from lead_manager.core.dependencies import RequestMetaDep, SessionDep
from lead_manager.core.openapi import LOCATION_HEADER, error_responses
from lead_manager.webhooks import service
from lead_manager.webhooks.dependencies import WebhookByPath
from lead_manager.webhooks.schemas import (
    DeliveryList,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookRead,
)

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
    responses={
        201: {"description": "The new endpoint, with its secret", "headers": LOCATION_HEADER},
        **error_responses(400, 401, 403, 422),
    },
)
def create_webhook(
    data: WebhookCreate,
    admin: AdminUser,
    session: SessionDep,
    services: ServicesDep,
    meta: RequestMetaDep,
    response: Response,
) -> WebhookCreated:
    """Register a URL for lead events. The answer carries the `whsec_…` secret that signs
    every delivery (Standard Webhooks); it is not shown again. Loopback, private and link-local
    targets are refused unless WEBHOOK_ALLOW_PRIVATE."""
    endpoint, secret = service.register(
        session,
        data,
        services.webhook_secrets,
        allow_private=services.settings.webhook_allow_private,
        actor=admin.id,
        meta=meta,
    )
    response.headers["Location"] = f"/api/v1/webhooks/{endpoint.id}"
    return WebhookCreated(**WebhookRead.model_validate(endpoint).model_dump(), secret=secret)


@router.get("", response_model=WebhookList, responses=error_responses(401, 403))
def list_webhooks(_admin: AdminUser, session: SessionDep) -> WebhookList:
    return WebhookList(
        items=[WebhookRead.model_validate(e) for e in service.list_endpoints(session)]
    )


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401, 403, 404, 422),
)
def delete_webhook(
    endpoint: WebhookByPath, admin: AdminUser, session: SessionDep, meta: RequestMetaDep
) -> Response:
    service.delete(session, endpoint, actor=admin.id, meta=meta)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveryList,
    responses=error_responses(401, 403, 404, 422),
)
def list_webhook_deliveries(endpoint: WebhookByPath, session: SessionDep) -> DeliveryList:
    """The most recent deliveries (at most 50), newest first."""
    return DeliveryList(
        items=[
            DeliveryRead.model_validate(delivery)
            for delivery in service.recent_deliveries(session, endpoint)
        ]
    )
