"""The export of everything held about a person: a streamed zip with data.json and resumes."""

from __future__ import annotations

import io
import json
import zipfile

import httpx
from sqlalchemy import select

from lead_manager.audit.models import AuditEvent
from lead_manager.privacy.personal_data import email_hash
from tests.conftest import Account, LiveServer
from tests.privacy.people import (
    JANE,
    JANE_RESUME_MARKER,
    JOHN,
    JOHN_RESUME_MARKER,
    resume_of,
    submit_person,
)
from tests.privacy.test_erasure import jane_with_history, storage_dir

EXPORT = "/api/v1/privacy/export"


def test_export_holds_every_lead_of_the_person_and_their_resumes(
    api: LiveServer, admin: Account, attorney: Account, public: httpx.Client
) -> None:
    submit_person(public, JOHN, JOHN_RESUME_MARKER)
    jane = jane_with_history(api, attorney, public)

    response = admin.client.get(EXPORT, params={"email": "JANE.QUILLFEATHER+any@example.com"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and ".zip" in disposition
    assert response.headers["cache-control"] == "no-store"
    # Streamed: no length known in advance.
    assert "content-length" not in response.headers

    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    data = json.loads(archive.read("data.json"))
    leads = {lead["id"]: lead for lead in data["leads"]}
    assert sorted(leads) == sorted(jane)
    assert {lead["email"] for lead in leads.values()} == {
        "Jane.Quillfeather+injury@example.com",
        JANE["email"],
        "JANE.QUILLFEATHER@example.com",
    }
    first = leads[jane[0]]
    assert (first["first_name"], first["last_name"], first["phone"]) == (
        JANE["first_name"],
        JANE["last_name"],
        JANE["phone"],
    )
    assert first["message"] == JANE["message"]
    assert first["privacy"] == {"notice_version": "1", "channel": "api", "marketing_opt_in": True}
    assert [h["status"] for h in first["history"]] == ["PENDING", "REACHED_OUT", "DECLINED"]
    assert first["history"][-1]["reason"] == "Jane Quillfeather's claim is out of time"
    (note,) = first["notes"]
    assert note["body"].startswith("Spoke to Jane Quillfeather") and note["author"]
    # The lead's timeline, as GET /api/v1/leads/{id}/timeline gives it.
    timeline = attorney.client.get(f"/api/v1/leads/{jane[0]}/timeline").json()["items"]
    assert first["timeline"] == timeline
    types = [entry["type"] for entry in timeline]
    assert types[0] == "submitted" and "assigned" in types and "note" in types
    assert types.count("status_changed") == 2 and "resume_downloaded" in types
    # The acknowledgement (to her) and the attorney's notification.
    sent = [entry for entry in timeline if entry["type"] == "email_sent"]
    assert sorted(entry["to"] for entry in sent) == sorted(
        ["Jane.Quillfeather+injury@example.com", attorney.email]
    )
    assert [e["at"] for e in first["timeline"]] == sorted(e["at"] for e in first["timeline"])

    # Each resume, byte for byte, under the name data.json gives.
    for lead in leads.values():
        assert archive.read(lead["resume"]["file"]) == resume_of(JANE, JANE_RESUME_MARKER)
    assert sorted(archive.namelist()) == sorted(
        ["data.json", *(lead["resume"]["file"] for lead in leads.values())]
    )
    # John is not in it.
    assert JOHN["email"] not in response.content.decode("utf-8", "replace")

    with api.session() as session:
        exported = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "privacy.exported")
        ).one()
    assert exported.target == email_hash(api.services.signing_key, JANE["email"])
    assert exported.actor == admin.id and exported.details == {"leads": 3}


def test_a_resume_missing_from_storage_is_said_in_data_json(
    api: LiveServer, admin: Account, public: httpx.Client
) -> None:
    lead = submit_person(public, JANE, JANE_RESUME_MARKER)
    for path in storage_dir(api).iterdir():
        path.unlink()
    response = admin.client.get(EXPORT, params={"email": JANE["email"]})
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == ["data.json"]
    (only,) = json.loads(archive.read("data.json"))["leads"]
    assert only["id"] == lead["id"] and only["resume"]["file"] is None


def test_export_answers_404_403_and_422(
    api: LiveServer, admin: Account, attorney: Account, public: httpx.Client
) -> None:
    submit_person(public, JANE, JANE_RESUME_MARKER)
    assert admin.client.get(EXPORT, params={"email": "nobody@example.org"}).status_code == 404
    assert attorney.client.get(EXPORT, params={"email": JANE["email"]}).status_code == 403
    assert public.get(EXPORT, params={"email": JANE["email"]}).status_code == 401
    for bad in ({"email": "not-an-address"}, {"email": "a@b.com\nX: y"}, {}):
        response = admin.client.get(EXPORT, params=bad)
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"] == ["query", "email"]
    # An erased person has nothing left to export.
    assert admin.client.post(
        "/api/v1/privacy/erasures", json={"email": JANE["email"], "reason": "Request 1"}
    ).json() == {"erased_leads": 1}
    assert admin.client.get(EXPORT, params={"email": JANE["email"]}).status_code == 404
