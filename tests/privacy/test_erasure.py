"""Erasure of a person over the API, on SQLite and PostgreSQL with local storage: every lead of
that address loses its personal data everywhere it is kept, and nothing of it remains."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from lead_manager.audit.models import AuditEvent
from lead_manager.core.db import utcnow
from lead_manager.leads.models import IdempotencyKey, Lead
from lead_manager.notifications.dispatcher import Dispatcher
from lead_manager.outbox.models import OutboxMessage, OutboxStatus
from lead_manager.privacy.personal_data import email_hash
from tests.conftest import Account, LiveServer
from tests.privacy.people import (
    JANE,
    JANE_RESUME_MARKER,
    JANE_TRACES,
    JOHN,
    JOHN_RESUME_MARKER,
    JOHN_TRACES,
    submit_person,
    traces_in_database,
    traces_in_files,
)

ERASURES = "/api/v1/privacy/erasures"


def storage_dir(api: LiveServer) -> Path:
    return Path(api.settings.storage_url.removeprefix("file://"))


def erase(client: httpx.Client, email: str, reason: str = "Request 2026-114") -> httpx.Response:
    return client.post(ERASURES, json={"email": email, "reason": reason})


def jane_with_history(api: LiveServer, attorney: Account, public: httpx.Client) -> list[str]:
    """Three leads of Jane (one address, written three ways) with everything a lead gathers: a
    status history with a reason naming her, a resume download, delivered emails (.eml copies)
    and, for the last, emails not yet sent and an Idempotency-Key. Returns their ids."""
    first = submit_person(
        public,
        JANE,
        JANE_RESUME_MARKER,
        email="Jane.Quillfeather+injury@Example.com",
        marketing_opt_in="true",
    )
    second = submit_person(
        public, JANE, JANE_RESUME_MARKER, headers={"Idempotency-Key": "jane-retry-1"}
    )
    lead = f"/api/v1/leads/{first['id']}"
    assert attorney.client.get(f"{lead}/resume").status_code == 200
    assert attorney.client.patch(lead, json={"status": "REACHED_OUT"}).status_code == 200
    note = {"body": "Spoke to Jane Quillfeather on +1 (555) 010-0199: claim is old."}
    assert attorney.client.post(f"{lead}/notes", json=note).status_code == 201
    declined = {"status": "DECLINED", "reason": "Jane Quillfeather's claim is out of time"}
    assert attorney.client.patch(lead, json=declined).status_code == 200
    dispatcher = Dispatcher(api.settings, api.engine, name="test")
    while dispatcher.run_messages():
        pass
    third = submit_person(public, JANE, JANE_RESUME_MARKER, email="JANE.QUILLFEATHER@example.com")
    return [first["id"], second["id"], third["id"]]


def test_erasure_leaves_no_trace_of_the_person(
    api: LiveServer, admin: Account, attorney: Account, public: httpx.Client
) -> None:
    john = submit_person(public, JOHN, JOHN_RESUME_MARKER)
    jane = jane_with_history(api, attorney, public)
    # Before: the scans find both people, so finding nothing afterwards means something.
    mail_dir, resumes = api.settings.mail_dir, storage_dir(api)
    assert traces_in_database(api.engine, JANE_TRACES)
    assert traces_in_files(mail_dir, JANE_TRACES) and traces_in_files(resumes, JANE_TRACES)
    third_id = uuid.UUID(jane[2])
    with api.session() as session:
        unsent = session.scalars(
            select(OutboxMessage).where(OutboxMessage.lead_id == third_id)
        ).all()
        assert unsent and all(m.status == OutboxStatus.PENDING.value for m in unsent)

    response = erase(admin.client, "jane.quillfeather+other@EXAMPLE.com")
    assert response.status_code == 200, response.text
    assert response.json() == {"erased_leads": 3}

    assert traces_in_database(api.engine, JANE_TRACES) == []
    assert traces_in_files(resumes, JANE_TRACES) == []
    assert traces_in_files(mail_dir, JANE_TRACES) == []
    # John is untouched: his data, his file and his emails.
    johns = {trace.split(":")[0] for trace in traces_in_database(api.engine, JOHN_TRACES)}
    assert {"leads.email", "leads.phone", "outbox.recipient"} <= johns
    assert traces_in_files(resumes, JOHN_TRACES) and traces_in_files(mail_dir, JOHN_TRACES)
    assert attorney.client.get(f"/api/v1/leads/{john['id']}").json()["email"] == JOHN["email"]

    with api.session() as session:
        # Unsent emails are dropped; delivered ones stay (kind, dates) without their request id.
        messages = session.scalars(
            select(OutboxMessage).where(OutboxMessage.lead_id.in_([uuid.UUID(i) for i in jane]))
        ).all()
        assert messages and all(m.status == OutboxStatus.SENT.value for m in messages)
        assert all(m.request_id is None and m.lead_id != third_id for m in messages)
        assert session.scalars(select(IdempotencyKey)).all() == []
        rows = session.scalars(select(Lead).where(Lead.id.in_([uuid.UUID(i) for i in jane]))).all()
        assert len(rows) == 3 and all(r.erased_at is not None and not r.request_id for r in rows)


def test_an_erased_lead_is_an_anonymous_row(
    api: LiveServer, admin: Account, attorney: Account, public: httpx.Client
) -> None:
    jane = jane_with_history(api, attorney, public)
    before = attorney.client.get(f"/api/v1/leads/{jane[0]}").json()
    assert erase(admin.client, JANE["email"]).json() == {"erased_leads": 3}

    detail = attorney.client.get(f"/api/v1/leads/{jane[0]}")
    assert detail.status_code == 200
    lead = detail.json()
    assert (lead["first_name"], lead["last_name"], lead["email"]) == ("", "", "")
    assert lead["phone"] is None and lead["message"] is None and lead["resume"] is None
    assert lead["erased_at"] is not None
    # What statistics need stays: id, status, dates, assignee, the history without its reasons.
    for kept in ("id", "status", "created_at", "assigned_to", "privacy"):
        assert lead[kept] == before[kept], kept
    assert lead["privacy"] == {"notice_version": "1", "channel": "api", "marketing_opt_in": True}
    assert [h["status"] for h in lead["history"]] == ["PENDING", "REACHED_OUT", "DECLINED"]
    assert all(h["reason"] is None for h in lead["history"])

    assert attorney.client.get(f"/api/v1/leads/{jane[0]}/resume").status_code == 404
    # An anonymous row is not worked any more: no status change, no note, no deadline.
    change = attorney.client.patch(f"/api/v1/leads/{jane[1]}", json={"status": "REACHED_OUT"})
    assert change.status_code == 409
    note = attorney.client.post(f"/api/v1/leads/{jane[1]}/notes", json={"body": "Jane?"})
    assert note.status_code == 409
    assert attorney.client.get(f"/api/v1/leads/{jane[0]}/notes").json() == {"items": []}
    assert attorney.client.get(f"/api/v1/leads/{jane[1]}").json()["respond_by"] is None
    entries = attorney.client.get(f"/api/v1/leads/{jane[0]}/timeline").json()["items"]
    assert [e["type"] for e in entries if e["type"] in ("note", "email_sent")] == []
    assert [e["reason"] for e in entries if e["type"] == "status_changed"] == [None, None]
    # Left out of the lists, the counts and every search for her.
    listed = attorney.client.get("/api/v1/leads").json()["items"]
    assert [item["id"] for item in listed if item["id"] in jane] == []
    for q in ("quillfeather", "jane", JANE["email"]):
        assert attorney.client.get("/api/v1/leads", params={"q": q}).json()["items"] == []
    assert erase(admin.client, JANE["email"]).json() == {"erased_leads": 0}


def test_the_audit_trail_proves_the_erasure_without_the_address(
    api: LiveServer, admin: Account, attorney: Account, public: httpx.Client
) -> None:
    jane = jane_with_history(api, attorney, public)
    assert erase(admin.client, JANE["email"], "Ticket 7731").json() == {"erased_leads": 3}
    assert erase(admin.client, "JANE.Quillfeather+x@example.com").json() == {"erased_leads": 0}

    items = admin.client.get("/api/v1/audit").json()["items"]
    erasures = [item for item in items if item["action"] == "privacy.erased"]
    assert len(erasures) == 2
    expected = email_hash(api.services.signing_key, JANE["email"])
    assert {item["target"] for item in erasures} == {expected}
    assert len(expected) == 64 and expected != email_hash("another key", JANE["email"])
    first = erasures[-1]
    assert first["actor"] == str(admin.id)
    assert first["details"]["reason"] == "Ticket 7731"
    assert first["details"]["erased_leads"] == 3
    assert sorted(first["details"]["lead_ids"]) == sorted(jane)
    assert erasures[0]["details"]["erased_leads"] == 0
    with api.session() as session:
        details = [e.details for e in session.scalars(select(AuditEvent)).all()]
    assert "quillfeather" not in str(details).lower()


def test_only_admins_may_erase(
    api: LiveServer, attorney: Account, public: httpx.Client, admin: Account
) -> None:
    lead = submit_person(public, JANE, JANE_RESUME_MARKER)
    assert erase(attorney.client, JANE["email"]).status_code == 403
    assert erase(public, JANE["email"]).status_code == 401
    detail = attorney.client.get(f"/api/v1/leads/{lead['id']}").json()
    assert detail["email"] == JANE["email"] and detail["erased_at"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-address", "reason": "r"}, "email"),
        ({"email": "jane@example.com\r\nBcc: x@example.com", "reason": "r"}, "email"),
        ({"email": "jane@example.com"}, "reason"),
        ({"email": "jane@example.com", "reason": "   "}, "reason"),
        ({"email": "jane@example.com", "reason": "line\nbreak"}, "reason"),
        ({"email": "jane@example.com", "reason": "x" * 501}, "reason"),
        ({"reason": "r"}, "email"),
        ({"email": "jane@example.com", "reason": "r", "everything": True}, "everything"),
    ],
)
def test_malformed_requests_are_422_and_erase_nothing(
    api: LiveServer, admin: Account, public: httpx.Client, body: dict[str, object], field: str
) -> None:
    submit_person(public, JANE, JANE_RESUME_MARKER, email="jane@example.com")
    response = admin.client.post(ERASURES, json=body)
    assert response.status_code == 422, response.text
    assert field in {str(part) for error in response.json()["detail"] for part in error["loc"]}
    assert admin.client.post(ERASURES, content=b"{not json").status_code == 422
    assert traces_in_database(api.engine, JANE_TRACES)
    with api.session() as session:
        assert session.scalars(select(Lead.erased_at)).all() == [None]


def test_an_unknown_address_is_200_with_0(api: LiveServer, admin: Account) -> None:
    response = erase(admin.client, "nobody@example.org")
    assert response.status_code == 200
    assert response.json() == {"erased_leads": 0}


def test_a_message_claimed_just_before_the_erasure_is_not_sent(
    api: LiveServer, public: httpx.Client
) -> None:
    """Erasure drops a lead's unsent messages; one a dispatcher had already claimed is found
    erased when it renders, and given up on instead of sent."""
    lead_id = uuid.UUID(submit_person(public, JANE, JANE_RESUME_MARKER)["id"])
    # The lead as erasure leaves it, its messages still due (as if claimed a moment before).
    with api.engine.begin() as connection:
        connection.execute(
            update(Lead)
            .where(Lead.id == lead_id)
            .values(first_name="", last_name="", email="", erased_at=utcnow())
        )
    # The acknowledgement only: no attorney or admin exists to notify.
    assert Dispatcher(api.settings, api.engine, name="test").run_messages() == 1
    with api.session() as session:
        messages = session.scalars(select(OutboxMessage)).all()
    assert {m.status for m in messages} == {OutboxStatus.FAILED.value}
    assert all("erased" in (m.last_error or "") for m in messages)
    assert list(api.settings.mail_dir.glob("*.eml")) == []
