"""The server-rendered pages. HTTP only: every rule lives in the services the API uses too."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from lead_manager.auth import service as auth_service
from lead_manager.core.dependencies import RequestMetaDep, SessionDep, SettingsDep
from lead_manager.core.errors import ConflictError, DomainError
from lead_manager.core.rate_limit import RateLimitExceededError
from lead_manager.core.validation import check_single_line
from lead_manager.leads import service as leads_service
from lead_manager.leads.dependencies import LeadIntakeDep, StorageDep, SubmissionLimit
from lead_manager.leads.models import LeadStatus
from lead_manager.leads.resume import ACCEPTED_LABEL, ACCEPTED_TYPES
from lead_manager.leads.router import resume_response
from lead_manager.leads.schemas import HONEYPOT_FIELD, LeadCreate, LeadFilters, decode_cursor
from lead_manager.users import service as users_service
from lead_manager.users.models import Role, User
from lead_manager.users.schemas import UserCreate, UserSelfUpdate, UserUpdate
from lead_manager.web.dependencies import (
    SESSION_COOKIE,
    CsrfChecked,
    MaybeUser,
    PageAdmin,
    PageError,
    PageUser,
    cookie_options,
    renew_csrf_seed,
    safe_next,
)
from lead_manager.web.pages import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 25
LEAD_FIELDS = ("first_name", "last_name", "email", "phone", "message")
USER_FIELDS = ("email", "full_name", "role")
# The file picker's filter; the server still decides from the content (resume.py).
ACCEPT_ATTRIBUTE = ",".join([*ACCEPTED_TYPES.values(), *ACCEPTED_TYPES])
# Fixed notices chosen by a query flag: no text from the URL is ever shown.
NOTICES = {
    "reached_out": "Marked as reached out.",
    "saved": "Your changes have been saved.",
    "created": "The account has been created.",
    "updated": "The account has been updated.",
    "signed_out": "You have been signed out.",
}
INVALID_CREDENTIALS = "The email or password is not correct."

FormText = Annotated[str, Form(max_length=10_000)]


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's messages (as the API returns them) keyed by field, worded for people."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        if error["type"] == "missing" or error.get("input") == "":
            message = "This field is required."
        elif error["type"] == "string_pattern_mismatch" and field == "phone":
            message = "Use digits, spaces and + ( ) - . / only."
        else:
            message = error["msg"].removeprefix("Value error, ")
            message = message[:1].upper() + message[1:]
        errors.setdefault(field, message)
    return errors


def _notice(flag: str | None) -> str | None:
    return NOTICES.get(flag or "")


def _names(users: Sequence[User]) -> dict[uuid.UUID, str]:
    return {user.id: user.full_name or user.email for user in users}


# --- Public -----------------------------------------------------------------------------------


def _lead_form(
    request: Request,
    settings: Any,
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
    )


@router.get("/", response_class=HTMLResponse)
def lead_form(request: Request, settings: SettingsDep) -> HTMLResponse:
    return _lead_form(request, settings)


@router.post("/", response_class=HTMLResponse)
async def submit_lead_form(
    request: Request,
    _csrf: CsrfChecked,
    _limit: SubmissionLimit,
    intake: LeadIntakeDep,
    settings: SettingsDep,
    first_name: FormText = "",
    last_name: FormText = "",
    email: FormText = "",
    phone: FormText = "",
    message: FormText = "",
    website: FormText = "",
    resume: Annotated[UploadFile | None, File()] = None,
) -> Response:
    values = {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": phone,
        "message": message,
        HONEYPOT_FIELD: website,
    }
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
    try:
        await intake.submit(data, resume)
    except DomainError as exc:
        # The resume is refused (empty, too large, not a document) before anything is stored.
        return _lead_form(
            request, settings, values, {"resume": exc.detail}, status_code=exc.status_code
        )
    return RedirectResponse("/thanks", status_code=303)


@router.get("/thanks", response_class=HTMLResponse)
def thanks(request: Request) -> HTMLResponse:
    return render(request, "thanks.html")


# --- Session ----------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    user: MaybeUser,
    next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
    notice: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next_path), status_code=303)
    return render(
        request, "login.html", next_path=safe_next(next_path), email="", notice=_notice(notice)
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    _csrf: CsrfChecked,
    session: SessionDep,
    settings: SettingsDep,
    meta: RequestMetaDep,
    email: FormText = "",
    password: FormText = "",
    next_path: Annotated[str, Form(alias="next", max_length=2000)] = "",
) -> Response:
    target = safe_next(next_path)
    try:
        user = auth_service.authenticate(
            session,
            email,
            password,
            read_factory=request.app.state.session_factory,
            throttle=request.app.state.login_throttle,
            meta=meta,
        )
    except auth_service.InvalidCredentialsError:
        # Returned, not raised: the failed attempt's audit row must still commit.
        return render(
            request,
            "login.html",
            status_code=401,
            next_path=target,
            email=email,
            error=INVALID_CREDENTIALS,
        )
    except RateLimitExceededError as exc:
        return render(
            request,
            "login.html",
            status_code=429,
            next_path=target,
            email=email,
            error=f"Too many failed attempts. Please wait {exc.retry_after} seconds and try again.",
            headers={"Retry-After": str(exc.retry_after)},
        )
    token = auth_service.issue_token(
        user, request.app.state.signing_key, settings.access_token_expire_minutes
    )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token.token, max_age=token.expires_in, **cookie_options(settings)
    )
    renew_csrf_seed(request)
    return response


@router.get("/logout", response_class=HTMLResponse)
def logout_form(request: Request, user: MaybeUser) -> Response:
    """Signing out changes state, so it is a POST; this page offers the button."""
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "logout.html", user=user)


@router.post("/logout")
def logout(request: Request, _csrf: CsrfChecked, settings: SettingsDep) -> Response:
    response = RedirectResponse("/login?notice=signed_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, **cookie_options(settings))
    renew_csrf_seed(request)
    return response


# --- Leads ------------------------------------------------------------------------------------


@router.get("/leads", response_class=HTMLResponse)
def leads_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    status: Annotated[str, Query(max_length=20)] = "",
    mine: Annotated[str, Query(max_length=5)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    cursor: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    chosen_status = LeadStatus(status) if status in LeadStatus.__members__ else None
    assigned_to = user.id if mine == "1" else None
    search = q.strip()
    error = None
    try:
        check_single_line(search)
    except ValueError:
        error, search = "The search must not contain control characters.", ""
    after = None
    if cursor:
        try:
            after = decode_cursor(cursor)
        except ValueError:
            raise PageError(
                400, "That page link is not valid", "Please start again from the first page."
            ) from None
    filters = LeadFilters(
        status=chosen_status, q=search or None, assigned_to=assigned_to, limit=PAGE_SIZE
    )
    page = leads_service.list_leads(session, filters, after)
    pending = leads_service.count_leads(session, LeadFilters(status=LeadStatus.PENDING))
    my_pending = leads_service.count_leads(
        session, LeadFilters(status=LeadStatus.PENDING, assigned_to=user.id)
    )
    query = {
        "status": chosen_status.value if chosen_status else "",
        "mine": mine == "1",
        "q": search,
    }
    return render(
        request,
        "leads.html",
        user=user,
        page=page,
        query=query,
        error=error,
        pending=pending,
        my_pending=my_pending,
        first_page=after is None,
        names=_names(users_service.list_users(session)),
    )


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
def lead_page(
    request: Request,
    lead_id: uuid.UUID,
    user: PageUser,
    session: SessionDep,
    notice: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    lead = leads_service.get_lead(session, lead_id)
    return render(
        request,
        "lead.html",
        user=user,
        lead=lead,
        notice=_notice(notice),
        history=leads_service.lead_history(session, lead),
        names=_names(users_service.list_users(session)),
    )


@router.get("/leads/{lead_id}/resume")
def lead_resume(
    lead_id: uuid.UUID,
    user: PageUser,
    session: SessionDep,
    storage: StorageDep,
    meta: RequestMetaDep,
) -> Response:
    lead = leads_service.get_lead(session, lead_id)
    return resume_response(
        leads_service.download_resume(session, storage, lead, actor=user.id, meta=meta)
    )


@router.post("/leads/{lead_id}/reached-out")
def mark_reached_out(
    lead_id: uuid.UUID,
    user: PageUser,
    _csrf: CsrfChecked,
    session: SessionDep,
    meta: RequestMetaDep,
) -> Response:
    lead = leads_service.get_lead(session, lead_id)
    leads_service.change_status(session, lead, LeadStatus.REACHED_OUT, actor=user.id, meta=meta)
    return RedirectResponse(f"/leads/{lead.id}?notice=reached_out", status_code=303)


# --- Account ----------------------------------------------------------------------------------


@router.get("/account", response_class=HTMLResponse)
def account_page(
    request: Request,
    user: PageUser,
    notice: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    return render(request, "account.html", user=user, notice=_notice(notice))


@router.post("/account")
def update_account(
    user: PageUser,
    _csrf: CsrfChecked,
    session: SessionDep,
    meta: RequestMetaDep,
    is_available: Annotated[bool, Form()],
) -> Response:
    changes = UserSelfUpdate(is_available=is_available)
    users_service.update_user(session, user, changes, actor=user.id, meta=meta)
    return RedirectResponse("/account?notice=saved", status_code=303)


# --- Administration ---------------------------------------------------------------------------


def _users_page(
    request: Request,
    admin: User,
    session: SessionDep,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "admin_users.html",
        user=admin,
        status_code=status_code,
        users=users_service.list_users(session),
        values=values or {"role": "attorney"},
        errors=errors or {},
        notice=notice,
        error=error,
        roles=[role.value for role in Role],
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(
    request: Request,
    admin: PageAdmin,
    session: SessionDep,
    notice: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    return _users_page(request, admin, session, notice=_notice(notice))


@router.post("/admin/users", response_class=HTMLResponse)
def create_user(
    request: Request,
    admin: PageAdmin,
    _csrf: CsrfChecked,
    session: SessionDep,
    meta: RequestMetaDep,
    email: FormText = "",
    full_name: FormText = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    role: Annotated[str, Form(max_length=20)] = "attorney",
) -> Response:
    values = {"email": email, "full_name": full_name, "role": role}
    try:
        data = UserCreate.model_validate({**values, "password": password})
        users_service.create_user(session, data, actor=admin.id, meta=meta)
    except ValidationError as exc:
        return _users_page(
            request, admin, session, values=values, errors=field_errors(exc), status_code=422
        )
    except ConflictError as exc:
        return _users_page(
            request, admin, session, values=values, errors={"email": exc.detail}, status_code=409
        )
    return RedirectResponse("/admin/users?notice=created", status_code=303)


# Each button on a user's row sends one of these changes.
USER_CHANGES: dict[str, dict[str, Any]] = {
    "deactivate": {"is_active": False},
    "activate": {"is_active": True},
    "available": {"is_available": True},
    "unavailable": {"is_available": False},
    "make-admin": {"role": Role.ADMIN},
    "make-attorney": {"role": Role.ATTORNEY},
}


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
def update_user(
    request: Request,
    user_id: uuid.UUID,
    admin: PageAdmin,
    _csrf: CsrfChecked,
    session: SessionDep,
    meta: RequestMetaDep,
    change: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    if change not in USER_CHANGES:
        raise PageError(400, "Unknown change", "Please go back and choose one of the buttons.")
    target = users_service.get_user(session, user_id)
    try:
        users_service.update_user(
            session, target, UserUpdate(**USER_CHANGES[change]), actor=admin.id, meta=meta
        )
    except ConflictError as exc:
        return _users_page(request, admin, session, error=exc.detail, status_code=409)
    return RedirectResponse("/admin/users?notice=updated", status_code=303)
