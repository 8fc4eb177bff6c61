"""One lead: detail with history, status changes, resume download."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from lead_manager.users.models import Role
from tests import documents
from tests.conftest import add_account
from tests.intake import submit


@pytest.fixture
def lead_id(api, attorney, public) -> str:
    response = submit(public, resume=documents.docx(), filename="Jane Doe CV.docx")
    assert response.status_code == 201
    return str(response.json()["id"])


def test_detail_has_fields_resume_and_creation_history(api, attorney, lead_id) -> None:
    response = attorney.client.get(f"/api/v1/leads/{lead_id}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    detail = response.json()
    assert detail["phone"] == "+1 (555) 010-0199"
    assert detail["message"].startswith("I was injured")
    assert detail["resume"] == {
        "filename": "Jane Doe CV.docx",
        "content_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "size": len(documents.docx()),
    }
    (created,) = detail["history"]
    assert created["status"] == "PENDING" and created["changed_by"] is None


def test_unknown_lead_is_404_and_bad_id_is_422(api, attorney) -> None:
    assert attorney.client.get(f"/api/v1/leads/{uuid.uuid4()}").status_code == 404
    assert attorney.client.get("/api/v1/leads/not-a-uuid").status_code == 422
    assert attorney.client.get("/api/v1/leads/..%2F..%2Fetc%2Fpasswd").status_code in (404, 422)
    assert (
        attorney.client.patch(
            f"/api/v1/leads/{uuid.uuid4()}", json={"status": "REACHED_OUT"}
        ).status_code
        == 404
    )
    assert attorney.client.get(f"/api/v1/leads/{uuid.uuid4()}/resume").status_code == 404


def test_detail_requires_authentication(api, public, lead_id) -> None:
    assert public.get(f"/api/v1/leads/{lead_id}").status_code == 401
    assert public.get(f"/api/v1/leads/{lead_id}/resume").status_code == 401
    assert (
        public.patch(f"/api/v1/leads/{lead_id}", json={"status": "REACHED_OUT"}).status_code == 401
    )


def test_mark_reached_out_records_who_and_when(api, attorney, lead_id) -> None:
    before = datetime.now().astimezone()
    response = attorney.client.patch(f"/api/v1/leads/{lead_id}", json={"status": "REACHED_OUT"})
    assert response.status_code == 200
    detail = response.json()
    assert detail["status"] == "REACHED_OUT"
    created, reached = detail["history"]
    assert created["status"] == "PENDING"
    assert reached["status"] == "REACHED_OUT" and reached["changed_by"] == str(attorney.id)
    assert datetime.fromisoformat(reached["changed_at"]) >= before.replace(microsecond=0)
    # Repeating the same status changes nothing.
    again = attorney.client.patch(f"/api/v1/leads/{lead_id}", json={"status": "REACHED_OUT"})
    assert again.status_code == 200 and len(again.json()["history"]) == 2


def test_any_attorney_or_admin_may_mark_and_it_is_audited(api, admin, lead_id) -> None:
    colleague = add_account(api, Role.ATTORNEY)
    assert (
        colleague.client.patch(
            f"/api/v1/leads/{lead_id}", json={"status": "REACHED_OUT"}
        ).status_code
        == 200
    )
    events = admin.client.get("/api/v1/audit").json()["items"]
    assert any(
        e["action"] == "lead.status_changed"
        and e["target"] == lead_id
        and e["actor"] == str(colleague.id)
        for e in events
    )


def test_going_back_to_pending_is_409(api, attorney, lead_id) -> None:
    attorney.client.patch(f"/api/v1/leads/{lead_id}", json={"status": "REACHED_OUT"})
    response = attorney.client.patch(f"/api/v1/leads/{lead_id}", json={"status": "PENDING"})
    assert response.status_code == 409
    assert len(attorney.client.get(f"/api/v1/leads/{lead_id}").json()["history"]) == 2


@pytest.mark.parametrize(
    "body",
    [
        {"status": "CLOSED"},
        {"status": "reached_out"},
        {},
        {"status": None},
        {"status": "REACHED_OUT", "assigned_to": "x"},
        [],
    ],
)
def test_bad_patch_bodies_are_422(api, attorney, lead_id, body) -> None:
    assert attorney.client.patch(f"/api/v1/leads/{lead_id}", json=body).status_code == 422


def test_patch_with_non_json_body_is_4xx(api, attorney, lead_id) -> None:
    response = attorney.client.patch(
        f"/api/v1/leads/{lead_id}",
        content=b"status=REACHED_OUT",
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 422


def test_resume_download_returns_exact_bytes_with_safe_headers(api, attorney, lead_id) -> None:
    response = attorney.client.get(f"/api/v1/leads/{lead_id}/resume")
    assert response.status_code == 200
    assert response.content == documents.docx()
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == 'attachment; filename="Jane Doe CV.docx"'
    assert response.headers["cache-control"] == "no-store"


def test_non_ascii_resume_name_uses_rfc6266_filename_star(api, attorney, public) -> None:
    response = submit(public, filename="Curriculum Søren Ærø.pdf")
    lead = response.json()["id"]
    download = attorney.client.get(f"/api/v1/leads/{lead}/resume")
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Curriculum S_ren _r_.pdf"')
    assert "filename*=UTF-8''Curriculum%20S%C3%B8ren%20%C3%86r%C3%B8.pdf" in disposition
    assert download.content == documents.pdf()


def test_resume_lost_from_storage_is_404_not_500(api, attorney, lead_id) -> None:
    from pathlib import Path

    for stored in Path(api.settings.storage_url.removeprefix("file://")).iterdir():
        stored.unlink()
    response = attorney.client.get(f"/api/v1/leads/{lead_id}/resume")
    assert response.status_code == 404
    assert "missing" in response.json()["detail"]
