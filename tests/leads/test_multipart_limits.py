"""Multipart bodies are bounded (form_limits, max_body_size in main.py): abuse is a 4xx, never a 500."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import func, select

from lead_manager.leads.models import Lead
from lead_manager.main import MAX_FORM_FIELD_BYTES, MAX_FORM_FIELDS
from tests import documents
from tests.conftest import LiveServer
from tests.intake import lead_fields


def nothing_stored(api: LiveServer) -> bool:
    with api.session() as session:
        leads = session.scalar(select(func.count()).select_from(Lead))
    return leads == 0 and not any(Path(api.settings.storage_url.removeprefix("file://")).iterdir())


def post(
    client: httpx.Client, data: dict[str, str], files: list[tuple[str, tuple[str, bytes, str]]]
) -> httpx.Response:
    return client.post("/api/v1/leads", data=data, files=files)


def resume() -> tuple[str, tuple[str, bytes, str]]:
    return ("resume", ("resume.pdf", documents.pdf(), "application/pdf"))


def test_too_many_fields(api: LiveServer, public: httpx.Client) -> None:
    fields = {**lead_fields(), **{f"extra{i}": "x" for i in range(MAX_FORM_FIELDS + 5)}}
    response = post(public, fields, [resume()])
    assert 400 <= response.status_code < 500, response.text
    assert nothing_stored(api)


def test_too_many_files(api: LiveServer, public: httpx.Client) -> None:
    response = post(
        public, lead_fields(), [resume(), ("other", ("b.pdf", documents.pdf(), "application/pdf"))]
    )
    assert 400 <= response.status_code < 500, response.text
    assert nothing_stored(api)


def test_oversized_field(api: LiveServer, public: httpx.Client) -> None:
    big = "x" * (MAX_FORM_FIELD_BYTES + 1024)
    response = post(public, lead_fields(message=big), [resume()])
    assert 400 <= response.status_code < 500, response.text
    response = post(public, {**lead_fields(), "unknown_field": big}, [resume()])
    assert 400 <= response.status_code < 500, response.text
    assert nothing_stored(api)


def test_body_larger_than_the_cap_is_413(api: LiveServer, public: httpx.Client) -> None:
    too_big = b"%PDF-1.4\n" + b"0" * (api.settings.max_request_bytes + 1)
    response = post(public, lead_fields(), [("resume", ("r.pdf", too_big, "application/pdf"))])
    assert response.status_code == 413
    assert nothing_stored(api)


def test_malformed_multipart_is_400(api: LiveServer, public: httpx.Client) -> None:
    response = public.post(
        "/api/v1/leads",
        content=b'--x\r\nContent-Disposition: form-data; name="first_name"\r\n\r\nJane',
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code in (400, 422), response.text
    assert nothing_stored(api)
