"""Cross-origin API calls from browsers: two allow-lists, each for its own part of the API.

- FORM_EMBED_ORIGINS: the firm's own web sites may submit leads (`POST /api/v1/leads` and its
  preflight) and read the answer; nothing else.
- CORS_ORIGINS: a separate front-end may call the API (and /healthz…) with a bearer token.

Neither allows credentials: the API authenticates with bearer tokens only (a cookie never
authenticates an API call), and no response is readable with the visitor's cookies, so no
browser ambient authority is ever shared.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

INTAKE_PATH = "/api/v1/leads"
_EXPOSED = ["Location", "Retry-After", "X-Request-ID"]
_PREFLIGHT_SECONDS = 600


class ApiCorsMiddleware:
    def __init__(
        self, app: ASGIApp, *, embed_origins: Sequence[str], api_origins: Sequence[str]
    ) -> None:
        self.app = app
        self.intake: ASGIApp | None = None
        if embed_origins or api_origins:
            self.intake = CORSMiddleware(
                app,
                allow_origins=[*embed_origins, *api_origins],
                allow_methods=["POST"],
                allow_headers=["Content-Type", "Idempotency-Key", "X-Request-ID"],
                expose_headers=_EXPOSED,
                max_age=_PREFLIGHT_SECONDS,
            )
        self.api: ASGIApp | None = None
        if api_origins:
            self.api = CORSMiddleware(
                app,
                allow_origins=list(api_origins),
                allow_methods=["GET", "POST", "PATCH", "DELETE"],
                allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
                expose_headers=_EXPOSED,
                max_age=_PREFLIGHT_SECONDS,
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = self.app
        if scope["type"] == "http":
            if self.intake is not None and _is_intake(scope):
                target = self.intake
            elif self.api is not None:
                target = self.api
        await target(scope, receive, send)


def _is_intake(scope: Scope) -> bool:
    """A submission, or the preflight of one (GET on the same path is the attorneys' list)."""
    if scope["path"] != INTAKE_PATH:
        return False
    if scope["method"] == "POST":
        return True
    if scope["method"] != "OPTIONS":
        return False
    for name, value in scope["headers"]:
        if name == b"access-control-request-method":
            return bytes(value).strip().upper() == b"POST"
    return False
