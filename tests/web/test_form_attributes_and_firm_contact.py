"""Form fields carry real length attributes; the firm's phone and address reach the prospect."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lead_manager.core.migrations import upgrade_to_head
from tests.conftest import Account, LiveServer, make_settings, start_server
from tests.web.pages import web_login

PHONE = "+1 (555) 010-0100"
ADDRESS = "12 Court Street, Springfield"


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("input", "textarea") and values.get("id"):
            self.fields[str(values["id"])] = values


def inputs(page: str) -> dict[str, dict[str, str | None]]:
    parser = _Inputs()
    parser.feed(page)
    return parser.fields


def test_lead_form_inputs_carry_real_maxlength_attributes(api: LiveServer, public) -> None:
    page = public.get("/").text
    assert "&#34;" not in page
    fields = inputs(page)
    limits = {name: fields[name].get("maxlength") for name in ("first_name", "last_name")}
    assert limits == {"first_name": "100", "last_name": "100"}
    assert fields["email"]["maxlength"] == "320"
    assert fields["phone"]["maxlength"] == "40"
    assert fields["message"]["maxlength"] == "5000"


def test_new_user_form_carries_minlength_for_the_password(api: LiveServer, admin: Account) -> None:
    client = web_login(api, admin.email)
    page = client.get("/admin/users").text
    client.close()
    assert "&#34;" not in page
    fields = inputs(page)
    assert fields["password"]["minlength"] == "12"
    assert fields["full_name"]["maxlength"] == "200"
    assert fields["email"]["maxlength"] == "320"


def test_without_a_firm_phone_the_thanks_page_promises_no_call(api: LiveServer, public) -> None:
    page = public.get("/thanks").text
    assert "call our office" not in page
    assert "tel:" not in page and "firm-contact" not in page


@pytest.fixture(scope="module")
def firm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory: Path = tmp_path_factory.mktemp("firm-contact")
    url = f"sqlite:///{directory / 'lead_manager.db'}"
    upgrade_to_head(url)
    server = start_server(make_settings(directory, url, firm_phone=PHONE, firm_address=ADDRESS))
    yield server
    server.stop()
    server.engine.dispose()


def test_firm_phone_and_address_on_the_pages(firm: LiveServer) -> None:
    with firm.client() as client:
        thanks = client.get("/thanks").text
        form = client.get("/").text
    assert f'call our office on <a href="tel:+1(555)010-0100">{PHONE}</a>' in thanks
    for page in (thanks, form):
        assert ADDRESS in page and PHONE in page  # the footer
