"""/api/v1/users: one's own account, and admin management."""

from __future__ import annotations

import uuid

import pytest

from lead_manager.users.models import Role
from tests.conftest import PASSWORD, add_account
from tests.intake import submit


def new_user(**overrides):
    body = {
        "email": f"new-{uuid.uuid4().hex[:6]}@firm.example",
        "full_name": "New Person",
        "password": "a long enough password",
        "role": "attorney",
    }
    body.update(overrides)
    return body


def test_me_shows_own_account(api, attorney) -> None:
    response = attorney.client.get("/api/v1/users/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": str(attorney.id),
        "email": attorney.email,
        "full_name": "Alice Attorney",
        "role": "attorney",
        "is_active": True,
        "is_available": True,
    }


def test_toggle_own_availability_and_name(api, attorney) -> None:
    response = attorney.client.patch(
        "/api/v1/users/me", json={"is_available": False, "full_name": "Alice A."}
    )
    assert response.status_code == 200
    assert response.json()["is_available"] is False and response.json()["full_name"] == "Alice A."
    assert attorney.client.get("/api/v1/users/me").json()["is_available"] is False


def test_unavailable_attorney_gets_no_new_leads(api, attorney, public) -> None:
    attorney.client.patch("/api/v1/users/me", json={"is_available": False})
    other = add_account(api, Role.ATTORNEY)
    for _ in range(3):
        submit(public)
    assert all(
        item["assigned_to"] == str(other.id)
        for item in attorney.client.get("/api/v1/leads").json()["items"]
    )


@pytest.mark.parametrize(
    "body",
    [
        {"role": "admin"},
        {"is_active": False},
        {"email": "x@y.z"},
        {"is_available": "maybe"},
        {"full_name": "a\nb"},
    ],
)
def test_own_account_cannot_escalate_or_take_bad_values(api, attorney, body) -> None:
    assert attorney.client.patch("/api/v1/users/me", json=body).status_code == 422
    assert attorney.client.get("/api/v1/users/me").json()["role"] == "attorney"


def test_admin_creates_user_who_can_log_in(api, admin, public) -> None:
    body = new_user(email="Mixed.Case@Firm.Example")
    response = admin.client.post("/api/v1/users", json=body)
    assert response.status_code == 201
    created = response.json()
    assert created["email"] == "mixed.case@firm.example"
    assert "password" not in created and "password_hash" not in created
    assert created["is_available"] is True and created["is_active"] is True
    login = public.post(
        "/api/v1/auth/token",
        data={"username": "mixed.case@firm.example", "password": body["password"]},
    )
    assert login.status_code == 200


def test_duplicate_email_is_409_case_insensitively(api, admin) -> None:
    assert (
        admin.client.post("/api/v1/users", json=new_user(email="dup@firm.example")).status_code
        == 201
    )
    assert (
        admin.client.post("/api/v1/users", json=new_user(email="DUP@firm.example")).status_code
        == 409
    )


@pytest.mark.parametrize(
    "override",
    [
        {"password": "short"},
        {"password": "x" * 11},
        {"role": "superuser"},
        {"email": "nope"},
        {"email": "a@b.c\r\nX: y"},
        {"is_admin": True},
    ],
)
def test_invalid_new_users_are_422(api, admin, override) -> None:
    response = admin.client.post("/api/v1/users", json=new_user(**override))
    assert response.status_code == 422


def test_attorney_cannot_use_admin_endpoints(api, attorney, admin) -> None:
    assert attorney.client.post("/api/v1/users", json=new_user(role="admin")).status_code == 403
    assert attorney.client.get("/api/v1/users").status_code == 403
    assert (
        attorney.client.patch(f"/api/v1/users/{attorney.id}", json={"role": "admin"}).status_code
        == 403
    )
    assert (
        attorney.client.patch(f"/api/v1/users/{admin.id}", json={"is_active": False}).status_code
        == 403
    )
    assert attorney.client.get("/api/v1/audit").status_code == 403
    assert attorney.client.get("/api/v1/users/me").json()["role"] == "attorney"


def test_anonymous_cannot_use_admin_endpoints(api, public) -> None:
    assert public.post("/api/v1/users", json=new_user()).status_code == 401
    assert public.get("/api/v1/users").status_code == 401


def test_admin_lists_and_updates_users(api, admin, attorney) -> None:
    listed = admin.client.get("/api/v1/users").json()
    assert {u["id"] for u in listed} == {str(admin.id), str(attorney.id)}
    response = admin.client.patch(
        f"/api/v1/users/{attorney.id}",
        json={"role": "admin", "is_available": False, "full_name": "Promoted"},
    )
    assert response.status_code == 200
    assert response.json()["role"] == "admin" and response.json()["is_available"] is False
    assert attorney.client.get("/api/v1/users").status_code == 200  # now an admin


def test_update_unknown_user_is_404_and_bad_id_422(api, admin) -> None:
    assert (
        admin.client.patch(f"/api/v1/users/{uuid.uuid4()}", json={"is_active": False}).status_code
        == 404
    )
    assert admin.client.patch("/api/v1/users/abc", json={"is_active": False}).status_code == 422


def test_last_active_admin_cannot_be_removed(api, admin) -> None:
    assert (
        admin.client.patch(f"/api/v1/users/{admin.id}", json={"role": "attorney"}).status_code
        == 409
    )
    assert (
        admin.client.patch(f"/api/v1/users/{admin.id}", json={"is_active": False}).status_code
        == 409
    )
    other = add_account(api, Role.ADMIN)
    assert (
        other.client.patch(f"/api/v1/users/{admin.id}", json={"is_active": False}).status_code
        == 200
    )


def test_user_changes_are_audited(api, admin) -> None:
    created = admin.client.post("/api/v1/users", json=new_user()).json()
    admin.client.patch(f"/api/v1/users/{created['id']}", json={"is_available": False})
    actions = [
        (e["action"], e["target"]) for e in admin.client.get("/api/v1/audit").json()["items"]
    ]
    assert ("user.created", created["id"]) in actions
    assert ("user.updated", created["id"]) in actions


def test_password_fixture_is_usable(api, attorney, public) -> None:
    assert (
        public.post(
            "/api/v1/auth/token", data={"username": attorney.email, "password": PASSWORD}
        ).status_code
        == 200
    )
