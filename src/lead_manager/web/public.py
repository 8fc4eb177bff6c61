"""The public pages: the lead form and its thank-you page."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from lead_manager.core.dependencies import SettingsDep
from lead_manager.core.errors import DomainError
from lead_manager.core.metrics import HONEYPOT_HITS
from lead_manager.core.settings import Settings
from lead_manager.leads import attribution
from lead_manager.leads.dependencies import LeadIntakeDep, SubmissionLimit
from lead_manager.leads.models import IntakeChannel
from lead_manager.leads.resume import ACCEPTED_LABEL, ACCEPTED_TYPES
from lead_manager.leads.schemas import LeadCreate
from lead_manager.web.dependencies import FormCsrfChecked
from lead_manager.web.forms import FormText, field_errors
from lead_manager.web.pages import EmbeddablePageRoute, render

log = structlog.get_logger(__name__)

router = APIRouter(route_class=EmbeddablePageRoute, include_in_schema=False)

# The form's spam trap: a field hidden from people (off-screen, aria-hidden, out of the tab order,
# no autofill) that only bots fill in. Named so that no real data or browser autofill uses it;
# the API knows no such field (a client's `website` is a prospect's homepage, not spam).
SPAM_TRAP_FIELD = "hp_contact_fax"

# The file picker's filter; the server still decides from the content (resume.py).
ACCEPT_ATTRIBUTE = ",".join([*ACCEPTED_TYPES.values(), *ACCEPTED_TYPES])


def _lead_form(
    request: Request,
    settings: Settings,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "lead_form.html",
        status_code=status_code,
        values=values or {},
        errors=errors or {},
        accepted_label=ACCEPTED_LABEL,
        accept=ACCEPT_ATTRIBUTE,
        max_resume_bytes=settings.max_resume_bytes,
        privacy_notice_url=settings.privacy_notice_url,
        spam_trap_field=SPAM_TRAP_FIELD,
    )


@router.get("/", response_class=HTMLResponse)
def lead_form(request: Request, settings: SettingsDep) -> HTMLResponse:
    source = attribution.form_values(
        request.query_params, request.headers.get("referer"), request.url.hostname
    )
    return _lead_form(request, settings, source)


@router.post("/", response_class=HTMLResponse)
async def submit_lead_form(
    request: Request,
    _csrf: FormCsrfChecked,
    _limit: SubmissionLimit,
    intake: LeadIntakeDep,
    settings: SettingsDep,
    first_name: FormText = "",
    last_name: FormText = "",
    email: FormText = "",
    phone: FormText = "",
    message: FormText = "",
    opposing_parties: FormText = "",
    spam_trap: Annotated[str, Form(alias=SPAM_TRAP_FIELD, max_length=10_000)] = "",
    marketing_opt_in: FormText = "",
    resume: Annotated[UploadFile | None, File()] = None,
) -> Response:
    values = {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": phone,
        "message": message,
        "opposing_parties": opposing_parties,
        "marketing_opt_in": marketing_opt_in,
    }
    values.update(attribution.posted_values(await request.form()))
    errors: dict[str, str] = {}
    data: LeadCreate | None = None
    try:
        data = LeadCreate.model_validate(values)
    except ValidationError as exc:
        errors = field_errors(exc)
    if resume is None or not resume.filename:
        errors["resume"] = "Please attach your resume."
    elif errors:
        errors["resume"] = "Please choose your resume again."
    if data is None or resume is None or errors:
        return _lead_form(request, settings, values, errors, status_code=422)
    if spam_trap.strip():
        # A bot: answered as if accepted (so it won't adapt), nothing stored or sent.
        HONEYPOT_HITS.inc()
        log.info("spam-trap submission dropped")
        return RedirectResponse("/thanks", status_code=303)
    try:
        await intake.submit(data, resume, channel=IntakeChannel.FORM)
    except DomainError as exc:
        # The resume is refused (empty, too large, not a document) before anything is stored.
        return _lead_form(
            request, settings, values, {"resume": exc.detail}, status_code=exc.status_code
        )
    return RedirectResponse("/thanks", status_code=303)


@router.get("/thanks", response_class=HTMLResponse)
def thanks(request: Request) -> HTMLResponse:
    return render(request, "thanks.html")
