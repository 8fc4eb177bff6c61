"""Returning prospects and the conflict check at intake, over HTTP on both databases."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from lead_manager.audit.models import AuditEvent
from lead_manager.leads.models import Lead
from lead_manager.outbox.models import OutboxMessage
from lead_manager.users.models import Role
from tests.conftest import Account, LiveServer, add_account
from tests.intake import submit


def created(response) -> str:
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def detail(account: Account, lead_id: str) -> dict:
    response = account.client.get(f"/api/v1/leads/{lead_id}")
    assert response.status_code == 200, response.text
    return response.json()


def test_same_email_or_phone_links_to_the_earliest_lead(api, attorney: Account, public) -> None:
    first = created(submit(public, email="Jane.Doe@Example.com", phone="+1 555 010 0100"))
    by_tag = created(submit(public, email="jane.doe+work@example.COM", phone=""))
    by_phone = created(
        submit(public, email="other@example.com", first_name="Janet", phone="(555) 010-0100")
    )
    unrelated = created(submit(public, email="x@example.com", phone="555 010 0999"))
    bad_phone = created(submit(public, email="y@example.com", phone="123"))
    bad_phone_again = created(submit(public, email="z@example.com", phone="123"))
    assert detail(attorney, first)["duplicate_of"] is None
    assert detail(attorney, by_tag)["duplicate_of"] == first
    assert detail(attorney, by_phone)["duplicate_of"] == first
    assert detail(attorney, unrelated)["duplicate_of"] is None
    # An unparseable phone is stored as given but never matched.
    assert detail(attorney, bad_phone_again)["phone"] == "123"
    assert detail(attorney, bad_phone_again)["duplicate_of"] is None
    assert detail(attorney, first)["duplicates"] == [by_tag, by_phone]
    with api.session() as session:
        keys = {
            str(lead.id): (lead.email_key, lead.phone_key) for lead in session.scalars(select(Lead))
        }
    assert keys[by_tag] == ("jane.doe@example.com", None)
    assert keys[by_phone] == ("other@example.com", "+15550100100")
    assert keys[bad_phone][1] is None

    items = attorney.client.get("/api/v1/leads", params={"duplicates": "exclude"}).json()["items"]
    assert {i["id"] for i in items} == {first, unrelated, bad_phone, bad_phone_again}
    everything = attorney.client.get("/api/v1/leads").json()["items"]
    assert len(everything) == 6
    assert {i["id"]: i["duplicate_of"] for i in everything}[by_phone] == first
    assert attorney.client.get("/api/v1/leads", params={"duplicates": "maybe"}).status_code == 422


def test_returning_prospect_goes_to_the_earlier_attorney(api: LiveServer, public) -> None:
    alice = add_account(api, Role.ATTORNEY, full_name="Alice")
    bob = add_account(api, Role.ATTORNEY, full_name="Bob")
    first = created(submit(public, email="jane@example.com"))
    with api.session() as session:
        earlier = session.get(Lead, uuid.UUID(first))
        assert earlier is not None
        first_attorney, reason = earlier.assigned_to, earlier.assignment_reason
    assert reason == "round_robin"
    # Round-robin would pick the other attorney next; continuity keeps the same one.
    second = created(submit(public, email="JANE@example.com"))
    third = created(submit(public, email="jane+x@example.com"))
    with api.session() as session:
        leads = {str(lead.id): lead for lead in session.scalars(select(Lead))}
    for lead_id in (second, third):
        assert leads[lead_id].assigned_to == first_attorney
        assert leads[lead_id].assignment_reason == "returning_prospect"
    # Unavailable earlier attorney: round-robin instead.
    owner = alice if first_attorney == alice.id else bob
    other = bob if owner is alice else alice
    assert owner.client.patch("/api/v1/users/me", json={"is_available": False}).status_code == 200
    fourth = created(submit(public, email="jane@example.com"))
    with api.session() as session:
        lead = session.get(Lead, uuid.UUID(fourth))
        assert lead is not None
        assert (lead.assigned_to, lead.assignment_reason) == (other.id, "round_robin")


def test_similar_leads_by_contact_and_by_name(api, attorney: Account, public) -> None:
    jane = created(submit(public, first_name="Jane", last_name="Doe", email="jane@example.com"))
    same_mail = created(submit(public, first_name="J.", last_name="D.", email="JANE@example.com"))
    reversed_name = created(
        submit(public, first_name="Doe,", last_name="Jane", email="jd2@example.com")
    )
    accented = created(submit(public, first_name="Jäne", last_name="Doe", email="j3@example.com"))
    typo = created(submit(public, first_name="Jane", last_name="Dou", email="j4@example.com"))
    other = created(submit(public, first_name="John", last_name="Smith", email="js@example.com"))
    near_miss = created(
        submit(public, first_name="Joan", last_name="Dobbs", email="jd@example.com")
    )
    response = attorney.client.get(f"/api/v1/leads/{jane}/similar")
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    by_id = {i["lead"]["id"]: i for i in items}
    assert set(by_id) == {same_mail, reversed_name, accented, typo}
    assert by_id[same_mail]["reasons"] == ["email"]
    assert by_id[reversed_name]["reasons"] == ["name"]
    assert by_id[reversed_name]["score"] == 1.0
    assert 0.85 <= by_id[typo]["score"] < 1
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)
    assert other not in by_id and near_miss not in by_id
    assert set(items[0]["lead"]) >= {"id", "first_name", "last_name", "email", "status"}
    assert attorney.client.get(f"/api/v1/leads/{uuid.uuid4()}/similar").status_code == 404
    assert public.get(f"/api/v1/leads/{jane}/similar").status_code == 401


def test_similar_is_at_most_20(api, attorney: Account, public) -> None:
    ids = [created(submit(public, email=f"jane+{n}@example.com")) for n in range(23)]
    items = attorney.client.get(f"/api/v1/leads/{ids[0]}/similar").json()["items"]
    assert len(items) == 20
    assert ids[0] not in {i["lead"]["id"] for i in items}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Acme Corp\nRoadrunner LLC", ["Acme Corp", "Roadrunner LLC"]),
        (
            "Acme Corp; Roadrunner LLC;;  ;\r\n\r\nWile E. Coyote",
            ["Acme Corp", "Roadrunner LLC", "Wile E. Coyote"],
        ),
        ("  ", []),
        ("", []),
    ],
)
def test_opposing_parties_are_split_and_shown(
    api, attorney: Account, public, value, expected
) -> None:
    lead_id = created(submit(public, opposing_parties=value) if value else submit(public))
    assert detail(attorney, lead_id)["opposing_parties"] == expected


@pytest.mark.parametrize(
    "value",
    [";".join(f"Party {n}" for n in range(21)), "x" * 201, "Acme\x00Corp", "Acme\tCorp"],
)
def test_bad_opposing_parties_are_422_and_store_nothing(api: LiveServer, public, value) -> None:
    response = submit(public, opposing_parties=value)
    assert response.status_code == 422, response.text
    assert "opposing_parties" in response.text
    with api.session() as session:
        assert session.scalars(select(Lead)).first() is None
        assert session.scalars(select(OutboxMessage)).first() is None


def test_twenty_names_of_200_characters_are_fine(api, attorney: Account, public) -> None:
    names = [f"{n:03d}" + "x" * 197 for n in range(20)]
    lead_id = created(submit(public, opposing_parties="\n".join(names)))
    assert detail(attorney, lead_id)["opposing_parties"] == names


def test_three_acknowledgements_per_address_a_day(
    api: LiveServer, attorney: Account, public
) -> None:
    ids = [
        created(submit(public, email=e))
        for e in (
            "spam@example.com",
            "Spam@example.com",
            "spam+1@example.com",
            "spam+2@example.com",
            "SPAM@EXAMPLE.COM",
        )
    ]
    other = created(submit(public, email="someone.else@example.com"))
    with api.session() as session:
        rows = session.scalars(select(OutboxMessage)).all()
    acks = {str(r.lead_id) for r in rows if r.kind == "lead_acknowledgement"}
    notified = [str(r.lead_id) for r in rows if r.kind == "attorney_notification"]
    assert acks == {*ids[:3], other}
    # Every submission is stored and its attorney notified as usual.
    assert sorted(notified) == sorted([*ids, other])


def test_conflict_with_the_register(
    api: LiveServer, admin: Account, attorney: Account, public
) -> None:
    party = admin.client.post(
        "/api/v1/parties",
        json={"name": "ACME Holdings, Inc.", "kind": "adverse_party", "email": "boss@acme.example"},
    ).json()
    client = admin.client.post(
        "/api/v1/parties", json={"name": "Doe, John", "kind": "client"}
    ).json()
    admin.client.post("/api/v1/parties", json={"name": "Acme Foods", "kind": "client"})
    lead_id = created(
        submit(
            public,
            first_name="John",
            last_name="Dou",
            email="jd@example.com",
            opposing_parties="Acme Holdings LLC; Someone Unrelated",
        )
    )
    conflict = detail(attorney, lead_id)["conflict"]
    assert conflict["status"] == "potential"
    assert conflict["checked_at"] is not None
    assert conflict["resolved_by"] is None and conflict["note"] is None
    hits = {(h["id"], h["matched"]): h for h in conflict["hits"]}
    assert set(hits) == {(party["id"], "opposing_party"), (client["id"], "prospect")}
    acme = hits[(party["id"], "opposing_party")]
    assert acme == {
        "source": "party",
        "id": party["id"],
        "name": "ACME Holdings, Inc.",
        "kind": "adverse_party",
        "matched": "opposing_party",
        "query": "Acme Holdings LLC",
        "score": 1.0,
    }
    assert 0.9 <= hits[(client["id"], "prospect")]["score"] < 1
    assert hits[(client["id"], "prospect")]["query"] == "John Dou"
    # By email alone.
    by_mail = created(
        submit(public, first_name="Road", last_name="Runner", email="Boss+x@acme.example")
    )
    mail_hits = detail(attorney, by_mail)["conflict"]["hits"]
    assert [(h["id"], h["query"], h["score"]) for h in mail_hits] == [
        (party["id"], "Boss+x@acme.example", 1.0)
    ]
    clear = created(submit(public, first_name="Mary", last_name="Major", email="mm@example.com"))
    assert detail(attorney, clear)["conflict"] == {
        "status": "clear",
        "hits": [],
        "checked_at": detail(attorney, clear)["conflict"]["checked_at"],
        "resolved_by": None,
        "resolved_at": None,
        "note": None,
    }
    items = attorney.client.get("/api/v1/leads", params={"conflict": "potential"}).json()["items"]
    assert {i["id"] for i in items} == {lead_id, by_mail}
    assert all(i["conflict_status"] == "potential" for i in items)
    assert attorney.client.get("/api/v1/leads", params={"conflict": "bogus"}).status_code == 422


def test_conflict_with_earlier_leads(api, attorney: Account, public) -> None:
    first = created(
        submit(
            public,
            first_name="Wile",
            last_name="Coyote",
            email="w@example.com",
            opposing_parties="Road Runner",
        )
    )
    # The earlier lead's other side now comes as a prospect.
    runner = created(submit(public, first_name="Runner", last_name="Road", email="r@example.com"))
    hits = detail(attorney, runner)["conflict"]["hits"]
    assert [(h["source"], h["id"], h["kind"], h["matched"], h["name"]) for h in hits] == [
        ("lead", first, "opposing_party", "prospect", "Road Runner")
    ]
    # A later prospect names the earlier prospect as the other side.
    third = created(
        submit(
            public,
            first_name="Elmer",
            last_name="Fudd",
            email="e@example.com",
            opposing_parties="COYOTE, Wile",
        )
    )
    third_hits = detail(attorney, third)["conflict"]["hits"]
    assert ("lead", first, "prospect", "opposing_party") in {
        (h["source"], h["id"], h["kind"], h["matched"]) for h in third_hits
    }


def test_conflict_decision(api: LiveServer, admin: Account, attorney: Account, public) -> None:
    admin.client.post("/api/v1/parties", json={"name": "Jane Doe", "kind": "former_client"})
    lead_id = created(submit(public))
    other = add_account(api, Role.ATTORNEY)
    body = {"decision": "cleared", "note": "Different person: checked the matter file."}
    assert other.client.post(f"/api/v1/leads/{lead_id}/conflict", json=body).status_code == 403
    for bad in (
        {"decision": "maybe", "note": "x"},
        {"decision": "cleared", "note": "  "},
        {"decision": "cleared"},
    ):
        assert (
            attorney.client.post(f"/api/v1/leads/{lead_id}/conflict", json=bad).status_code == 422
        )
    response = attorney.client.post(f"/api/v1/leads/{lead_id}/conflict", json=body)
    assert response.status_code == 200, response.text
    conflict = response.json()["conflict"]
    assert conflict["status"] == "cleared"
    assert conflict["resolved_by"] == str(attorney.id)
    assert conflict["note"] == body["note"] and conflict["resolved_at"]
    assert len(conflict["hits"]) == 1
    confirmed = admin.client.post(
        f"/api/v1/leads/{lead_id}/conflict",
        json={"decision": "confirmed", "note": "On second look"},
    )
    assert confirmed.json()["conflict"]["status"] == "confirmed"
    with api.session() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "lead.conflict_resolved")
            .order_by(AuditEvent.at)
        ).all()
    assert [(e.target, e.details) for e in events] == [
        (lead_id, {"decision": "cleared", "note": body["note"]}),
        (lead_id, {"decision": "confirmed", "note": "On second look"}),
    ]
    clear = created(submit(public, first_name="Mary", last_name="Major", email="mm@example.com"))
    assert admin.client.post(f"/api/v1/leads/{clear}/conflict", json=body).status_code == 409
