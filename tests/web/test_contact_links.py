"""Links built from a prospect's text on the lead page are percent-encoded (issue 13, finding 8):
an address such as `x?bcc=...&body=...@example.org` passes validation, and must not add
headers or parameters to the attorney's mail client."""

from __future__ import annotations

import html
import re

from tests.conftest import Account, LiveServer
from tests.intake import submit
from tests.web.pages import web_login

HOSTILE_EMAIL = "x?bcc=spy%40evil.com&body=wire-the-fee#@example.org"


def link(page: str, scheme: str) -> str:
    match = re.search(rf'href="({scheme}:[^"]*)"', page)
    assert match, f"no {scheme}: link on the page"
    return html.unescape(match.group(1))


def test_mailto_link_cannot_add_a_bcc_or_a_body(api: LiveServer, attorney: Account, public) -> None:
    response = submit(public, email=HOSTILE_EMAIL)
    assert response.status_code == 201, response.text  # a valid address, oddly shaped
    page = web_login(api, attorney.email).get(f"/leads/{response.json()['id']}").text
    href = link(page, "mailto")
    assert href == "mailto:x%3Fbcc%3Dspy%2540evil.com%26body%3Dwire-the-fee%23@example.org"
    assert not set("?&=#") & set(href)
    # The address is still shown as it is, escaped.
    assert html.escape(HOSTILE_EMAIL, quote=False) in page


def test_ordinary_contact_links_read_as_before(api: LiveServer, attorney: Account, public) -> None:
    response = submit(public, email="jane+leads@example.com", phone="+1 (555) 010-0199")
    page = web_login(api, attorney.email).get(f"/leads/{response.json()['id']}").text
    assert link(page, "mailto") == "mailto:jane+leads@example.com"
    assert link(page, "tel") == "tel:+1%28555%29010-0199"
