"""GET /api/v1/audit: who did what, admins only, paged."""

from __future__ import annotations

from tests.conftest import PASSWORD
from tests.intake import submit


def test_logins_downloads_and_status_changes_are_recorded(api, admin, attorney, public) -> None:
    public.post("/api/v1/auth/token", data={"username": attorney.email, "password": PASSWORD})
    public.post("/api/v1/auth/token", data={"username": attorney.email, "password": "wrong"})
    lead = submit(public).json()["id"]
    attorney.client.get(f"/api/v1/leads/{lead}/resume")
    attorney.client.patch(f"/api/v1/leads/{lead}", json={"status": "REACHED_OUT"})
    response = admin.client.get("/api/v1/audit")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    events = response.json()["items"]
    actions = [e["action"] for e in events]
    assert actions == [
        "lead.status_changed",
        "lead.resume_downloaded",
        "login.failed",
        "login.succeeded",
    ]
    assert all(e["actor"] in (str(attorney.id), None) for e in events)
    assert events[0]["details"] == {"status_from": "PENDING", "status_to": "REACHED_OUT"}
    assert all(e["client_ip"] == "127.0.0.1" and e["request_id"] for e in events)


def test_audit_paging(api, admin, attorney, public) -> None:
    for _ in range(5):
        public.post("/api/v1/auth/token", data={"username": attorney.email, "password": "wrong"})
    seen = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = admin.client.get("/api/v1/audit", params=params).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5
    assert admin.client.get("/api/v1/audit", params={"cursor": "bogus"}).status_code == 422
    assert admin.client.get("/api/v1/audit", params={"limit": 0}).status_code == 422
