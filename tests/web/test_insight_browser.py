"""The dashboard, the inbox export and the embedded form in a real browser (Chromium).

The dashboard's screenshot in the README comes from here (var/screenshots/11-dashboard.png,
copied to docs/screenshots/dashboard.png).
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lead_manager.core.migrations import upgrade_to_head
from lead_manager.leads.models import Lead, LeadStatus
from lead_manager.users.models import Role
from tests import documents
from tests.conftest import Account, LiveServer, add_account, make_settings, start_server
from tests.processes import free_port
from tests.stats.leads import add_lead
from tests.web import test_browser as browser_pages
from tests.web.test_browser import shot, sign_in

# The browser and page fixtures of the other browser tests (one Chromium, the same checks).
browser = browser_pages.browser
page = browser_pages.page
# The HTTP tests cover both databases; the browser is the slow part.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

SOURCES = ["google", "Newsletter", "www.bar-association.example", None, "facebook", None]


def seed_month(api: LiveServer, attorneys: list[Account]) -> None:
    """A believable month: a few leads a day from several sources, most answered."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    for day in range(30):
        for n in range((day * 7) % 5 + 1):
            responded = (
                None if (day + n) % 6 == 0 else timedelta(minutes=(day * 37 + n * 53) % 600 + 4)
            )
            status = (
                LeadStatus.PENDING
                if responded is None
                else [LeadStatus.REACHED_OUT, LeadStatus.RETAINED, LeadStatus.DECLINED][n % 3]
            )
            source = SOURCES[(day + n) % len(SOURCES)]
            add_lead(
                api,
                now - timedelta(days=day, hours=n * 3),
                responded_after=responded,
                status=status,
                assigned_to=attorneys[(day + n) % len(attorneys)].id,
                utm_source=source if source == "google" else None,
                source=source if source not in {"google", "www.bar-association.example"} else None,
                referrer_host=source if source == "www.bar-association.example" else None,
            )


@sqlite_only
def test_staff_read_the_dashboard_and_pick_a_range(
    page, api: LiveServer, attorney: Account
) -> None:
    second = add_account(api, Role.ATTORNEY, full_name="Bruno Barrister")
    third = add_account(api, Role.ATTORNEY, full_name="Chen Counsel")
    seed_month(api, [attorney, second, third])
    sign_in(page, attorney.email)
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/dashboard")
    charts = page.locator("svg.chart")
    assert charts.count() == 2
    assert page.locator("svg.chart").first.get_attribute("role") == "img"
    assert page.locator("#per-day-title").text_content() == "Leads per day"
    assert page.locator("svg.chart").first.locator("rect.chart-bar").count() == 30
    # The bars are drawn with the stylesheet's colours (the policy allows no inline style).
    fill = page.locator("rect.chart-bar").first.evaluate("bar => getComputedStyle(bar).fill")
    assert fill == "rgb(44, 62, 92)"
    assert page.locator("rect.chart-bar").first.bounding_box()["width"] > 5
    # The same numbers as the API's.
    stats = attorney.client.get("/api/v1/stats").json()
    assert stats["total"] > 60
    assert page.locator(".summary .stat dd").first.inner_text() == str(stats["total"])
    sources = page.locator("#source-table tbody tr")
    assert sources.count() == 5
    assert "direct" in page.locator("#source-table").inner_text()
    assert page.locator("#attorney-table tbody tr").count() == 3
    assert "Bruno Barrister" in page.locator("#attorney-table").inner_text()
    # The per-day numbers are in a table too, behind a disclosure.
    page.get_by_text("Leads per day as a table").click()
    assert page.locator("#per-day-table tbody tr").count() == 30
    page.get_by_text("Leads per day as a table").click()
    shot(page, "11-dashboard")

    page.get_by_label("From", exact=True).fill("2026-01-05")
    page.get_by_label("To", exact=True).fill("2026-01-11")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/dashboard?from=2026-01-05&to=2026-01-11")
    assert "5 January 2026 to 11 January 2026" in page.locator("main").inner_text()
    assert page.locator("svg.chart").first.locator("rect.chart-bar").count() == 7
    page.get_by_role("link", name="Last 7 days").click()
    assert page.locator("svg.chart").first.locator("rect.chart-bar").count() == 7


@sqlite_only
def test_an_admin_exports_the_filtered_inbox(
    page, api: LiveServer, admin: Account, attorney: Account
) -> None:
    add_lead(api, datetime.now(UTC), first_name="Pending", assigned_to=attorney.id)
    add_lead(api, datetime.now(UTC), first_name="Answered", responded_after=timedelta(minutes=3))
    sign_in(page, admin.email)
    page.get_by_label("Status").select_option("PENDING")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/leads?*status=PENDING*")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export these leads (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.startswith(
        "leads-"
    ) and download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert [row["first_name"] for row in rows] == ["Pending"]


# --- the form inside another site -------------------------------------------------------------

HOST_PAGE = """<!doctype html><html><head><title>Firm site</title></head><body>
<h1>Our firm</h1>
<iframe id="intake" src="{form}/?utm_source=firm-site&utm_campaign=embed" title="Request a consultation"
        width="700" height="1000"></iframe>
</body></html>"""


class _Host:
    """A page of the firm's own site (another origin) that frames the form at `form_url`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.form_url = ""
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = HOST_PAGE.format(form=host.form_url).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def origin(self) -> str:
        # "localhost", not 127.0.0.1: another site than the form's, as a firm's own site is.
        return f"http://localhost:{self.port}"


@pytest.fixture(scope="module")
def embedding(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, _Host, _Host]]:
    """A form server that lets one host page frame it (FORM_EMBED_ORIGINS) and not another."""
    directory = tmp_path_factory.mktemp("embedding")
    url = f"sqlite:///{directory / 'lead_manager.db'}"
    upgrade_to_head(url)
    allowed, other = _Host(), _Host()
    server = start_server(make_settings(directory, url, form_embed_origins=[allowed.origin]))
    allowed.form_url = other.form_url = server.base_url
    yield server, allowed, other
    for host in (allowed, other):
        host.server.shutdown()
    server.stop()
    server.engine.dispose()


def test_the_form_works_inside_the_firms_site_only(browser, embedding, tmp_path) -> None:
    server, allowed, other = embedding
    resume = tmp_path / "cv.pdf"
    resume.write_bytes(documents.pdf())
    context = browser.new_context(viewport={"width": 900, "height": 1100})
    site = context.new_page()
    site.set_default_timeout(10_000)
    site.goto(f"{allowed.origin}/")
    frame = site.frame_locator("#intake")
    frame.get_by_label("First name").fill("Framed")
    frame.get_by_label("Last name").fill("Visitor")
    frame.get_by_label("Email address").fill("framed@example.com")
    frame.get_by_label("Resume").set_input_files(str(resume))
    frame.get_by_role("button", name="Send request").click()
    expect(frame.locator("h1")).to_contain_text("we have your request")
    with server.session() as session:
        lead = session.scalars(select(Lead)).one()
    assert (lead.first_name, lead.utm_source, lead.utm_campaign, lead.referrer_host) == (
        "Framed", "firm-site", "embed", "localhost"
    )  # fmt: skip

    # The README's fetch example, from the firm's page: CORS lets it read the answer.
    created = site.evaluate(
        """async (url) => {
            const form = new FormData();
            form.append("first_name", "Fetched"); form.append("last_name", "Visitor");
            form.append("email", "fetched@example.com"); form.append("utm_source", "site-widget");
            form.append("resume", new Blob(["My resume, in plain text."], {type: "text/plain"}), "cv.txt");
            const response = await fetch(url + "/api/v1/leads", {method: "POST", body: form});
            return {status: response.status, body: await response.json()};
        }""",
        server.base_url,
    )
    assert created["status"] == 201 and created["body"]["first_name"] == "Fetched"

    # Another site: the browser refuses to show the form in its frame, and cannot read answers.
    blocked = context.new_page()
    blocked.goto(f"{other.origin}/", wait_until="load")  # the frame's (refused) load included
    assert blocked.frame_locator("#intake").get_by_label("First name").count() == 0
    refused = blocked.evaluate(
        """async (url) => {
            try { await fetch(url + "/api/v1/leads", {method: "POST", body: new FormData()}); return "read"; }
            catch (error) { return "refused"; }
        }""",
        server.base_url,
    )
    assert refused == "refused"
    context.close()
