"""POST /api/v1/leads: what is accepted, what is refused, and that refusals leave no trace."""

from __future__ import annotations

import dataclasses
import json
import socket
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lead_manager.leads.models import Lead, LeadStatusChange
from lead_manager.outbox.models import MessageKind, OutboxMessage
from tests import documents
from tests.conftest import Account, LiveServer
from tests.intake import lead_fields, submit


def stored_files(api: LiveServer) -> list[Path]:
    root = Path(api.settings.storage_url.removeprefix("file://"))
    return sorted(p for p in root.iterdir() if p.is_file())


def assert_nothing_stored(api: LiveServer) -> None:
    with api.session() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert session.scalar(select(func.count()).select_from(LeadStatusChange)) == 0
    assert stored_files(api) == []


def test_submission_creates_pending_lead_with_history_and_outbox(
    api, attorney: Account, public
) -> None:
    response = submit(public)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "first_name", "last_name", "email", "status", "created_at"}
    assert body["status"] == "PENDING"
    assert response.headers["location"] == f"/api/v1/leads/{body['id']}"
    assert response.headers["cache-control"] == "no-store"
    assert body["created_at"].endswith(("Z", "+00:00"))
    with api.session() as session:
        lead = session.get(Lead, uuid.UUID(body["id"]))
        assert lead is not None and lead.assigned_to == attorney.id
        kinds = sorted(m.kind for m in session.scalars(select(OutboxMessage)))
        assert kinds == sorted(
            [MessageKind.LEAD_ACKNOWLEDGEMENT, MessageKind.ATTORNEY_NOTIFICATION]
        )
        for message in session.scalars(select(OutboxMessage)):
            assert message.payload["lead_id"] == body["id"]
            assert message.request_id == response.headers["x-request-id"]
    assert len(stored_files(api)) == 1


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("pdf", "application/pdf"),
        ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("doc", "application/msword"),
        ("odt", "application/vnd.oasis.opendocument.text"),
        ("rtf", "application/rtf"),
        ("text", "text/plain"),
    ],
)
def test_each_accepted_format_is_detected_from_content(
    api, attorney, public, name, content_type
) -> None:
    data = getattr(documents, name)()
    # The declared name and type are lies on purpose: only the bytes count.
    response = submit(public, resume=data, filename="cv.bin", content_type="image/gif")
    assert response.status_code == 201, response.text
    detail = attorney.client.get(f"/api/v1/leads/{response.json()['id']}").json()
    assert detail["resume"]["content_type"] == content_type
    assert detail["resume"]["size"] == len(data)


@pytest.mark.parametrize(
    "payload",
    [
        documents.html_disguised_as_pdf(),
        documents.svg(),
        documents.png(),
        b"<?xml version='1.0'?><a/>",
        b"caf\xe9 not utf-8",
    ],
)
def test_disguised_or_unsupported_content_is_415_and_leaves_nothing(api, public, payload) -> None:
    response = submit(public, resume=payload, filename="resume.pdf", content_type="application/pdf")
    assert response.status_code == 415, response.text
    assert "PDF" in response.json()["detail"]
    assert_nothing_stored(api)


def test_empty_resume_is_422_naming_the_field(api, public) -> None:
    response = submit(public, resume=b"")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "resume"
    assert_nothing_stored(api)


def test_missing_resume_is_422(api, public) -> None:
    response = public.post("/api/v1/leads", data=lead_fields())
    assert response.status_code == 422
    assert any(err["loc"][-1] == "resume" for err in response.json()["detail"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("email", "a@b.com\r\nBcc: victim@example.com"),
        ("first_name", ""),
        ("first_name", "x" * 101),
        ("last_name", "Doe\nInjected"),
        ("first_name", "Nul\x00byte"),
        ("phone", "555\r\n0100"),
        ("phone", "call me maybe"),
        ("message", "m" * 5001),
        ("message", "bell\x07"),
    ],
)
def test_invalid_fields_are_422_naming_the_field_and_leave_nothing(
    api, public, field, value
) -> None:
    response = submit(public, **{field: value})
    assert response.status_code == 422, response.text
    assert any(err["loc"][-1] == field for err in response.json()["detail"])
    assert_nothing_stored(api)


def test_missing_required_fields_are_named(api, public) -> None:
    response = public.post(
        "/api/v1/leads", files={"resume": ("r.pdf", documents.pdf(), "application/pdf")}
    )
    assert response.status_code == 422
    named = {err["loc"][-1] for err in response.json()["detail"]}
    assert {"first_name", "last_name", "email"} <= named


def test_script_and_sql_in_text_are_stored_verbatim_as_data(api, attorney, public) -> None:
    response = submit(
        public,
        first_name="<script>alert(1)</script>",
        last_name="O'Brien'); DROP TABLE leads;--",
        message="<img src=x onerror=alert(1)>",
    )
    assert response.status_code == 201
    detail = attorney.client.get(f"/api/v1/leads/{response.json()['id']}").json()
    assert detail["first_name"] == "<script>alert(1)</script>"
    assert detail["last_name"] == "O'Brien'); DROP TABLE leads;--"
    assert attorney.client.get("/api/v1/leads").status_code == 200


def test_path_traversal_filename_is_reduced_to_a_base_name(api, attorney, public) -> None:
    response = submit(public, filename="../../../etc/passwd.pdf")
    assert response.status_code == 201
    lead_id = response.json()["id"]
    detail = attorney.client.get(f"/api/v1/leads/{lead_id}").json()
    assert detail["resume"]["filename"] == "passwd.pdf"
    # The stored object's name is ours, never the client's.
    (stored,) = stored_files(api)
    assert "passwd" not in stored.name and len(stored.name) == 32
    download = attorney.client.get(f"/api/v1/leads/{lead_id}/resume")
    assert download.headers["content-disposition"] == 'attachment; filename="passwd.pdf"'


def test_oversized_declared_upload_is_refused_before_reading(api) -> None:
    """Only the headers are sent: the 413 must come without waiting for the body."""
    declared = api.settings.max_request_bytes + 1
    host, port = api.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            (
                "POST /api/v1/leads HTTP/1.1\r\nHost: test\r\n"
                "Content-Type: multipart/form-data; boundary=abc\r\n"
                f"Content-Length: {declared}\r\n\r\n"
            ).encode()
        )
        head, _, body = sock.recv(65536).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
    assert " 413 " in status_line
    # Like every other response and error of the API (the contract): request id, nosniff, JSON.
    assert len(headers["x-request-id"]) >= 16
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-type"] == "application/json"
    assert json.loads(body[: int(headers["content-length"])])["detail"]
    assert_nothing_stored(api)


def test_thirty_megabyte_upload_is_413_and_leaves_nothing(api, public) -> None:
    big = documents.pdf(extra_bytes=30 * 1024 * 1024)
    try:
        response = submit(public, resume=big)
    except httpx_errors() as exc:  # the server may close the connection once it has refused
        pytest.skip(f"connection closed before the response could be read: {exc}")
    assert response.status_code == 413
    assert_nothing_stored(api)


def httpx_errors() -> tuple[type[Exception], ...]:
    import httpx

    return (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError)


def test_resume_just_over_the_limit_inside_the_request_slack_is_413(api, public) -> None:
    over = documents.pdf(extra_bytes=api.settings.max_resume_bytes + 1)
    response = submit(public, resume=over)
    assert response.status_code == 413
    assert_nothing_stored(api)


def test_chunked_upload_without_length_is_counted_while_streaming(api, public) -> None:
    limit = api.settings.max_request_bytes
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="resume"; filename="r.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    ).encode()

    def body():
        yield head
        sent = 0
        while sent <= limit:
            yield b"x" * 65536
            sent += 65536

    try:
        response = public.post(
            "/api/v1/leads",
            content=body(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
    except httpx_errors():
        return  # refused mid-stream: what matters is that nothing was kept
    finally:
        assert_nothing_stored(api)
    assert response.status_code == 413


def test_submission_without_available_attorney_alerts_every_active_admin(
    api, admin, public
) -> None:
    from lead_manager.users.models import Role
    from tests.conftest import add_account

    add_account(api, Role.ATTORNEY, available=False)
    add_account(api, Role.ADMIN, active=False)
    second_admin = add_account(api, Role.ADMIN)
    response = submit(public)
    assert response.status_code == 201
    with api.session() as session:
        lead = session.get(Lead, uuid.UUID(response.json()["id"]))
        assert lead is not None and lead.assigned_to is None
        alerts = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.UNASSIGNED_LEAD_ALERT)
        ).all()
    assert sorted(m.payload["user_id"] for m in alerts) == sorted(
        [str(admin.id), str(second_admin.id)]
    )


def test_idempotency_key_replay_returns_the_first_lead(api, public) -> None:
    headers = {"Idempotency-Key": "order-42"}
    first = submit(public, headers=headers)
    second = submit(public, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    with api.session() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 1
        # No attorney and no admin: the acknowledgement is the only email.
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert len(stored_files(api)) == 1


def test_idempotency_key_with_different_fields_is_422(api, public) -> None:
    headers = {"Idempotency-Key": "order-43"}
    assert submit(public, headers=headers).status_code == 201
    response = submit(public, headers=headers, first_name="Someone")
    assert response.status_code == 422
    # Shaped like every 422 (the OpenAPI ValidationErrorRead): the header is named.
    (error,) = response.json()["detail"]
    assert error["loc"] == ["header", "Idempotency-Key"] and error["type"] and error["msg"]
    with api.session() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 1


def test_idempotency_key_in_flight_is_409_until_the_claim_goes_stale(api, public) -> None:
    import io
    from datetime import timedelta

    from lead_manager.core.db import utcnow
    from lead_manager.leads.idempotency import IN_FLIGHT_TIMEOUT, ResumeUpload, request_fingerprint
    from lead_manager.leads.models import IdempotencyKey
    from lead_manager.leads.resume import inspect_resume
    from lead_manager.leads.schemas import LeadCreate

    resume = documents.pdf()
    upload = ResumeUpload(
        io.BytesIO(resume), inspect_resume(io.BytesIO(resume), "resume.pdf", 10**7)
    )
    fingerprint = request_fingerprint(LeadCreate(**lead_fields()), upload)
    with api.session() as session:
        # What a first request holds while it is still being processed.
        session.add(IdempotencyKey(key="in-flight", request_hash=fingerprint, created_at=utcnow()))
        session.commit()
    response = submit(public, resume=resume, headers={"Idempotency-Key": "in-flight"})
    assert response.status_code == 409
    assert_nothing_stored(api)
    with api.session() as session:
        claim = session.get(IdempotencyKey, "in-flight")
        claim.created_at = utcnow() - IN_FLIGHT_TIMEOUT - timedelta(seconds=1)
        session.commit()
    # The first attempt died long ago: a retry takes over.
    assert (
        submit(public, resume=resume, headers={"Idempotency-Key": "in-flight"}).status_code == 201
    )


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", b"caf\xe9"])
def test_malformed_idempotency_key_is_422(api, public, key) -> None:
    response = submit(public, headers={"Idempotency-Key": key})
    assert response.status_code == 422
    assert_nothing_stored(api)


def test_failed_idempotent_request_releases_its_key(api, public) -> None:
    headers = {"Idempotency-Key": "retry-me"}
    assert submit(public, headers=headers, resume=documents.png()).status_code == 415
    assert submit(public, headers=headers).status_code == 201


def test_lead_rate_limit_is_429_with_retry_after(api, public) -> None:
    original = api.services
    api.app.state.services = dataclasses.replace(
        original, lead_limit=original.rate_limiter.limit("lead", "3/minute")
    )
    try:
        codes = [submit(public).status_code for _ in range(4)]
        assert codes == [201, 201, 201, 429]
        response = submit(public)
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) >= 1
    finally:
        api.app.state.services = original
