"""Pure ASGI middleware: request id, access log line, and headers every response carries."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lead_manager.core.metrics import REQUEST_LATENCY, UNMATCHED_ROUTE

REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

# JSON and files never need to load anything or be framed. HTML pages set their own policy (web/).
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"

log = structlog.get_logger("lead_manager.http")

# Starlette's body limit answers a declared oversized body itself, with a bare plain-text 413;
# this (and the page given to the middleware) take its place, in the shape of every other error.
_TOO_LARGE_JSON = b'{"detail":"The request is larger than the server accepts."}'
_PAGE_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors {frame_ancestors}"
)


def client_ip(scope: Scope) -> str:
    """The peer address; behind TRUSTED_PROXIES, uvicorn's ProxyHeadersMiddleware (outermost,
    see main.py) has already put the forwarded client there."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _route_template(scope: Scope) -> str:
    # The router leaves the matched route in the scope; its template keeps label cardinality fixed.
    route = scope.get("route")
    # path_format: without convertors (`/api/v1/leads/{lead_id}`, not `{lead_id:lead_id}`).
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


def allows_framing(policy: str | None) -> bool:
    """Whether a Content-Security-Policy lets other origins frame the response (its own
    `frame-ancestors` list): then it, not X-Frame-Options, decides, and DENY is left out."""
    for directive in (policy or "").split(";"):
        name, _, sources = directive.strip().partition(" ")
        if name.lower() == "frame-ancestors":
            return sources.strip() != "'none'"
    return False


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        too_large_page: bytes,
        hsts_max_age_seconds: int = 0,
        frame_ancestors: Mapping[str, str] | None = None,
    ) -> None:
        """`frame_ancestors`: who may frame the 413 page, by path, where others than nobody
        may (the embeddable form)."""
        self.app = app
        self.too_large_page = too_large_page
        self.frame_ancestors = dict(frame_ancestors or {})
        self.hsts = (
            f"max-age={hsts_max_age_seconds}; includeSubDomains" if hsts_max_age_seconds else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _WELL_FORMED_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        ip = client_ip(scope)
        hsts = self.hsts if scope.get("scheme") == "https" else None
        api_request = scope["path"].startswith("/api/")
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["client_ip"] = ip
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        replacement_body: bytes | None = None
        replaced = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, replacement_body, replaced
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                if status == 413 and headers.get("content-type", "").startswith("text/plain"):
                    replacement_body = _TOO_LARGE_JSON if api_request else self.too_large_page
                    headers["Content-Type"] = (
                        "application/json" if api_request else "text/html; charset=utf-8"
                    )
                    headers["Content-Length"] = str(len(replacement_body))
                    if not api_request:
                        headers["Content-Security-Policy"] = _PAGE_CONTENT_SECURITY_POLICY.format(
                            frame_ancestors=self.frame_ancestors.get(scope["path"], "'none'")
                        )
                headers[REQUEST_ID_HEADER] = request_id
                for name, value in _BASE_HEADERS.items():
                    headers.setdefault(name, value)
                if not headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", API_CONTENT_SECURITY_POLICY)
                if not allows_framing(headers.get("content-security-policy")):
                    headers.setdefault("X-Frame-Options", "DENY")
                if hsts:
                    headers.setdefault("Strict-Transport-Security", hsts)
                if api_request:
                    # Every API answer is about leads, users, tokens or the audit trail (or an
                    # error about them): no shared or browser cache may keep any of it.
                    headers.setdefault("Cache-Control", "no-store")
            elif message["type"] == "http.response.body" and replacement_body is not None:
                if replaced:
                    return  # the rest of the original body
                replaced = True
                message = {"type": "http.response.body", "body": replacement_body}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            REQUEST_LATENCY.labels(scope["method"], route, str(status)).observe(elapsed)
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round(elapsed * 1000, 2),
                client_ip=ip,
            )
            structlog.contextvars.unbind_contextvars("request_id")
