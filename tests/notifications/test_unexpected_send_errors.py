"""One bad email holds up no other (issue 13, finding 9): an unexpected error while rendering
counts as a failed attempt, and internationalised addresses go out with SMTPUTF8."""

from __future__ import annotations

from sqlalchemy import update

from lead_manager.outbox.models import MessageKind, OutboxMessage, OutboxStatus
from tests.conftest import Account, LiveServer
from tests.intake import submit
from tests.notifications.mailserver import (
    Mailbox,
    dispatcher_for,
    outbox_rows,
    run_until,
    smtp_server,
    smtp_settings,
)

MAX_ATTEMPTS = 3


def test_a_message_that_fails_to_render_unexpectedly_is_retried_then_given_up_alone(
    api: LiveServer, attorney: Account, public
) -> None:
    for index in range(3):
        assert submit(public, email=f"prospect{index}@example.com").status_code == 201
    rows = outbox_rows(api)
    bad = next(r for r in rows if r.kind == MessageKind.LEAD_ACKNOWLEDGEMENT)
    with api.session() as session:
        # Not a lead id at all: loading the lead raises, which no rule of the channel expects.
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == bad.id)
            .values(payload={"lead_id": "not-a-lead-id"})
        )
        session.commit()
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        settings = smtp_settings(
            api, port, dispatcher_max_attempts=MAX_ATTEMPTS, dispatcher_batch_size=50
        )
        dispatcher = dispatcher_for(api, settings)
        # The first batch holds every message: the bad one must not stop the others in it.
        assert dispatcher.run_once() == len(rows)
        assert mailbox.count() == len(rows) - 1
        first = {r.id: r for r in outbox_rows(api)}[bad.id]
        assert (first.status, first.attempts) == (OutboxStatus.PENDING, 1)
        assert first.locked_by is None  # its lease is given back, not waited out
        run_until(
            dispatcher,
            lambda: {r.id: r for r in outbox_rows(api)}[bad.id].status == OutboxStatus.FAILED,
        )
    final = {r.id: r for r in outbox_rows(api)}
    assert final[bad.id].attempts == MAX_ATTEMPTS
    assert final[bad.id].last_error and "unexpected" in final[bad.id].last_error
    assert all(r.status == OutboxStatus.SENT for i, r in final.items() if i != bad.id)
    assert mailbox.count() == len(rows) - 1


def international_lead(api: LiveServer, public) -> None:
    # Intake accepts it: whether the mail server will take it is not known then.
    response = submit(public, email="jöhn@example.com")
    assert response.status_code == 201, response.text


def test_an_internationalised_address_is_sent_with_smtputf8_when_offered(
    api: LiveServer, attorney: Account, public
) -> None:
    international_lead(api, public)
    mailbox = Mailbox()
    with smtp_server(mailbox, enable_SMTPUTF8=True) as port:
        run_until(
            dispatcher_for(api, smtp_settings(api, port)),
            lambda: all(r.status == OutboxStatus.SENT for r in outbox_rows(api)),
        )
    by_recipient = {d.recipients[0]: d for d in mailbox.snapshot()}
    assert set(by_recipient) == {"jöhn@example.com", attorney.email}
    assert by_recipient["jöhn@example.com"].smtp_utf8
    assert not by_recipient[attorney.email].smtp_utf8  # ASCII-only mail stays as it was


def test_without_smtputf8_only_that_message_is_given_up_with_a_clear_reason(
    api: LiveServer, attorney: Account, public
) -> None:
    international_lead(api, public)
    mailbox = Mailbox()
    with smtp_server(mailbox, enable_SMTPUTF8=False) as port:
        run_until(
            dispatcher_for(api, smtp_settings(api, port)),
            lambda: all(r.status != OutboxStatus.PENDING for r in outbox_rows(api)),
        )
    status = {r.kind: r for r in outbox_rows(api)}
    acknowledgement = status[MessageKind.LEAD_ACKNOWLEDGEMENT]
    assert acknowledgement.status == OutboxStatus.FAILED
    assert acknowledgement.attempts == 1  # permanent: retrying cannot help
    assert acknowledgement.last_error and "SMTPUTF8" in acknowledgement.last_error
    assert status[MessageKind.ATTORNEY_NOTIFICATION].status == OutboxStatus.SENT
    assert [d.recipients for d in mailbox.snapshot()] == [[attorney.email]]


def test_an_unexpected_error_opening_the_channel_counts_an_attempt_for_each_message(
    api: LiveServer, attorney: Account, public
) -> None:
    """SMTP_HOST that the resolver cannot even encode raises UnicodeError, not OSError."""
    assert submit(public).status_code == 201
    settings = smtp_settings(api, 25, smtp_host="bad..host", dispatcher_max_attempts=2)
    dispatcher = dispatcher_for(api, settings)
    assert dispatcher.run_once() == 2
    after_one = outbox_rows(api)
    assert [(r.status, r.attempts, r.locked_by) for r in after_one] == [
        (OutboxStatus.PENDING, 1, None)
    ] * 2
    run_until(dispatcher, lambda: all(r.status == OutboxStatus.FAILED for r in outbox_rows(api)))
    final = outbox_rows(api)
    assert {r.attempts for r in final} == {2}
    assert all(r.last_error and "unexpected UnicodeError" in r.last_error for r in final)
