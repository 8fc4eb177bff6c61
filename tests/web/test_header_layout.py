"""The page header on a phone, where the navigation wraps below the brand."""

from __future__ import annotations

import pytest

from tests.conftest import Account, LiveServer
from tests.web.test_browser import browser, playwright_api, sign_in

__all__ = ["browser"]  # the fixture, shared with the other browser tests

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_the_logo_keeps_clear_of_the_top_edge_when_the_navigation_wraps(
    browser: playwright_api.Browser, api: LiveServer, admin: Account
) -> None:
    context = browser.new_context(base_url=api.base_url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, admin.email)
    page.goto("/admin/users")
    header = page.locator(".site-header").bounding_box()
    mark = page.locator(".brand-mark").bounding_box()
    nav = page.locator(".site-nav").bounding_box()
    context.close()
    assert header and mark and nav
    assert nav["y"] >= mark["y"] + mark["height"], "the navigation should wrap at 390 px"
    assert mark["y"] - header["y"] >= 8
    # The header's 3 px bottom border excluded.
    assert header["y"] + header["height"] - 3 - (nav["y"] + nav["height"]) >= 8
