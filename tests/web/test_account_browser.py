"""Accounts in a real browser: a forgotten password reset by the emailed link, a password change
on /account that keeps this browser signed in, and signing out ending the session on the server."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default
from urllib.parse import urlsplit

import pytest

from lead_manager.notifications.dispatcher import Dispatcher
from tests.conftest import PASSWORD, Account, LiveServer
from tests.web.test_browser import browser, page, shot, sign_in

__all__ = ["browser", "page"]  # fixtures, used by name
playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RESET_PASSWORD = "a different horse on another staple"
CHANGED_PASSWORD = "yet another horse and its staple"


def emailed_reset_path(api: LiveServer, to: str) -> str:
    """The link's path and query in the one email in MAIL_DIR (.eml files: no SMTP is set)."""
    (eml,) = list(api.settings.mail_dir.glob("*.eml"))
    message = message_from_bytes(eml.read_bytes(), policy=default)
    assert message["To"] == to
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    (link,) = re.findall(r"https://\S+/reset-password\?token=\S+", body.get_content())
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def test_a_forgotten_password_is_reset_by_the_emailed_link(
    page, api: LiveServer, attorney: Account
) -> None:
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.wait_for_url("**/forgot-password")
    page.get_by_label("Email address").fill(attorney.email)
    page.get_by_role("button", name="Email me a link").click()
    page.wait_for_selector(".notice")
    assert "is on its way" in page.locator(".notice").inner_text()
    shot(page, "account-forgot-password")

    Dispatcher(api.settings, api.engine, name="browser-test").run_once()
    page.goto(emailed_reset_path(api, attorney.email))
    page.get_by_label("New password").fill("password1234")
    page.get_by_role("button", name="Set the password").click()
    assert "too common" in page.locator("#new_password-error").inner_text()
    page.get_by_label("New password").fill(RESET_PASSWORD)
    page.get_by_role("button", name="Set the password").click()
    page.wait_for_url("**/login")
    assert "Please sign in with it" in page.locator(".notice").inner_text()
    shot(page, "account-password-reset")
    # The attorney's earlier session is over; the new password signs in.
    assert attorney.client.get("/api/v1/users/me").status_code == 401
    sign_in(page, attorney.email, RESET_PASSWORD)

    # The same link a second time: refused, with a way to ask for a new one.
    page.context.clear_cookies()
    page.goto(emailed_reset_path(api, attorney.email))
    page.get_by_label("New password").fill(CHANGED_PASSWORD)
    page.get_by_role("button", name="Set the password").click()
    assert "invalid or has expired" in page.locator("#token-error").inner_text()


def test_changing_the_password_keeps_this_browser_signed_in_and_sign_out_ends_it(
    page, browser, api: LiveServer, attorney: Account
) -> None:
    sign_in(page, attorney.email)
    page.goto("/account")
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password").fill(CHANGED_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    assert "not correct" in page.locator("#current_password-error").inner_text()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill(CHANGED_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    page.wait_for_selector(".notice")
    assert "Your password has been changed" in page.locator(".notice").inner_text()
    shot(page, "account-password-changed")
    # Still signed in here; the API token from before the change is not.
    page.goto("/leads")
    assert page.url.endswith("/leads")
    assert attorney.client.get("/api/v1/users/me").status_code == 401

    cookies = page.context.cookies()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    # A copy of the old cookie (another browser) no longer signs in.
    other = browser.new_context(base_url=api.base_url)
    try:
        other.add_cookies(cookies)
        copy = other.new_page()
        copy.goto("/account")
        assert urlsplit(copy.url).path == "/login"
    finally:
        other.close()
