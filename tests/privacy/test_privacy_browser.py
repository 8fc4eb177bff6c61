"""The privacy parts of the pages in a real browser: the form's opt-in box and notice link, and an
administrator erasing a person from the privacy page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lead_manager.leads.models import Lead
from tests import documents
from tests.conftest import Account, LiveServer
from tests.privacy.people import JANE, JANE_RESUME_MARKER, submit_person
from tests.web.test_browser import browser, page, shot, sign_in

__all__ = ["browser", "page"]  # fixtures, used by name
playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_the_prospect_ticks_the_opt_in_box(page, api: LiveServer, attorney: Account, tmp_path):
    resume = tmp_path / "cv.pdf"
    resume.write_bytes(documents.pdf())
    page.goto("/")
    box = page.get_by_label("news and updates")
    assert box.is_visible() and not box.is_checked()
    page.get_by_label("First name").fill("Jane")
    page.get_by_label("Last name").fill("Quillfeather")
    page.get_by_label("Email address").fill(JANE["email"])
    page.get_by_label("Resume").set_input_files(str(resume))
    box.check()
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url("**/thanks")
    with api.session() as session:
        lead = session.scalars(select(Lead)).one()
    assert (lead.marketing_opt_in, lead.privacy_channel) == (True, "form")


def test_an_admin_erases_a_person_from_the_privacy_page(
    page, api: LiveServer, admin: Account, public
) -> None:
    lead = submit_person(public, JANE, JANE_RESUME_MARKER)
    sign_in(page, admin.email)
    page.get_by_role("link", name="Privacy").click()
    page.wait_for_url("**/admin/privacy")
    shot(page, "privacy-01-admin-page")
    page.locator("#erase_email").fill(JANE["email"])
    page.locator("#reason").fill("Request of 30 November, ticket 12")
    page.get_by_label("cannot be undone").check()
    page.get_by_role("button", name="Erase").click()
    page.wait_for_selector(".notice")
    assert "Erased the personal data of 1 lead." in page.locator(".notice").inner_text()
    shot(page, "privacy-02-erased")
    page.goto(f"/leads/{lead['id']}")
    assert "was erased on" in page.locator(".erased-note").inner_text()
    shot(page, "privacy-03-erased-lead")
    assert JANE["last_name"] not in page.content()
