"""A lead's lifecycle: PENDING → REACHED_OUT or DECLINED, REACHED_OUT → RETAINED or DECLINED."""

from __future__ import annotations

import pytest

from tests.intake import submit


@pytest.fixture
def lead_id(api, attorney, public) -> str:
    response = submit(public)
    assert response.status_code == 201
    return str(response.json()["id"])


def _patch(account, lead_id: str, **body: object):  # type: ignore[no-untyped-def]
    return account.client.patch(f"/api/v1/leads/{lead_id}", json=body)


def test_reached_out_then_retained_records_each_step(api, attorney, lead_id) -> None:
    assert _patch(attorney, lead_id, status="REACHED_OUT").status_code == 200
    response = _patch(attorney, lead_id, status="RETAINED", reason="Signed the engagement letter")
    assert response.status_code == 200
    history = response.json()["history"]
    assert [(h["status"], h["reason"]) for h in history] == [
        ("PENDING", None),
        ("REACHED_OUT", None),
        ("RETAINED", "Signed the engagement letter"),
    ]
    assert history[2]["changed_by"] == str(attorney.id)
    listed = attorney.client.get("/api/v1/leads", params={"status": "RETAINED"}).json()["items"]
    assert [item["id"] for item in listed] == [lead_id]


@pytest.mark.parametrize("start", [[], ["REACHED_OUT"]])
def test_declined_needs_a_reason(api, attorney, lead_id, start) -> None:
    for status in start:
        assert _patch(attorney, lead_id, status=status).status_code == 200
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}, {"reason": "a\nb"}):
        response = _patch(attorney, lead_id, status="DECLINED", **body)
        assert response.status_code == 422, body
    detail = attorney.client.get(f"/api/v1/leads/{lead_id}").json()
    assert detail["status"] == (start[-1] if start else "PENDING")
    response = _patch(attorney, lead_id, status="DECLINED", reason="Outside our practice areas")
    assert response.status_code == 200
    assert response.json()["history"][-1]["reason"] == "Outside our practice areas"
    # Repeating the current status changes nothing, with or without a reason.
    assert _patch(attorney, lead_id, status="DECLINED").status_code == 200
    assert len(_patch(attorney, lead_id, status="DECLINED", reason="again").json()["history"]) == (
        len(start) + 2
    )


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ([], "RETAINED"),
        (["REACHED_OUT"], "PENDING"),
        (["REACHED_OUT", "RETAINED"], "DECLINED"),
        (["REACHED_OUT", "RETAINED"], "REACHED_OUT"),
        (["DECLINED"], "REACHED_OUT"),
        (["DECLINED"], "RETAINED"),
    ],
)
def test_other_moves_are_409_and_change_nothing(api, attorney, lead_id, path, target) -> None:
    for status in path:
        body = {"reason": "No"} if status == "DECLINED" else {}
        assert _patch(attorney, lead_id, status=status, **body).status_code == 200
    response = _patch(attorney, lead_id, status=target, reason="because")
    assert response.status_code == 409
    detail = attorney.client.get(f"/api/v1/leads/{lead_id}").json()
    assert len(detail["history"]) == len(path) + 1


def test_status_changes_with_reason_are_audited(api, admin, attorney, lead_id) -> None:
    _patch(attorney, lead_id, status="DECLINED", reason="Conflict with an existing client")
    events = admin.client.get("/api/v1/audit").json()["items"]
    change = next(e for e in events if e["action"] == "lead.status_changed")
    assert change["details"] == {
        "status_from": "PENDING",
        "status_to": "DECLINED",
        "reason": "Conflict with an existing client",
    }
