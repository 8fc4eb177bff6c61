"""Conflicts of interest and returning prospects on the pages: the register (`/admin/parties`),
the decision form of a lead, and what the lead page shows of both."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from lead_manager.auth.dependencies import AdminUser, CurrentUser
from lead_manager.conflicts import csv_import
from lead_manager.conflicts import service as conflicts_service
from lead_manager.conflicts.models import PartyKind
from lead_manager.conflicts.schemas import ConflictDecision, ImportResult, PartyCreate
from lead_manager.core.dependencies import RequestMetaDep, SessionDep
from lead_manager.core.errors import ConflictError
from lead_manager.core.pagination import decode_cursor
from lead_manager.leads import judgement
from lead_manager.leads.dependencies import LeadByPath
from lead_manager.leads.models import Lead
from lead_manager.users.models import User
from lead_manager.web.dependencies import CsrfChecked, PageError
from lead_manager.web.flash import Notice, NoticeRedirect
from lead_manager.web.forms import FormText, field_errors
from lead_manager.web.pages import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50
KIND_LABELS = {
    PartyKind.CLIENT.value: "Client",
    PartyKind.FORMER_CLIENT.value: "Former client",
    PartyKind.ADVERSE_PARTY.value: "Adverse party",
    PartyKind.RELATED_PARTY.value: "Related party",
}


def lead_judgement_context(session: Session, lead: Lead, user: User) -> dict[str, Any]:
    """What lead.html's judgement partials show: the conflict and its hits, the decision form
    (for an admin or the assigned attorney), and the lead's earlier and later and similar leads."""
    conflict = judgement.conflict_of(session, lead)
    return {
        "conflict": conflict,
        "may_decide": conflict.status.value != "clear"
        and (user.role == "admin" or lead.assigned_to == user.id),
        "duplicates": judgement.duplicates_of(session, lead),
        "similar": judgement.similar_leads(session, lead).items,
    }


@router.post("/leads/{lead_id}/conflict")
def decide_conflict(
    _csrf: CsrfChecked,
    lead: LeadByPath,
    user: CurrentUser,
    session: SessionDep,
    meta: RequestMetaDep,
    decision: Annotated[str, Form(max_length=20)] = "",
    note: FormText = "",
) -> Response:
    try:
        data = ConflictDecision.model_validate({"decision": decision, "note": note})
    except ValidationError as exc:
        problems = field_errors(exc)
        message = problems.get("note") and "Please write a note on the decision."
        raise PageError(
            422, "The decision was not recorded", message or "Please choose cleared or confirmed."
        ) from None
    judgement.check_may_decide(lead, user)
    try:
        judgement.resolve_conflict(
            session, lead, data.decision, data.note, actor=user.id, meta=meta
        )
    except ConflictError as exc:
        raise PageError(409, "The decision was not recorded", exc.detail) from None
    return NoticeRedirect(f"/leads/{lead.id}", Notice.CONFLICT_DECIDED)


def _parties_page(
    request: Request,
    admin: User,
    session: Session,
    *,
    q: str = "",
    cursor: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    imported: ImportResult | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    after = None
    if cursor:
        try:
            after = decode_cursor(cursor)
        except ValueError:
            raise PageError(
                400, "That page link is not valid", "Please start again from the first page."
            ) from None
    search = " ".join(q.split())
    return render(
        request,
        "admin_parties.html",
        user=admin,
        status_code=status_code,
        page=conflicts_service.list_parties(session, search or None, PAGE_SIZE, after),
        q=search,
        first_page=after is None,
        values=values or {"kind": PartyKind.CLIENT.value},
        errors=errors or {},
        imported=imported,
        kinds=KIND_LABELS,
    )


@router.get("/admin/parties", response_class=HTMLResponse)
def parties_page(
    request: Request,
    admin: AdminUser,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    if any(ord(ch) < 0x20 for ch in q):
        q = ""
    return _parties_page(request, admin, session, q=q, cursor=cursor)


@router.post("/admin/parties", response_class=HTMLResponse)
def add_party(
    request: Request,
    _csrf: CsrfChecked,
    admin: AdminUser,
    session: SessionDep,
    meta: RequestMetaDep,
    name: FormText = "",
    kind: Annotated[str, Form(max_length=20)] = "",
    email: FormText = "",
    matter: FormText = "",
) -> Response:
    values = {"name": name, "kind": kind, "email": email, "matter": matter}
    try:
        data = PartyCreate.from_fields(values)
    except ValidationError as exc:
        return _parties_page(
            request, admin, session, values=values, errors=field_errors(exc), status_code=422
        )
    conflicts_service.create_party(session, data, actor=admin.id, meta=meta)
    return NoticeRedirect("/admin/parties", Notice.PARTY_ADDED)


@router.post("/admin/parties/{party_id}/delete")
def remove_party(
    _csrf: CsrfChecked,
    party_id: uuid.UUID,
    admin: AdminUser,
    session: SessionDep,
    meta: RequestMetaDep,
) -> Response:
    conflicts_service.delete_party(session, party_id, actor=admin.id, meta=meta)
    return NoticeRedirect("/admin/parties", Notice.PARTY_DELETED)


@router.post("/admin/parties/import", response_class=HTMLResponse)
async def import_parties(
    request: Request,
    _csrf: CsrfChecked,
    admin: AdminUser,
    session: SessionDep,
    meta: RequestMetaDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    if file is None or not file.filename:
        return _parties_page(
            request, admin, session, errors={"file": "Please choose a CSV file."}, status_code=422
        )
    data = await file.read(csv_import.MAX_CSV_BYTES + 1)
    if len(data) > csv_import.MAX_CSV_BYTES:
        return _parties_page(
            request,
            admin,
            session,
            errors={"file": "The CSV file may be at most 10 MiB."},
            status_code=413,
        )
    result = await run_in_threadpool(
        csv_import.import_register, session, data, actor=admin.id, meta=meta
    )
    return await run_in_threadpool(_parties_page, request, admin, session, imported=result)
