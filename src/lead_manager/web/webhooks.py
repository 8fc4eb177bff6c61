"""Administration of webhooks: the endpoints, their recent deliveries, adding and deleting."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from lead_manager.auth.dependencies import AdminUser
from lead_manager.container import ServicesDep
from lead_manager.core.dependencies import RequestMetaDep, SessionDep
from lead_manager.core.errors import InvalidInputError
from lead_manager.users.models import User
from lead_manager.web.dependencies import CsrfChecked
from lead_manager.web.flash import Notice, NoticeRedirect
from lead_manager.web.forms import FormText, field_errors
from lead_manager.web.pages import PageRoute, render
from lead_manager.webhooks import service as webhooks_service
from lead_manager.webhooks.dependencies import WebhookByPath
from lead_manager.webhooks.models import WebhookEvent
from lead_manager.webhooks.schemas import WebhookCreate

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# Deliveries shown per endpoint (the API lists up to 50).
SHOWN_DELIVERIES = 10


def _webhooks_page(
    request: Request,
    admin: User,
    session: Session,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    created: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    endpoints = [
        (endpoint, webhooks_service.recent_deliveries(session, endpoint)[:SHOWN_DELIVERIES])
        for endpoint in webhooks_service.list_endpoints(session)
    ]
    return render(
        request,
        "admin_webhooks.html",
        user=admin,
        status_code=status_code,
        endpoints=endpoints,
        events=[event.value for event in WebhookEvent],
        values=values or {"events": [event.value for event in WebhookEvent]},
        errors=errors or {},
        created=created,
    )


@router.get("/admin/webhooks", response_class=HTMLResponse)
def webhooks_page(
    request: Request,
    admin: AdminUser,
    session: SessionDep,
) -> HTMLResponse:
    return _webhooks_page(request, admin, session)


@router.post("/admin/webhooks", response_class=HTMLResponse)
def create_webhook(
    request: Request,
    _csrf: CsrfChecked,
    admin: AdminUser,
    session: SessionDep,
    services: ServicesDep,
    meta: RequestMetaDep,
    url: FormText = "",
    events: Annotated[list[str], Form(max_length=len(WebhookEvent))] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    values = {"url": url, "events": events}
    try:
        data = WebhookCreate.model_validate({"url": url.strip(), "events": events})
        endpoint, secret = webhooks_service.register(
            session,
            data,
            services.webhook_secrets,
            allow_private=services.settings.webhook_allow_private,
            actor=admin.id,
            meta=meta,
        )
    except ValidationError as exc:
        errors = field_errors(exc)
        if "events" in errors:
            errors["events"] = "Choose at least one event."
        return _webhooks_page(
            request, admin, session, values=values, errors=errors, status_code=422
        )
    except InvalidInputError as exc:
        return _webhooks_page(
            request, admin, session, values=values, errors={"url": exc.detail}, status_code=422
        )
    # Shown on this page only, never again: no redirect whose URL could carry it.
    return _webhooks_page(
        request,
        admin,
        session,
        created={"url": endpoint.url, "secret": secret},
        status_code=201,
    )


@router.post("/admin/webhooks/{webhook_id}/delete")
def delete_webhook(
    _csrf: CsrfChecked,
    endpoint: WebhookByPath,
    admin: AdminUser,
    session: SessionDep,
    meta: RequestMetaDep,
) -> Response:
    webhooks_service.delete(session, endpoint, actor=admin.id, meta=meta)
    return NoticeRedirect("/admin/webhooks", Notice.WEBHOOK_DELETED)
