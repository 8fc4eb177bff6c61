"""Documented error responses, so the OpenAPI schema lists every status an operation returns."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_DESCRIPTIONS = {
    400: "Malformed request body (not parseable as JSON or multipart)",
    401: "Missing, invalid or expired credentials",
    403: "Not allowed for this role",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Validation error",
    429: "Too many requests; see Retry-After",
}


class ErrorRead(BaseModel):
    # A sentence for domain errors; FastAPI's list of field errors for request validation.
    detail: str | list[dict[str, Any]]


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorRead, "description": _DESCRIPTIONS[code]} for code in codes}
