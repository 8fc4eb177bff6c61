"""Returning prospects and conflicts in a real browser: the form's "other side" field, the inbox
highlights, the lead page's hits and decision form, and the register page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lead_manager.leads.models import Lead
from tests import documents
from tests.conftest import Account, LiveServer
from tests.intake import submit
from tests.web.test_browser import browser, page, shot, sign_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_inbox_and_lead_page_show_returning_prospect_and_conflict(
    page,  # noqa: F811 - the fixture imported above
    api: LiveServer,
    admin: Account,
    attorney: Account,
    public,
    tmp_path,
) -> None:
    admin.client.post("/api/v1/parties", json={"name": "Acme Holdings, Inc.", "kind": "client"})
    assert (
        submit(public, first_name="Wile", last_name="Coyote", email="wile@example.com").status_code
        == 201
    )
    # The returning prospect comes through the web form, naming the other side.
    resume = tmp_path / "cv.pdf"
    resume.write_bytes(documents.pdf())
    page.goto("/")
    page.get_by_label("First name").fill("Wile")
    page.get_by_label("Last name").fill("Coyote")
    page.get_by_label("Email address").fill("Wile+2@example.com")
    page.get_by_label("Who is on the other side?").fill("ACME Holdings LLC\nRoad Runner")
    page.get_by_label("Resume").set_input_files(str(resume))
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url("**/thanks")
    with api.session() as session:
        lead = session.scalars(select(Lead).where(Lead.email == "Wile+2@example.com")).one()
        assert lead.opposing_parties == ["ACME Holdings LLC", "Road Runner"]
        assert lead.conflict_status == "potential" and lead.duplicate_of is not None

    sign_in(page, attorney.email)
    row = page.locator("tr.row-conflict")
    assert row.count() == 1
    assert "Potential conflict" in row.inner_text() and "Returning" in row.inner_text()
    shot(page, "20-inbox-conflict")
    page.get_by_label("Potential conflicts").check()
    page.get_by_role("button", name="Apply").click()
    assert page.locator("tbody tr").count() == 1

    page.locator("tr.row-conflict a.lead-link").click()
    section = page.locator("#conflict")
    assert "Potential conflict of interest" in section.inner_text()
    assert "Acme Holdings, Inc." in section.inner_text()
    assert "Returning prospect" in page.locator("#returning").inner_text()
    shot(page, "21-lead-conflict")
    page.get_by_label("Note on the decision").fill(
        "Acme is a client in an unrelated matter; cleared by Alice."
    )
    page.get_by_role("button", name="Mark cleared").click()
    page.wait_for_selector(".notice")
    assert "Conflict cleared" in page.locator("#conflict").inner_text()
    assert "unrelated matter" in page.locator("#conflict").inner_text()
    assert page.get_by_role("button", name="Mark cleared").count() == 1  # may be revised
    shot(page, "22-lead-conflict-cleared")
    with api.session() as session:
        lead = session.scalars(select(Lead).where(Lead.email == "Wile+2@example.com")).one()
        assert (lead.conflict_status, lead.conflict_resolved_by) == ("cleared", attorney.id)
    # The earlier lead links to its later visit.
    page.locator("#returning a").first.click()
    assert "later lead is linked" in page.locator("#returning").inner_text()


def test_admin_manages_the_register(page, api: LiveServer, admin: Account, tmp_path) -> None:  # noqa: F811
    sign_in(page, admin.email)
    page.goto("/admin/parties")
    page.get_by_label("Name", exact=True).fill("<b>Acme</b> Holdings")
    page.get_by_label("Kind").select_option("adverse_party")
    page.get_by_role("button", name="Add party").click()
    page.wait_for_selector(".notice")
    assert "<b>Acme</b> Holdings" in page.locator("table.parties").inner_text()
    csv_file = tmp_path / "register.csv"
    csv_file.write_bytes(b"name,kind,email,matter\nGlobex Corp,client,,\nBad,enemy,,\n")
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Import").click()
    page.wait_for_selector(".import-result")
    result = page.locator(".import-result").inner_text()
    assert "1 party added" in result and "Line 3" in result
    shot(page, "23-admin-parties")
    page.get_by_label("Search by name, email or matter").fill("globex")
    page.get_by_role("button", name="Search").click()
    assert page.locator("table.parties tbody tr").count() == 1
    page.get_by_role("button", name="Remove").click()
    page.wait_for_selector(".notice")
    names = {p["name"] for p in admin.client.get("/api/v1/parties").json()["items"]}
    assert names == {"<b>Acme</b> Holdings"}
