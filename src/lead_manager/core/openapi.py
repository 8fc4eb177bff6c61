"""The OpenAPI document as client generators and validators need it.

Operation ids are the handlers' names (short snake_case verbs: `get_lead`, `login`), errors and
response headers are documented, and form bodies are flat, named objects whose file fields are
`{type: string, format: binary}`: FastAPI on OpenAPI 3.1 describes files with `contentMediaType`
and a form made of a model plus a file as `allOf`, which generators such as
openapi-python-client collapse to the model without the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict

_SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_FORM_MEDIA_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_SCHEMAS_REF = "#/components/schemas/"

_DESCRIPTIONS = {
    400: "Malformed request body (not parseable as JSON or multipart)",
    401: "Missing, invalid or expired credentials",
    403: "Not allowed for this role",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Validation error: each entry names the field (`loc`)",
    429: "Too many requests; see Retry-After",
    503: "Temporarily unavailable; see Retry-After",
}

RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer"},
    }
}
LOCATION_HEADER = {
    "Location": {
        "description": "Path of the created resource",
        "schema": {"type": "string"},
    }
}
REQUEST_ID_HEADER = {
    "X-Request-ID": {
        "description": "The request's id: the incoming X-Request-ID if well-formed, else generated",
        "schema": {"type": "string"},
    }
}


class ErrorRead(BaseModel):
    """A domain error: one sentence."""

    detail: str


class FieldError(BaseModel):
    """One invalid input. FastAPI's own entries also carry `input` and sometimes `ctx`."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorRead(BaseModel):
    """422: every invalid field, each named by `loc` (e.g. `["body", "email"]`)."""

    detail: list[FieldError]


def operation_id(route: APIRoute) -> str:
    """The handler's name is the operation id: `generate_unique_id_function` of the app."""
    if not _SNAKE_CASE.fullmatch(route.name):
        raise ValueError(f"route name {route.name!r} is not a snake_case verb")
    return route.name


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    responses: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        model = ValidationErrorRead if code == 422 else ErrorRead
        response: dict[str, Any] = {"model": model, "description": _DESCRIPTIONS[code]}
        if code in (429, 503):
            response["headers"] = RETRY_AFTER_HEADER
        responses[code] = response
    return responses


def install_openapi(app: FastAPI) -> None:
    """Replace `app.openapi` with one that builds FastAPI's document once and shapes it."""

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = shape(generate())
        return app.openapi_schema

    setattr(app, "openapi", openapi)  # noqa: B010 - FastAPI's documented override


# ReDoc's script shows Redocly's logo from their CDN. Images from elsewhere are refused on the
# page, so the browser never asks (the script then leaves the logo out).
REDOC_CONTENT_SECURITY_POLICY = "img-src 'self' data:; frame-ancestors 'none'"


def add_redoc(app: FastAPI, static_url: str = "/static-offline-docs") -> None:
    """/redoc as fastapi-offline serves it (its script from the package), without the CDN logo."""

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{static_url}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{static_url}/favicon.png",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = REDOC_CONTENT_SECURITY_POLICY
        return page


def shape(document: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    for operation in _operations(document):
        _flatten_form_body(operation, schemas)
        for response in operation.get("responses", {}).values():
            response["headers"] = {**response.get("headers", {}), **REQUEST_ID_HEADER}
    _drop_unreferenced(document, schemas)
    return document


def _operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path_item in document.get("paths", {}).values():
        yield from path_item.values()


def _flatten_form_body(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """`Body_submit_lead` (allOf LeadCreate + resume) becomes a flat `SubmitLeadForm`."""
    content = operation.get("requestBody", {}).get("content", {})
    for media_type in _FORM_MEDIA_TYPES:
        schema = content.get(media_type, {}).get("schema", {})
        old_name = schema.get("$ref", "").removeprefix(_SCHEMAS_REF)
        if not old_name.startswith("Body_"):
            continue
        name = "".join(part.capitalize() for part in operation["operationId"].split("_")) + "Form"
        schemas[name] = _flat(schemas.pop(old_name), schemas, title=name)
        schema["$ref"] = _SCHEMAS_REF + name


def _flat(body: dict[str, Any], schemas: dict[str, Any], *, title: str) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    examples: list[Any] = []
    parts = [schemas[p["$ref"].removeprefix(_SCHEMAS_REF)] for p in body.get("allOf", [])]
    for part in [*parts, body]:
        properties.update(part.get("properties", {}))
        required += [field for field in part.get("required", []) if field not in required]
        examples += part.get("examples", [])
    flat: dict[str, Any] = {"type": "object", "title": title, "properties": properties}
    for key, value in (("required", required), ("examples", examples)):
        if value:
            flat[key] = value
    for field in properties.values():
        _binary_files(field)
    return flat


def _binary_files(schema: dict[str, Any]) -> None:
    """A file part as generators expect it: `format: binary` (also inside anyOf and arrays)."""
    if schema.get("type") == "string" and "contentMediaType" in schema:
        del schema["contentMediaType"]
        schema["format"] = "binary"
    nested = [*schema.get("anyOf", []), *([schema["items"]] if "items" in schema else [])]
    for part in nested:
        _binary_files(part)


def _drop_unreferenced(document: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Models only a flattened body used (LeadCreate) would become stray client classes."""
    reachable: set[str] = set()
    pending = _refs({key: value for key, value in document.items() if key != "components"})
    while pending:
        name = pending.pop()
        if name not in reachable and name in schemas:
            reachable.add(name)
            pending |= _refs(schemas[name])
    for name in set(schemas) - reachable:
        del schemas[name]


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMAS_REF):
            found.add(ref.removeprefix(_SCHEMAS_REF))
        node = list(node.values())
    if isinstance(node, list):
        for item in node:
            found |= _refs(item)
    return found
