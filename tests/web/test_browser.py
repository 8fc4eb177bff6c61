"""The pages in a real browser (Debian's Chromium through Playwright), against the SQLite server.

Screenshots of every page go to var/screenshots/ for people to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from lead_manager.leads.models import Lead
from lead_manager.users.models import Role
from tests import documents
from tests.conftest import PASSWORD, Account, LiveServer, add_account
from tests.intake import submit

playwright_api = pytest.importorskip("playwright.sync_api")

# One backend is enough here: the HTTP tests cover both; the browser is the slow part.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
XSS_NAME = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def browser() -> Iterator[playwright_api.Browser]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: playwright_api.Browser, api: LiveServer) -> Iterator[playwright_api.Page]:
    context = browser.new_context(
        base_url=api.base_url, accept_downloads=True, viewport={"width": 1280, "height": 860}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors: list[str] = []
    # A Content-Security-Policy violation or a script error shows up here (an HTTP error status,
    # such as the 422 of a form with mistakes, is logged as "Failed to load resource": expected).
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    yield page
    context.close()
    assert dialogs == [], "a script ran that should have been shown as text"
    assert errors == []


def shot(page: playwright_api.Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: playwright_api.Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/leads")


def test_prospect_submits_the_form(page, api: LiveServer, attorney: Account, tmp_path) -> None:
    resume = tmp_path / "Jane Doe CV.pdf"
    resume.write_bytes(documents.pdf())
    page.goto("/")
    shot(page, "01-lead-form")
    page.get_by_label("First name").fill("Jane")
    page.get_by_label("Last name").fill("Doe")
    # Accepted by the browser's own check, refused by the server's (no dot in the domain).
    page.get_by_label("Email address").fill("jane@example")
    page.get_by_label("Phone number").fill("call me maybe")
    page.get_by_label("How can we help?").fill("I was injured at work.")
    page.get_by_label("Resume").set_input_files(str(resume))
    assert "Jane Doe CV.pdf" in page.locator("#resume-chosen").inner_text()
    page.get_by_role("button", name="Send request").click()
    page.wait_for_selector(".error-summary")
    shot(page, "02-lead-form-errors")
    assert page.locator("#email-error").is_visible()
    assert "Use digits" in page.locator("#phone-error").inner_text()
    assert page.get_by_label("First name").input_value() == "Jane"
    assert page.get_by_label("How can we help?").input_value() == "I was injured at work."
    assert page.get_by_label("Email address").get_attribute("aria-invalid") == "true"

    page.get_by_label("Email address").fill("jane.doe@example.com")
    page.get_by_label("Phone number").fill("+1 555 010 0199")
    page.get_by_label("Resume").set_input_files(str(resume))
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url("**/thanks")
    assert "we have your request" in page.locator("h1").inner_text()
    shot(page, "03-thanks")
    with api.session() as session:
        lead = session.scalars(select(Lead)).one()
        assert (lead.email, lead.phone, lead.assigned_to) == (
            "jane.doe@example.com",
            "+1 555 010 0199",
            attorney.id,
        )
        assert lead.resume_filename == "Jane Doe CV.pdf"


def test_attorney_finds_downloads_and_marks_a_lead(
    page, api: LiveServer, attorney: Account, public
) -> None:
    resume = documents.pdf(extra_bytes=2000)
    for first, last, email in [
        ("Michael", "Brennan", "m.brennan@example.com"),
        ("Sofia", "Alvarez", "sofia.alvarez@example.org"),
        ("Wei", "Zhang", "wei.zhang@example.net"),
    ]:
        assert submit(public, first_name=first, last_name=last, email=email).status_code == 201
    assert submit(public, first_name=XSS_NAME, last_name="Tester").status_code == 201
    target = submit(
        public,
        first_name="Eleanor",
        last_name="Whitfield",
        email="eleanor.w@example.com",
        message="My employer has not paid overtime for six months.\nI have kept records.",
        resume=resume,
        filename="Whitfield résumé.pdf",
    ).json()

    page.goto("/leads")
    page.wait_for_url("**/login?next=/leads")
    shot(page, "04-login")
    sign_in(page, attorney.email)
    # The script-named lead is listed as plain text (and no dialog opened: see the fixture).
    assert page.get_by_role("link", name=f"{XSS_NAME} Tester").is_visible()
    assert page.locator(".stat dd").first.inner_text() == "5"

    page.get_by_label("Search by name or email").fill("whitf")
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("table.leads tbody tr")
    assert rows.count() == 1
    page.get_by_role("link", name="Eleanor Whitfield").click()
    page.wait_for_url(f"**/leads/{target['id']}")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download resume").click()
    download = download_info.value
    assert download.suggested_filename == "Whitfield résumé.pdf"
    assert Path(download.path()).read_bytes() == resume

    page.get_by_role("button", name="Mark as reached out").click()
    page.wait_for_selector(".notice")
    # The timeline, newest first: the change on top.
    change = page.locator(".timeline li").first
    assert "Reached out" in change.inner_text()
    assert "by Alice Attorney" in change.inner_text()
    assert page.get_by_role("button", name="Mark as reached out").count() == 0
    shot(page, "06-lead-detail")
    page.get_by_role("link", name="All leads").click()
    assert page.locator(".stat dd").first.inner_text() == "4"
    shot(page, "05-leads")

    page.get_by_role("link", name="Account").click()
    assert page.locator("#availability").inner_text() == "Available"
    page.get_by_role("button", name="Pause new leads").click()
    page.wait_for_selector(".notice")
    assert page.locator("#availability").inner_text() == "Unavailable"
    shot(page, "07-account")
    me = attorney.client.get("/api/v1/users/me").json()
    assert me["is_available"] is False


def test_attorney_works_a_lead_on_its_page(
    page, api: LiveServer, attorney: Account, public
) -> None:
    colleague = add_account(api, Role.ATTORNEY, full_name="Bob Colleague", available=False)
    lead_id = submit(
        public, first_name="Nora", last_name="Quinn", email="nora.quinn@example.com"
    ).json()["id"]
    sign_in(page, attorney.email)
    page.get_by_role("link", name="Nora Quinn").click()
    page.wait_for_url(f"**/leads/{lead_id}")
    assert page.locator("#respond-by").is_visible()

    # Declining needs a reason: the server says so beside the field, and nothing changes.
    page.get_by_label("New status").select_option("DECLINED")
    page.get_by_role("button", name="Change status").click()
    page.wait_for_selector("#reason-error")
    assert "A reason is required" in page.locator("#reason-error").inner_text()
    page.get_by_label("New status").select_option("REACHED_OUT")
    page.get_by_label("Reason").fill("Left a voicemail")
    page.get_by_role("button", name="Change status").click()
    page.wait_for_selector(".notice")
    assert "Reached out" in page.locator(".page-head .badge").first.inner_text()
    # The next steps of a lead reached out: retained or declined.
    options = page.get_by_label("New status").locator("option").all_inner_texts()
    assert options == ["Retained", "Declined"]

    page.get_by_label("Add a note").fill("Prefers email.\nAvailable after 5 pm.")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_selector(".notice")
    assert page.locator(".notice").inner_text() == "Your note has been added."

    page.get_by_label("Reassign to").select_option(label="Bob Colleague (not taking new leads)")
    page.get_by_role("button", name="Reassign").click()
    page.wait_for_selector(".notice")
    assert page.locator("#assignee").inner_text() == "Bob Colleague"
    # No longer the assignee: no reassignment form for this attorney.
    assert page.get_by_role("button", name="Reassign").count() == 0

    entries = page.locator(".timeline li").all_inner_texts()
    assert "Reassigned to Bob Colleague by Alice Attorney" in entries[0]
    assert "Note by Alice Attorney" in entries[1] and "Available after 5 pm." in entries[1]
    assert "Reached out by Alice Attorney" in entries[2].replace("\n", " ")
    assert "Left a voicemail" in entries[2]
    assert "Assigned to Alice Attorney" in entries[-2]
    assert "Submitted through the website" in entries[-1]
    shot(page, "11-lead-worked")
    timeline = attorney.client.get(f"/api/v1/leads/{lead_id}/timeline").json()["items"]
    assert [e["type"] for e in timeline] == [
        "submitted",
        "assigned",
        "status_changed",
        "note",
        "assigned",
    ]
    assert timeline[-1]["to"] == str(colleague.id)


def test_admin_creates_an_attorney_who_cannot_administer(
    page, api: LiveServer, admin: Account
) -> None:
    sign_in(page, admin.email)
    page.get_by_role("link", name="Users").click()
    page.get_by_label("Full name").fill("Robert Kline")
    page.get_by_label("Email address").fill("r.kline@hale.example")
    page.get_by_label("Initial password").fill("a long enough password")
    page.get_by_label("Role").select_option("attorney")
    page.get_by_role("button", name="Create user").click()
    page.wait_for_selector(".notice")
    assert page.get_by_role("cell", name="r.kline@hale.example", exact=True).is_visible()
    shot(page, "08-admin-users")
    users = {u["email"]: u for u in admin.client.get("/api/v1/users").json()}
    assert users["r.kline@hale.example"]["role"] == "attorney"

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    # The new attorney signs in with the password the admin chose, and is kept out of admin pages.
    sign_in(page, "r.kline@hale.example", "a long enough password")
    assert page.get_by_role("link", name="Users").count() == 0
    response = page.goto("/admin/users")
    assert response is not None and response.status == 403
    assert page.locator("h1").inner_text() == "Access denied"
    shot(page, "09-forbidden")


def test_phone_layout(browser: playwright_api.Browser, api: LiveServer) -> None:
    context = browser.new_context(
        base_url=api.base_url, viewport={"width": 390, "height": 844}, device_scale_factor=2
    )
    page = context.new_page()
    page.goto("/")
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "10-lead-form-phone")
    context.close()
