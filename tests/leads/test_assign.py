"""Reassignment: by an admin or the lead's assignee, to an active attorney; emailed and audited."""

from __future__ import annotations

import uuid

import pytest

from lead_manager.users.models import Role
from tests.conftest import Account, LiveServer, add_account
from tests.leads.workflow import emails_about, new_lead, of_type, timeline


def _assign(account: Account, lead_id: str, user_id: object):  # type: ignore[no-untyped-def]
    return account.client.post(f"/api/v1/leads/{lead_id}/assign", json={"user_id": str(user_id)})


@pytest.fixture
def colleague(api: LiveServer) -> Account:
    return add_account(api, Role.ATTORNEY, full_name="Bob Colleague", available=False)


def test_the_assignee_hands_a_lead_to_a_colleague(api, attorney, colleague, admin, public) -> None:
    lead_id = new_lead(public)
    assert attorney.client.get(f"/api/v1/leads/{lead_id}").json()["assigned_to"] == str(attorney.id)
    # Unavailable for new leads, but an active attorney: may be given one by hand.
    response = _assign(attorney, lead_id, colleague.id)
    assert response.status_code == 200, response.text
    assert response.json()["assigned_to"] == str(colleague.id)
    assert response.json()["id"] == lead_id and "history" in response.json()
    assert emails_about(api, lead_id)[-1] == ("lead_assigned", str(colleague.id))
    entries = of_type(timeline(attorney, lead_id), "assigned")
    assert [(e["to"], e["reason"], e["actor"]) for e in entries] == [
        (str(attorney.id), "round_robin", None),
        (str(colleague.id), "manual", str(attorney.id)),
    ]
    audit = admin.client.get("/api/v1/audit").json()["items"]
    event = next(e for e in audit if e["action"] == "lead.assigned")
    assert event["target"] == lead_id and event["actor"] == str(attorney.id)
    assert event["details"] == {
        "to": str(colleague.id),
        "from": str(attorney.id),
        "reason": "manual",
    }
    # The former assignee no longer holds it: another reassignment by them is refused.
    assert _assign(attorney, lead_id, attorney.id).status_code == 403


def test_an_admin_reassigns_any_lead_even_an_unassigned_one(api, admin, public) -> None:
    lead_id = new_lead(public)  # no attorney yet: unassigned
    target = add_account(api, Role.ATTORNEY)
    response = _assign(admin, lead_id, target.id)
    assert response.status_code == 200
    assert response.json()["assigned_to"] == str(target.id)
    entries = of_type(timeline(admin, lead_id), "assigned")
    assert [(e["to"], e["reason"]) for e in entries] == [
        (None, "none_available"),
        (str(target.id), "manual"),
    ]


def test_other_attorneys_get_403_and_nothing_changes(api, attorney, colleague, public) -> None:
    lead_id = new_lead(public)
    response = _assign(colleague, lead_id, colleague.id)
    assert response.status_code == 403
    detail = attorney.client.get(f"/api/v1/leads/{lead_id}").json()
    assert detail["assigned_to"] == str(attorney.id)
    assert [kind for kind, _ in emails_about(api, lead_id)] == [
        "lead_acknowledgement",
        "attorney_notification",
    ]
    assert len(of_type(timeline(attorney, lead_id), "assigned")) == 1


def test_the_target_must_be_an_active_attorney(api, attorney, admin, public) -> None:
    lead_id = new_lead(public)
    inactive = add_account(api, Role.ATTORNEY, active=False)
    other_admin = add_account(api, Role.ADMIN)
    for target in (inactive.id, other_admin.id, admin.id, uuid.uuid4()):
        response = _assign(admin, lead_id, target)
        assert response.status_code == 422, target
        assert response.json()["detail"][0]["loc"] == ["body", "user_id"]
    for body in (
        {},
        {"user_id": "not-a-uuid"},
        {"user_id": None},
        {"user_id": str(attorney.id), "x": 1},
    ):
        assert admin.client.post(f"/api/v1/leads/{lead_id}/assign", json=body).status_code == 422
    assert attorney.client.get(f"/api/v1/leads/{lead_id}").json()["assigned_to"] == str(attorney.id)
    assert len(emails_about(api, lead_id)) == 2
    assert len(of_type(timeline(attorney, lead_id), "assigned")) == 1


def test_assigning_to_the_current_assignee_changes_nothing(api, attorney, public) -> None:
    lead_id = new_lead(public)
    response = _assign(attorney, lead_id, attorney.id)
    assert response.status_code == 200
    assert len(emails_about(api, lead_id)) == 2
    assert len(of_type(timeline(attorney, lead_id), "assigned")) == 1


def test_assignment_needs_authentication_and_a_lead(api, attorney, public) -> None:
    lead_id = new_lead(public)
    assert (
        public.post(
            f"/api/v1/leads/{lead_id}/assign", json={"user_id": str(attorney.id)}
        ).status_code
        == 401
    )
    assert _assign(attorney, str(uuid.uuid4()), attorney.id).status_code == 404
