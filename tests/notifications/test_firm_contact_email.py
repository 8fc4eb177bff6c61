"""The acknowledgement email carries the firm's phone and address when they are configured."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer
from tests.intake import submit
from tests.notifications.mailserver import (
    Mailbox,
    dispatcher_for,
    run_until,
    smtp_server,
    smtp_settings,
)

PHONE = "+1 (555) 010-0100"
ADDRESS = "12 Court Street, Springfield"


def acknowledgement(api: LiveServer, public, **firm: str) -> tuple[str, str]:
    assert submit(public, email="prospect@example.com").status_code == 201
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        run_until(
            dispatcher_for(api, smtp_settings(api, port, **firm)), lambda: mailbox.count() >= 1
        )
    (delivery,) = [d for d in mailbox.snapshot() if "prospect@example.com" in d.recipients]
    message = delivery.message
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_acknowledgement_names_the_firms_phone_and_address(api: LiveServer, public) -> None:
    text, html = acknowledgement(api, public, firm_phone=PHONE, firm_address=ADDRESS)
    assert f"please call us on {PHONE}" in text
    assert ADDRESS in text and f"Telephone {PHONE}" in text
    assert PHONE in html and ADDRESS in html


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_acknowledgement_without_them_says_nothing_of_a_call(api: LiveServer, public) -> None:
    text, html = acknowledgement(api, public)
    assert "call us" not in text and "Telephone" not in text
    assert "tel:" not in html
