"""One-time notices in a real browser: shown once after the action, gone on reload, and never
shown for a cookie the server did not sign."""

from __future__ import annotations

import pytest

from tests.conftest import Account, LiveServer
from tests.web.test_browser import browser, page, sign_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

SAVED = "Your changes have been saved."


def flash_cookies(page) -> list[dict]:  # noqa: F811 - the fixture's name
    return [c for c in page.context.cookies() if c["name"] == "lm_flash"]


def test_a_notice_shows_once_and_not_after_reload(
    page,  # noqa: F811 - the fixture imported above
    api: LiveServer,
    attorney: Account,
) -> None:
    sign_in(page, attorney.email)
    page.goto("/account")
    assert page.locator(".notice").count() == 0
    page.get_by_role("button", name="Pause new leads").click()
    page.wait_for_selector(".notice")
    assert page.locator(".notice").inner_text() == SAVED
    # Nothing in the address: the notice cannot be bookmarked, shared or logged.
    assert page.url == f"{api.base_url}/account"
    assert flash_cookies(page) == []
    page.reload()
    assert page.locator("#availability").inner_text() == "Unavailable"
    assert page.locator(".notice").count() == 0

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert page.locator(".notice").inner_text() == "You have been signed out."
    page.reload()
    assert page.locator(".notice").count() == 0


@pytest.mark.parametrize(
    "value",
    [
        "SAVED",  # unsigned
        "SAVED." + "0" * 64,  # a forged signature
        "Hello<b>there</b>.abc",  # text of the visitor's choosing
    ],
)
def test_a_cookie_the_server_did_not_sign_shows_nothing(
    page,  # noqa: F811 - the fixture imported above
    api: LiveServer,
    attorney: Account,
    value: str,
) -> None:
    sign_in(page, attorney.email)
    page.context.add_cookies([{"name": "lm_flash", "value": value, "url": api.base_url}])
    page.goto("/account")
    assert page.locator("h1").inner_text() == "Your account"
    assert page.locator(".notice").count() == 0
    # The page clears it all the same.
    assert flash_cookies(page) == []
