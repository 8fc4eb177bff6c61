"""Webhooks end to end over real HTTP: registration, signed deliveries to real receivers
(verified with the standardwebhooks library), retries, timeouts and redirects."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lead_manager.leads.escalation import EscalationJob
from lead_manager.leads.models import Lead
from lead_manager.leads.schemas import LeadRead
from lead_manager.outbox.models import OutboxMessage
from lead_manager.users.models import Role
from lead_manager.webhooks.models import WebhookEndpoint
from tests.conftest import Account, LiveServer, add_account
from tests.intake import submit
from tests.notifications.mailserver import run_until
from tests.webhooks.helpers import deliveries, dispatcher, register
from tests.webhooks.receiver import Answer, receiver


@pytest.fixture
def private_ok(api: LiveServer, monkeypatch: pytest.MonkeyPatch) -> LiveServer:
    """The receivers listen on 127.0.0.1: allowed for these tests (WEBHOOK_ALLOW_PRIVATE)."""
    monkeypatch.setattr(api.settings, "webhook_allow_private", True)
    return api


def test_register_list_and_delete(private_ok: LiveServer, admin: Account) -> None:
    response = admin.client.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hooks", "events": ["lead.status_changed", "lead.created"]},
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"/api/v1/webhooks/{created['id']}"
    assert set(created) == {"id", "url", "events", "secret", "created_at"}
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["events"] == ["lead.created", "lead.status_changed"]
    listed = admin.client.get("/api/v1/webhooks").json()["items"]
    assert listed == [{k: v for k, v in created.items() if k != "secret"}]
    with private_ok.session() as session:
        stored = session.get(WebhookEndpoint, uuid.UUID(created["id"]))
        assert stored is not None
        # Encrypted at rest: the database alone does not reveal it.
        assert created["secret"] not in stored.secret_ciphertext
        assert created["secret"].removeprefix("whsec_") not in stored.secret_ciphertext
    assert deliveries(admin, created["id"]) == []
    assert admin.client.delete(f"/api/v1/webhooks/{created['id']}").status_code == 204
    assert admin.client.get("/api/v1/webhooks").json()["items"] == []
    assert admin.client.get(f"/api/v1/webhooks/{created['id']}/deliveries").status_code == 404
    assert admin.client.delete(f"/api/v1/webhooks/{created['id']}").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.com/x", "events": ["lead.created"]},
        {"url": "javascript:alert(1)", "events": ["lead.created"]},
        {"url": "https://user:pw@example.com/x", "events": ["lead.created"]},
        {"url": "https://exa mple.com/x", "events": ["lead.created"]},
        {"url": "https:///nohost", "events": ["lead.created"]},
        {"url": "https://example.com/" + "x" * 2000, "events": ["lead.created"]},
        {"url": "https://example.com/x", "events": []},
        {"url": "https://example.com/x", "events": ["lead.deleted"]},
        {"url": "https://example.com/x"},
        {"url": "https://example.com/x", "events": ["lead.created"], "secret": "mine"},
    ],
)
def test_bad_registrations_are_422(
    private_ok: LiveServer, admin: Account, body: dict[str, object]
) -> None:
    response = admin.client.post("/api/v1/webhooks", json=body)
    assert response.status_code == 422, response.text
    assert admin.client.get("/api/v1/webhooks").json()["items"] == []


def test_only_admins_manage_webhooks(attorney: Account, public) -> None:
    assert attorney.client.get("/api/v1/webhooks").status_code == 403
    body = {"url": "https://example.com/x", "events": ["lead.created"]}
    assert attorney.client.post("/api/v1/webhooks", json=body).status_code == 403
    assert public.get("/api/v1/webhooks").status_code == 401
    some = uuid.uuid4()
    assert attorney.client.delete(f"/api/v1/webhooks/{some}").status_code == 403
    assert attorney.client.get(f"/api/v1/webhooks/{some}/deliveries").status_code == 403


def test_events_arrive_signed_with_the_lead_list_item(
    private_ok: LiveServer, admin: Account, attorney: Account, public
) -> None:
    with receiver() as everything, receiver() as created_only:
        all_hook = register(admin, everything.url)
        created_hook = register(admin, created_only.url, ["lead.created"])
        lead = submit(public, source="Radio").json()
        assert (
            attorney.client.patch(
                f"/api/v1/leads/{lead['id']}", json={"status": "REACHED_OUT"}
            ).status_code
            == 200
        )
        # Repeating the status changes nothing, and sends nothing.
        attorney.client.patch(f"/api/v1/leads/{lead['id']}", json={"status": "REACHED_OUT"})
        worker = dispatcher(private_ok)
        run_until(worker, lambda: len(everything.received) == 2 and len(created_only.received) == 1)
        assert worker.run_once() == 0

    bodies = everything.verified(all_hook["secret"])
    assert [body["type"] for body in bodies] == ["lead.created", "lead.status_changed"]
    created, changed = bodies
    assert set(created) == {"type", "timestamp", "data"}
    assert set(created["data"]) == set(LeadRead.model_fields)  # never notes, messages or resumes
    assert {k: created["data"][k] for k in lead} == lead
    assert created["data"]["assigned_to"] == str(attorney.id)
    assert changed["data"]["status"] == "REACHED_OUT" and changed["data"]["id"] == lead["id"]
    stamp = datetime.fromisoformat(str(created["timestamp"]))
    assert abs(stamp - datetime.now(UTC)) < timedelta(minutes=1)
    (request, _) = everything.received
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["webhook-signature"].startswith("v1,")
    assert int(request.headers["webhook-timestamp"]) == pytest.approx(
        datetime.now(UTC).timestamp(), abs=60
    )
    # Each endpoint's own secret: the other's does not verify.
    assert created_only.verified(created_hook["secret"])[0]["type"] == "lead.created"
    with pytest.raises(Exception, match="signature"):
        created_only.verified(all_hook["secret"])

    items = deliveries(admin, all_hook["id"])
    assert [(i["type"], i["attempts"], i["status_code"]) for i in items] == [
        ("lead.status_changed", 1, 204),
        ("lead.created", 1, 204),
    ]
    assert all(i["delivered_at"] for i in items)
    assert {i["event_id"] for i in items} == {r.headers["webhook-id"] for r in everything.received}


def test_a_failing_receiver_gets_the_same_message_again(
    private_ok: LiveServer, admin: Account, public
) -> None:
    with receiver(lambda n: Answer(500 if n == 0 else 200)) as flaky:
        hook = register(admin, flaky.url, ["lead.created"])
        submit(public)
        run_until(dispatcher(private_ok), lambda: len(flaky.received) == 2)
        (item,) = deliveries(admin, hook["id"])
        assert (item["attempts"], item["status_code"]) == (2, 200) and item["delivered_at"]
    first, second = flaky.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == item["event_id"]
    assert first.body == second.body
    assert flaky.verified(hook["secret"])[1]["type"] == "lead.created"


def test_a_receiver_slower_than_the_timeout_fails_and_is_given_up_on(
    private_ok: LiveServer, admin: Account, public
) -> None:
    with receiver(lambda _n: Answer(200, delay=3)) as slow:
        hook = register(admin, slow.url, ["lead.created"])
        submit(public)
        worker = dispatcher(private_ok, webhook_timeout_seconds=0.5, dispatcher_max_attempts=2)
        run_until(worker, lambda: deliveries(admin, hook["id"])[0]["attempts"] == 2)
        (item,) = deliveries(admin, hook["id"])
        assert item["status_code"] is None and item["delivered_at"] is None
        with private_ok.session() as session:
            row = session.get(OutboxMessage, uuid.UUID(item["event_id"]))
            assert (
                row is not None and row.status == "failed" and "Timeout" in (row.last_error or "")
            )
        assert worker.run_once() == 0  # given up: not tried again


def test_redirects_are_not_followed(private_ok: LiveServer, admin: Account, public) -> None:
    with (
        receiver() as elsewhere,
        receiver(lambda _n: Answer(307, {"Location": "ELSEWHERE"})) as moved,
    ):
        moved.answers = lambda _n: Answer(307, {"Location": elsewhere.url})
        hook = register(admin, moved.url, ["lead.created"])
        submit(public)
        worker = dispatcher(private_ok, dispatcher_max_attempts=1)
        run_until(worker, lambda: bool(moved.received) and worker.run_once() == 0)
        (item,) = deliveries(admin, hook["id"])
        assert (item["status_code"], item["delivered_at"]) == (307, None)
        assert elsewhere.received == []


def test_a_deleted_endpoint_gets_nothing_more(
    private_ok: LiveServer, admin: Account, public
) -> None:
    with receiver() as gone:
        hook = register(admin, gone.url, ["lead.created"])
        submit(public)
        assert admin.client.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
        worker = dispatcher(private_ok)
        run_until(worker, lambda: worker.run_once() == 0)
        assert gone.received == []
    with private_ok.session() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "webhook")).one()
        assert row.status == "failed" and row.last_error == "the endpoint was deleted"


def test_nothing_is_queued_without_subscribers(
    private_ok: LiveServer, admin: Account, public
) -> None:
    with receiver() as other:
        register(admin, other.url, ["lead.status_changed"])
        submit(public)
    with private_ok.session() as session:
        assert (
            session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "webhook")).all()
            == []
        )


def test_a_reassignment_is_a_lead_assigned_event(
    private_ok: LiveServer, admin: Account, attorney: Account, public
) -> None:
    colleague = add_account(private_ok, Role.ATTORNEY, full_name="Colin Colleague")
    with receiver() as assigned:
        hook = register(admin, assigned.url, ["lead.assigned"])
        lead = submit(public).json()
        first = admin.client.get(f"/api/v1/leads/{lead['id']}").json()["assigned_to"]
        # To whichever of the two the round-robin did not pick.
        target = str(colleague.id) if first == str(attorney.id) else str(attorney.id)
        response = admin.client.post(f"/api/v1/leads/{lead['id']}/assign", json={"user_id": target})
        assert response.status_code == 200, response.text
        run_until(dispatcher(private_ok), lambda: len(assigned.received) == 1)
    (event,) = assigned.verified(hook["secret"])
    assert event["type"] == "lead.assigned"
    assert event["data"]["id"] == lead["id"]
    assert event["data"]["assigned_to"] == target


def test_an_escalation_to_another_attorney_is_a_lead_assigned_event(
    private_ok: LiveServer, admin: Account, attorney: Account, public
) -> None:
    with receiver() as assigned:
        hook = register(admin, assigned.url, ["lead.assigned"])
        lead = submit(public).json()
        backup = add_account(private_ok, Role.ATTORNEY, full_name="Bob Backup")
        with private_ok.session() as session:
            stored = session.get(Lead, uuid.UUID(lead["id"]))
            assert stored is not None and stored.respond_by is not None
            late = stored.respond_by + timedelta(minutes=1)
        job = EscalationJob(private_ok.services.database, private_ok.services.clock)
        assert job.run_due(late, "test") == 1
        run_until(dispatcher(private_ok), lambda: len(assigned.received) == 1)
    (event,) = assigned.verified(hook["secret"])
    assert (event["type"], event["data"]["assigned_to"]) == ("lead.assigned", str(backup.id))


def test_erasure_scrubs_webhook_bodies_and_keeps_the_source(
    private_ok: LiveServer, admin: Account, attorney: Account, public
) -> None:
    with receiver() as got:
        register(admin, got.url, ["lead.created"])
        lead = submit(public, email="gone@example.com", utm_source="newsletter").json()
        run_until(dispatcher(private_ok), lambda: len(got.received) == 1)
    erased = admin.client.post(
        "/api/v1/privacy/erasures", json={"email": "gone@example.com", "reason": "Request"}
    )
    assert erased.status_code == 200, erased.text
    with private_ok.session() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "webhook")).one()
        assert row.payload == {}
        stored = session.get(Lead, uuid.UUID(lead["id"]))
        assert stored is not None
        assert (stored.source, stored.utm_source) == ("newsletter", None)
    stats = attorney.client.get("/api/v1/stats").json()
    assert stats["by_source"] == [{"source": "newsletter", "count": 1}]
