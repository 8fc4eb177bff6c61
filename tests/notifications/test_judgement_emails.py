"""What the emails say about returning prospects and conflicts, and what the acknowledgement may
carry (issue 13 finding 6), through the real SMTP server."""

from __future__ import annotations

import pytest

from tests.conftest import Account, LiveServer
from tests.intake import submit
from tests.notifications.mailserver import (
    Delivery,
    Mailbox,
    dispatcher_for,
    run_until,
    smtp_server,
    smtp_settings,
)


def deliver_all(api: LiveServer, expected: int) -> list[Delivery]:
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        dispatcher = dispatcher_for(api, smtp_settings(api, port))
        run_until(dispatcher, lambda: mailbox.count() >= expected)
        dispatcher.run_once()
    return mailbox.snapshot()


def bodies(delivery: Delivery) -> tuple[str, str]:
    text = delivery.message.get_body(preferencelist=("plain",))
    html = delivery.message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_notification_says_returning_and_conflict(
    api: LiveServer, admin: Account, attorney: Account, public
) -> None:
    admin.client.post("/api/v1/parties", json={"name": "Roadrunner Inc.", "kind": "client"})
    admin.client.post("/api/v1/parties", json={"name": "Acme Corp", "kind": "adverse_party"})
    first = submit(public, first_name="Wile", last_name="Coyote", email="wile@example.com")
    second = submit(
        public,
        first_name="Wile",
        last_name="Coyote",
        email="Wile+acme@example.com",
        opposing_parties="Road Runner LLC\nRoadrunner Incorporated\nACME",
    )
    assert first.status_code == second.status_code == 201
    first_id, second_id = first.json()["id"], second.json()["id"]
    deliveries = deliver_all(api, 4)
    to_attorney = [d for d in deliveries if d.recipients == [attorney.email]]
    to_prospect = [d for d in deliveries if d.recipients != [attorney.email]]
    assert len(to_attorney) == len(to_prospect) == 2
    by_lead = {
        lead_id: next(d for d in to_attorney if f"/leads/{lead_id}" in bodies(d)[0])
        for lead_id in (first_id, second_id)
    }
    plain_first, html_first = bodies(by_lead[first_id])
    for body in (plain_first, html_first):
        assert "conflict" not in body.lower()
        assert "Returning prospect" not in body
    plain, html = bodies(by_lead[second_id])
    earlier = f"https://leads.example.test/leads/{first_id}"
    for body in (plain, html):
        assert "Returning prospect" in body and earlier in body
        assert "conflict of interest" in body.lower()
        # Two names hit Roadrunner (one hit per party and side), one hits Acme.
        assert "2 hits" in body
    assert "POTENTIAL CONFLICT OF INTEREST" in plain
    assert "Potential conflict of interest" in html
    for acknowledgement in to_prospect:
        raw = acknowledgement.message.as_string().lower()
        assert "conflict" not in raw and "returning" not in raw and "roadrunner" not in raw


@pytest.mark.parametrize(
    ("first_name", "greeting"),
    [
        ("Zoë", "Dear Zoë,"),
        ("Visit cheap-pills.example now", "Hello,"),
        ("http://evil.example/x", "Hello,"),
        ("mail me at spam@evil.example", "Hello,"),
        ("A" * 41, "Hello,"),
        ("A" * 40, "Dear " + "A" * 40 + ","),
        ("www.spam", "Hello,"),
    ],
)
def test_acknowledgement_carries_only_a_plausible_first_name(
    api: LiveServer, attorney: Account, public, first_name: str, greeting: str
) -> None:
    response = submit(
        public,
        first_name=first_name[:100],
        last_name="Buy cheap pills at http://spam.example",
        email="victim@example.org",
        message="Click http://spam.example to claim your prize",
        opposing_parties="Spam Inc",
    )
    assert response.status_code == 201, response.text
    deliveries = deliver_all(api, 2)
    (ack,) = [d for d in deliveries if d.recipients == ["victim@example.org"]]
    raw = ack.message.as_string()
    plain, html = bodies(ack)
    assert greeting in plain
    assert greeting.replace("ë", "&#235;") in html or greeting in html
    for submitted in ("spam.example", "claim your prize", "Buy cheap", "Spam Inc", "evil.example"):
        assert submitted not in raw and submitted not in plain and submitted not in html


def test_a_fourth_submission_in_a_day_gets_no_acknowledgement(
    api: LiveServer, attorney: Account, public
) -> None:
    for address in (
        "Jane@example.com",
        "jane+1@example.com",
        "jane@EXAMPLE.com",
        "jane+2@example.com",
    ):
        assert submit(public, email=address).status_code == 201
    deliveries = deliver_all(api, 7)
    to_prospect = [d for d in deliveries if d.recipients != [attorney.email]]
    to_attorney = [d for d in deliveries if d.recipients == [attorney.email]]
    assert len(to_prospect) == 3
    assert len(to_attorney) == 4
