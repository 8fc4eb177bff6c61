"""The administrators' privacy page: export a person's data, erase it, and what retention does."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from lead_manager.auth.dependencies import AdminUser
from lead_manager.container import services_of
from lead_manager.core.dependencies import RequestMetaDep, SessionDep
from lead_manager.core.errors import NotFoundError
from lead_manager.leads.dependencies import StorageDep
from lead_manager.privacy import export, service
from lead_manager.privacy.dependencies import EraserDep
from lead_manager.privacy.router import zip_response
from lead_manager.privacy.schemas import ErasureRequest, ExportRequest
from lead_manager.users.models import User
from lead_manager.web.dependencies import CsrfChecked, PageError
from lead_manager.web.forms import FormText, field_errors
from lead_manager.web.pages import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _privacy_page(
    request: Request,
    admin: User,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    settings = services_of(request).settings
    return render(
        request,
        "admin_privacy.html",
        user=admin,
        status_code=status_code,
        values=values or {},
        errors=errors or {},
        retention_days=settings.retention_days,
        notice_version=settings.privacy_notice_version,
        notice_url=settings.privacy_notice_url,
        **context,
    )


@router.get("/admin/privacy", response_class=HTMLResponse)
def privacy_page(request: Request, admin: AdminUser) -> HTMLResponse:
    return _privacy_page(request, admin)


@router.post("/admin/privacy/export")
def export_person(
    request: Request,
    _csrf: CsrfChecked,
    admin: AdminUser,
    # A POST: the request's session is already the writing one (the audit row of the export).
    session: SessionDep,
    storage: StorageDep,
    eraser: EraserDep,
    meta: RequestMetaDep,
    export_email: FormText = "",
) -> Response:
    # A form post, not a link: the address stays out of the URL (history, proxies' logs).
    values = {"export_email": export_email}
    try:
        address = ExportRequest.model_validate({"email": export_email}).email
        person = export.export_person(
            session, storage, str(address), secret_key=eraser.secret_key, actor=admin.id, meta=meta
        )
    except ValidationError as exc:
        errors = {"export_email": field_errors(exc).get("email", "Enter an email address.")}
        return _privacy_page(request, admin, values=values, errors=errors, status_code=422)
    except NotFoundError as exc:
        return _privacy_page(
            request, admin, values=values, errors={"export_email": exc.detail}, status_code=404
        )
    return zip_response(person)


@router.post("/admin/privacy/erasures", response_class=HTMLResponse)
def erase_person(
    request: Request,
    _csrf: CsrfChecked,
    admin: AdminUser,
    session: SessionDep,
    eraser: EraserDep,
    meta: RequestMetaDep,
    erase_email: FormText = "",
    reason: FormText = "",
    confirm: FormText = "",
) -> HTMLResponse:
    values = {"erase_email": erase_email, "reason": reason}
    errors: dict[str, str] = {}
    data: ErasureRequest | None = None
    try:
        data = ErasureRequest.model_validate({"email": erase_email, "reason": reason})
    except ValidationError as exc:
        found = field_errors(exc)
        errors = {"erase_email" if k == "email" else k: v for k, v in found.items()}
    if not confirm:
        errors["confirm"] = "Tick the box to confirm: erasure cannot be undone."
    if data is None or errors:
        return _privacy_page(request, admin, values=values, errors=errors, status_code=422)
    address = str(data.email)
    earlier = service.earlier_erasures(session, eraser.secret_key, address)
    try:
        erased = service.erase_person(
            session, eraser, address, data.reason, actor=admin.id, meta=meta
        )
    except service.ErasureIncompleteError as exc:
        # Raised, not rendered here: the request's transaction must roll back.
        raise PageError(503, "The erasure was not completed", exc.detail) from exc
    # The address is not shown back: the page may stay open on a screen.
    return _privacy_page(request, admin, erased=erased, earlier=earlier)
