"""The application factory: one FastAPI app wiring the domains' routers and shared services."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.routing import Match
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from lead_manager import __version__
from lead_manager.audit.router import router as audit_router
from lead_manager.auth.router import router as auth_router
from lead_manager.channels import delivery_channels
from lead_manager.conflicts.router import router as conflicts_router
from lead_manager.container import AppServices
from lead_manager.core.cors import ApiCorsMiddleware
from lead_manager.core.db import Database
from lead_manager.core.errors import DomainError, InvalidInputError
from lead_manager.core.health import router as health_router
from lead_manager.core.logging import configure_logging
from lead_manager.core.metrics import backlog_registry
from lead_manager.core.middleware import RequestContextMiddleware
from lead_manager.core.migrations import ensure_schema_current
from lead_manager.core.openapi import add_redoc, install_openapi, operation_id
from lead_manager.core.rate_limit import RateLimitExceededError
from lead_manager.core.security import HashingBusyError
from lead_manager.core.services import CoreServices
from lead_manager.core.settings import Settings, get_settings
from lead_manager.exports.router import router as exports_router
from lead_manager.jobs import scheduled_jobs
from lead_manager.leads.router import router as leads_router
from lead_manager.notes.router import router as notes_router
from lead_manager.notifications.dispatcher import Dispatcher
from lead_manager.outbox import repository as outbox_repository
from lead_manager.privacy.router import router as privacy_router
from lead_manager.stats.router import router as stats_router
from lead_manager.storage.base import StorageUnavailableError
from lead_manager.timeline.router import router as timeline_router
from lead_manager.users.router import router as users_router
from lead_manager.web.pages import STATIC_DIRECTORY, too_large_page
from lead_manager.web.router import router as web_router
from lead_manager.webhooks.router import router as webhooks_router

log = structlog.get_logger(__name__)

OPENAPI_TAGS = [
    {"name": "auth", "description": "Bearer tokens: log in with the OAuth2 password form."},
    {
        "name": "leads",
        "description": "The public intake (no authentication) and the attorneys' inbox: list, "
        "read, change the status of a lead, download its resume.",
    },
    {"name": "stats", "description": "Lead statistics by day, status, source and attorney."},
    {
        "name": "webhooks",
        "description": "Endpoints that receive signed lead events (Standard Webhooks); admin.",
    },
    {"name": "users", "description": "Your own account; creating and changing accounts (admin)."},
    {"name": "audit", "description": "Who did what and when (admin)."},
    {
        "name": "privacy",
        "description": "Answering a person's access and erasure requests (admin).",
    },
    {
        "name": "conflicts",
        "description": "The conflict register: the firm's parties, checked against every new lead "
        "(read: attorneys; change and CSV import: admin).",
    },
    {"name": "operations", "description": "Liveness, readiness and Prometheus metrics."},
]

# Any form: at most one file and a handful of short fields (the message is ≤ 5000 characters).
MAX_FORM_FILES = 1
MAX_FORM_FIELDS = 20
MAX_FORM_FIELD_BYTES = 64 * 1024


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    core: CoreServices = app.state.core
    task: asyncio.Task[None] | None = None
    dispatcher: Dispatcher | None = None
    if core.settings.embedded_dispatcher:
        dispatcher = Dispatcher(
            core.settings,
            core.database.engine,
            name="embedded",
            channels=delivery_channels(core.settings, core.database),
            jobs=scheduled_jobs(core.settings, core.database),
        )
        task = asyncio.create_task(dispatcher.run_async(), name="outbox-dispatcher")
    try:
        yield
    finally:
        if dispatcher is not None and task is not None:
            dispatcher.stop()
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        services: AppServices = app.state.services
        services.password_hashing.shutdown()
        core.database.dispose()


def create_app(settings: Settings | None = None, *, check_schema: bool = True) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)
    database = Database.create(settings)
    if check_schema:
        ensure_schema_current(database.engine, settings.database_url)

    # /docs and /redoc with their scripts served from the package, not a CDN: the offices and
    # machines this runs on may have no internet access, and a CDN is one more party to trust.
    app = FastAPIOffline(
        title="lead-manager",
        version=__version__,
        description="Lead intake and management for law firms.",
        openapi_tags=OPENAPI_TAGS,
        generate_unique_id_function=operation_id,
        # No badge from the public validator: it would send the document's URL elsewhere.
        swagger_ui_parameters={"validatorUrl": None},
        redoc_url=None,  # add_redoc: the same page, with its CDN logo kept out
        lifespan=lifespan,
        form_limits={
            "max_files": MAX_FORM_FILES,
            "max_fields": MAX_FORM_FIELDS,
            "max_part_size": MAX_FORM_FIELD_BYTES,
        },
    )
    # Read through typed accessors only (core.dependencies, container): never by name elsewhere.
    app.state.core = CoreServices(
        settings=settings,
        database=database,
        count_backlog=outbox_repository.counts_by_status,
        metrics_registry=backlog_registry(database.engine, outbox_repository.counts_by_status),
    )
    app.state.services = AppServices.create(settings, database)

    # Innermost, so the 413s it answers itself still pass the request-context middleware (FastAPI's
    # own `max_body_size` sits outside every user middleware: no request id, no nosniff).
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=settings.max_request_bytes)
    if settings.cors_origins or settings.form_embed_origins:
        # Off unless configured: the intake for the firm's sites, the API for a front-end.
        app.add_middleware(
            ApiCorsMiddleware,
            embed_origins=settings.form_embed_origins,
            api_origins=settings.cors_origins,
        )
    # Its headers and log line cover every response, CORS ones and the body limit's 413 too.
    app.add_middleware(
        RequestContextMiddleware,
        hsts_max_age_seconds=settings.hsts_max_age_seconds,
        too_large_page=too_large_page(settings.firm_name, settings.max_resume_bytes),
        # The form's own 413 may show inside the firm's site like the form itself.
        frame_ancestors={"/": " ".join(settings.form_embed_origins)}
        if settings.form_embed_origins
        else None,
    )
    if settings.trusted_proxies:
        # Outermost: the client address and scheme a trusted proxy forwarded (X-Forwarded-For read
        # right to left, skipping trusted hops) are in the scope before anything reads them.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    _add_exception_handlers(app)
    routers = (
        health_router,
        auth_router,
        # Before the leads router, whose /api/v1/leads/{lead_id} would take "export.csv".
        exports_router,
        leads_router,
        notes_router,
        timeline_router,
        stats_router,
        webhooks_router,
        users_router,
        audit_router,
        privacy_router,
        conflicts_router,
        web_router,
    )
    for router in routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIRECTORY), name="static")
    add_redoc(app)
    install_openapi(app)
    return app


def _add_exception_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        detail: object = exc.detail
        if isinstance(exc, InvalidInputError):
            detail = [{"type": "value_error", "loc": [exc.location, exc.field], "msg": exc.detail}]
        # A 503 (an erasure storage stopped part-way) is worth repeating: say when.
        headers = {"Retry-After": "30"} if exc.status_code == 503 else None
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            # Starlette names only the methods of the one route it matched; RFC 9110 wants every
            # method the path supports (GET and POST /api/v1/leads are two routes).
            allow = ", ".join(_allowed_methods(app, request))
            exc.headers = {**(exc.headers or {}), "Allow": allow}
        return await http_exception_handler(request, exc)

    @app.exception_handler(RateLimitExceededError)
    async def _rate_limited(_request: Request, exc: RateLimitExceededError) -> JSONResponse:
        return JSONResponse(
            {"detail": "Too many requests; try again later."},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )

    @app.exception_handler(HashingBusyError)
    async def _hashing_busy(_request: Request, exc: HashingBusyError) -> JSONResponse:
        return JSONResponse(
            {"detail": "Too many logins at once; try again shortly."},
            status_code=503,
            headers={"Retry-After": str(exc.retry_after)},
        )

    @app.exception_handler(StorageUnavailableError)
    async def _storage_unavailable(_request: Request, exc: StorageUnavailableError) -> JSONResponse:
        log.error("resume storage unavailable", error=str(exc))
        return JSONResponse(
            {"detail": "Resume storage is temporarily unavailable; try again later."},
            status_code=503,
            headers={"Retry-After": "30"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", error=type(exc).__name__)
        return JSONResponse({"detail": "Internal server error."}, status_code=500)


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in app.router.routes):
            allowed.append(method)
    return allowed


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def create_default_app() -> FastAPI:
    """For `uvicorn --factory lead_manager.main:create_default_app`."""
    return create_app()
