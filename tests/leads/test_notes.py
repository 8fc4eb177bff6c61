"""Notes: append-only plain text by staff, on the API (both backends)."""

from __future__ import annotations

import pytest

from tests.conftest import Account
from tests.leads.workflow import new_lead


def test_staff_add_notes_and_read_them_oldest_first(api, attorney: Account, admin, public) -> None:
    lead_id = new_lead(public)
    first = attorney.client.post(
        f"/api/v1/leads/{lead_id}/notes", json={"body": "  Called, no answer.\n\tWill retry.  "}
    )
    assert first.status_code == 201, first.text
    note = first.json()
    assert set(note) == {"id", "body", "author", "created_at"}
    assert note["body"] == "Called, no answer.\n\tWill retry."
    assert note["author"] == str(attorney.id)
    second = admin.client.post(
        f"/api/v1/leads/{lead_id}/notes", json={"body": "<script>alert(1)</script> ünïcode ✓"}
    )
    assert second.status_code == 201
    listed = attorney.client.get(f"/api/v1/leads/{lead_id}/notes")
    assert listed.status_code == 200
    assert listed.headers["cache-control"] == "no-store"
    items = listed.json()["items"]
    assert [n["id"] for n in items] == [note["id"], second.json()["id"]]
    assert items[1]["body"] == "<script>alert(1)</script> ünïcode ✓"
    assert items[1]["author"] == str(admin.id)
    # Another lead's notes are its own.
    assert attorney.client.get(f"/api/v1/leads/{new_lead(public)}/notes").json() == {"items": []}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"body": ""},
        {"body": "   \n\t "},
        {"body": "\u3000\u00a0"},
        {"body": "x" * 5001},
        {"body": "null byte \x00"},
        {"body": "carriage\rreturn"},
        {"body": "windows\r\nline"},
        {"body": "escape \x1b[31m"},
        {"body": "zero\u200bwidth"},
        {"body": "bidi \u202e override"},
        {"body": 42},
        {"body": ["a"]},
        {"body": "ok", "author": "00000000-0000-0000-0000-000000000000"},
    ],
)
def test_bad_note_bodies_are_422_and_store_nothing(api, attorney, public, body) -> None:
    lead_id = new_lead(public)
    response = attorney.client.post(f"/api/v1/leads/{lead_id}/notes", json=body)
    assert response.status_code == 422, response.text
    assert attorney.client.get(f"/api/v1/leads/{lead_id}/notes").json() == {"items": []}


def test_the_longest_note_is_accepted(api, attorney, public) -> None:
    lead_id = new_lead(public)
    response = attorney.client.post(f"/api/v1/leads/{lead_id}/notes", json={"body": "é" * 5000})
    assert response.status_code == 201


def test_notes_need_a_signed_in_user_and_a_lead(api, attorney, public) -> None:
    lead_id = new_lead(public)
    assert public.post(f"/api/v1/leads/{lead_id}/notes", json={"body": "x"}).status_code == 401
    assert public.get(f"/api/v1/leads/{lead_id}/notes").status_code == 401
    unknown = "00000000-0000-4000-8000-000000000000"
    assert (
        attorney.client.post(f"/api/v1/leads/{unknown}/notes", json={"body": "x"}).status_code
        == 404
    )
    assert attorney.client.get(f"/api/v1/leads/{unknown}/notes").status_code == 404
    assert attorney.client.get("/api/v1/leads/not-a-uuid/notes").status_code == 422


def test_notes_cannot_be_edited_or_deleted(api, attorney, public) -> None:
    lead_id = new_lead(public)
    note = attorney.client.post(f"/api/v1/leads/{lead_id}/notes", json={"body": "first"}).json()
    for method in ("PUT", "PATCH", "DELETE"):
        for path in (
            f"/api/v1/leads/{lead_id}/notes",
            f"/api/v1/leads/{lead_id}/notes/{note['id']}",
        ):
            response = attorney.client.request(method, path, json={"body": "changed"})
            assert response.status_code in (404, 405), (method, path)
    assert (
        attorney.client.get(f"/api/v1/leads/{lead_id}/notes").json()["items"][0]["body"] == "first"
    )
