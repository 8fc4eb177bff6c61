"""Working a lead on its page over plain HTTP: status with a reason, notes, reassignment, the
timeline, respond_by; the inbox's overdue filter and badges. CSRF and escaping on every form."""

from __future__ import annotations

import html
import time
from collections.abc import Iterator

import httpx
import pytest

from lead_manager.users.models import Role
from tests.conftest import Account, LiveServer, add_account
from tests.leads.workflow import new_lead, of_type, sibling_server, timeline
from tests.web.pages import csrf_from, web_login


@pytest.fixture
def signed_in(api: LiveServer, attorney: Account) -> Iterator[httpx.Client]:
    client = web_login(api, attorney.email)
    yield client
    client.close()


def post(client: httpx.Client, lead_id: str, action: str, **data: str) -> httpx.Response:
    token = csrf_from(client.get(f"/leads/{lead_id}").text)
    return client.post(f"/leads/{lead_id}/{action}", data={"csrf_token": token, **data})


def test_the_page_offers_what_an_attorney_can_do(api, attorney, signed_in, public) -> None:
    lead_id = new_lead(public)
    add_account(api, Role.ATTORNEY, full_name="Bob Colleague", available=False)
    page = signed_in.get(f"/leads/{lead_id}").text
    assert f'action="/leads/{lead_id}/status"' in page
    # The statuses a PENDING lead may take next, and no other.
    assert '<option value="REACHED_OUT"' in page and '<option value="DECLINED"' in page
    assert '<option value="RETAINED"' not in page
    assert f'action="/leads/{lead_id}/notes"' in page
    assert f'action="/leads/{lead_id}/assign"' in page
    assert 'id="respond-by"' in page
    assert "Submitted through the website" in page and "Assigned to <strong>Alice Attorney" in page
    assert "Bob Colleague (not taking new leads)</option>" in page


def test_a_status_change_with_a_reason(api, attorney, signed_in, public) -> None:
    lead_id = new_lead(public)
    refused = post(signed_in, lead_id, "status", status="DECLINED", reason="  ")
    assert refused.status_code == 422
    assert "A reason is required" in refused.text
    assert attorney.client.get(f"/api/v1/leads/{lead_id}").json()["status"] == "PENDING"
    not_allowed = post(signed_in, lead_id, "status", status="RETAINED", reason="Signed")
    assert not_allowed.status_code == 409
    assert "cannot go from PENDING to RETAINED" in not_allowed.text
    assert 'value="Signed"' in not_allowed.text  # what was typed is kept
    unknown = post(signed_in, lead_id, "status", status="ARCHIVED")
    assert unknown.status_code == 422 and "Choose one of the statuses" in unknown.text
    done = post(signed_in, lead_id, "status", status="DECLINED", reason="Outside our practice")
    assert done.status_code == 303
    # The notice rides in a signed one-time cookie, not in the address.
    assert done.headers["location"] == f"/leads/{lead_id}"
    assert "lm_flash" in done.cookies
    flash_cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith("lm_flash="))
    # As the session cookie (Secure too in production, see cookie_options).
    for attribute in ("HttpOnly", "SameSite=lax", "Path=/"):
        assert attribute.lower() in flash_cookie.lower()
    change = of_type(timeline(attorney, lead_id), "status_changed")[0]
    assert (change["from"], change["to"], change["reason"]) == (
        "PENDING",
        "DECLINED",
        "Outside our practice",
    )
    page = signed_in.get(done.headers["location"]).text
    assert "The status has been changed." in page and "Outside our practice" in page
    assert "The status has been changed." not in signed_in.get(f"/leads/{lead_id}").text
    # A declined lead has nowhere to go: no status form.
    assert f'action="/leads/{lead_id}/status"' not in page


def test_notes_from_the_page_are_plain_text(api, attorney, signed_in, public) -> None:
    lead_id = new_lead(public)
    blank = post(signed_in, lead_id, "notes", body=" \r\n ")
    assert blank.status_code == 422 and "Must not be blank" in blank.text
    response = post(signed_in, lead_id, "notes", body="<script>alert(1)</script>\r\nsecond line")
    assert response.status_code == 303
    note = attorney.client.get(f"/api/v1/leads/{lead_id}/notes").json()["items"][0]
    assert note["body"] == "<script>alert(1)</script>\nsecond line"
    page = signed_in.get(f"/leads/{lead_id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\nsecond line" in page
    assert "<script>alert(1)" not in page
    # Newest first: the note comes before the submission.
    assert page.index("second line") < page.index("Submitted through the website")


def test_reassignment_from_the_page(api, attorney, signed_in, public) -> None:
    lead_id = new_lead(public)
    colleague = add_account(api, Role.ATTORNEY, full_name="Bob Colleague")
    bad = post(signed_in, lead_id, "assign", user_id="nobody")
    assert bad.status_code == 422 and "Choose an attorney" in bad.text
    admin_target = add_account(api, Role.ADMIN)
    refused = post(signed_in, lead_id, "assign", user_id=str(admin_target.id))
    assert refused.status_code == 422 and "active attorney" in refused.text
    done = post(signed_in, lead_id, "assign", user_id=str(colleague.id))
    assert done.status_code == 303
    assert attorney.client.get(f"/api/v1/leads/{lead_id}").json()["assigned_to"] == str(
        colleague.id
    )
    page = signed_in.get(done.headers["location"]).text
    assert "The lead has been reassigned" in page
    # No longer the assignee (and not an admin): no reassignment form, and a forged post is 403.
    assert f'action="/leads/{lead_id}/assign"' not in page
    forbidden = post(signed_in, lead_id, "assign", user_id=str(attorney.id))
    assert forbidden.status_code == 403
    assert attorney.client.get(f"/api/v1/leads/{lead_id}").json()["assigned_to"] == str(
        colleague.id
    )


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("status", {"status": "REACHED_OUT"}),
        ("notes", {"body": "forged"}),
        ("assign", {"user_id": "00000000-0000-4000-8000-000000000000"}),
    ],
)
def test_forms_without_the_csrf_token_are_refused(
    api, attorney, signed_in, public, action, data
) -> None:
    lead_id = new_lead(public)
    response = signed_in.post(f"/leads/{lead_id}/{action}", data=data)
    assert response.status_code == 403 and "This form has expired" in response.text
    assert len(timeline(attorney, lead_id)) == 2  # submitted, assigned: nothing more


def test_the_inbox_flags_overdue_and_unassigned_leads(
    api, live_server, attorney, signed_in, tmp_path
) -> None:
    quick = sibling_server(live_server, tmp_path, first_response_sla_minutes=0.001)
    try:
        with quick.client() as client:
            late = new_lead(client, first_name="Larry", last_name="Late")
    finally:
        quick.stop()
        quick.engine.dispose()
    with api.client() as client:
        on_time = new_lead(client, first_name="Olive", last_name="Ontime")
    attorney.client.patch("/api/v1/users/me", json={"is_available": False})
    with api.client() as client:
        new_lead(client, first_name="Una", last_name="Nobody")
    deadline = time.monotonic() + 10
    while True:
        page = signed_in.get("/leads?overdue=true").text
        if "Larry Late" in page or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert "Larry Late" in page and "Olive Ontime" not in page and "Una Nobody" not in page
    assert 'id="overdue" name="overdue" type="checkbox" value="true" checked' in page
    everything = signed_in.get("/leads").text
    rows = {name: everything.index(name) for name in ("Larry Late", "Olive Ontime", "Una Nobody")}
    assert everything.count('badge badge-overdue"') == 1
    assert everything.count("badge-unassigned") == 1
    # The overdue count links to the filter.
    assert '<a href="/leads?overdue=true">1</a>' in everything
    assert all(position > 0 for position in rows.values())
    detail = signed_in.get(f"/leads/{late}").text
    assert "badge-overdue" in detail
    assert "badge-overdue" not in signed_in.get(f"/leads/{on_time}").text
    assert html.escape("Overdue") in detail
