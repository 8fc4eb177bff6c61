"""Responses built from response models without FastAPI's second validation pass."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Response
from pydantic import BaseModel


def model_response(model: BaseModel, *, headers: Mapping[str, str] | None = None) -> Response:
    """`model` as JSON, serialised once by pydantic-core.

    A returned model is validated again against the route's `response_model` before it is
    serialised, and for a sync endpoint that validation is one more worker-thread hop. Hot
    endpoints that already build the exact response model return this instead; the route keeps
    `response_model` for the OpenAPI schema.
    """
    return Response(model.model_dump_json(), media_type="application/json", headers=headers)
