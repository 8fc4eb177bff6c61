"""The inbox's "Unassigned" filter in a real browser."""

from __future__ import annotations

import pytest

from lead_manager.users.models import Role
from tests.conftest import Account, LiveServer, add_account
from tests.intake import submit
from tests.web.test_browser import browser, page, shot, sign_in  # noqa: F401 - fixtures

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_the_unassigned_filter_shows_only_leads_nobody_has(
    page,  # noqa: F811 - the fixture imported above
    api: LiveServer,
    admin: Account,
    public,
) -> None:
    add_account(api, Role.ATTORNEY, available=False)
    assert submit(public, email="nobody@example.com").status_code == 201
    add_account(api, Role.ATTORNEY, full_name="Carla Counsel")
    assert submit(public, email="taken@example.com").status_code == 201
    sign_in(page, admin.email)
    rows = page.locator("tbody tr")
    assert rows.count() == 2
    page.get_by_label("Unassigned").check()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/leads?*assigned_to=none*")
    assert rows.count() == 1
    assert "nobody@example.com" in rows.first.inner_text()
    assert "Unassigned" in rows.first.inner_text()
    assert page.get_by_label("Unassigned").is_checked()
    shot(page, "inbox-unassigned")
