"""The conflict register over HTTP, on both databases: add, list and search with paging, remove,
CSV import with every kind of bad row, and the audit trail."""

from __future__ import annotations

import codecs

import pytest
from sqlalchemy import func, select

from lead_manager.audit.models import AuditEvent
from lead_manager.conflicts.models import Party, PartyNameKey
from tests.conftest import Account, LiveServer


def add(admin: Account, **fields: object):
    body = {"name": "Acme Holdings, Inc.", "kind": "client", **fields}
    return admin.client.post("/api/v1/parties", json=body)


def test_admin_adds_lists_and_removes_parties(api: LiveServer, admin: Account, attorney) -> None:
    created = add(admin, email="Legal@Acme.example", matter="Acme v. Roadrunner")
    assert created.status_code == 201, created.text
    party = created.json()
    assert party["name"] == "Acme Holdings, Inc."
    assert party["kind"] == "client"
    assert party["email"] == "Legal@acme.example"
    listed = attorney.client.get("/api/v1/parties").json()
    assert [p["id"] for p in listed["items"]] == [party["id"]]
    assert listed["next_cursor"] is None
    assert attorney.client.delete(f"/api/v1/parties/{party['id']}").status_code == 403
    assert admin.client.delete(f"/api/v1/parties/{party['id']}").status_code == 204
    assert admin.client.delete(f"/api/v1/parties/{party['id']}").status_code == 404
    assert attorney.client.get("/api/v1/parties").json()["items"] == []
    with api.session() as session:
        assert session.scalar(select(func.count()).select_from(PartyNameKey)) == 0
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.at)).all()
    assert actions == ["party.created", "party.deleted"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "kind": "client"},
        {"name": "   ", "kind": "client"},
        {"name": "x" * 201, "kind": "client"},
        {"name": "Acme", "kind": "enemy"},
        {"name": "Acme", "kind": "client", "matter": "m" * 201},
        {"name": "Acme", "kind": "client", "email": "not an address"},
        # The schema says an address or null: in JSON an empty string is neither (a form's or
        # a CSV's empty field means none; tested with those).
        {"name": "Acme", "kind": "client", "email": ""},
        {"name": "Acme", "kind": "client", "email": "  "},
        {"name": "Ac\nme", "kind": "client"},
        {"kind": "client"},
    ],
)
def test_bad_parties_are_422_and_leave_nothing(api: LiveServer, admin: Account, body) -> None:
    response = admin.client.post("/api/v1/parties", json=body)
    assert response.status_code == 422, response.text
    with api.session() as session:
        assert session.scalar(select(func.count()).select_from(Party)) == 0


def test_only_admins_add_and_everyone_signed_in_reads(api, attorney: Account, public) -> None:
    assert (
        attorney.client.post("/api/v1/parties", json={"name": "A", "kind": "client"}).status_code
        == 403
    )
    assert public.get("/api/v1/parties").status_code == 401
    assert public.post("/api/v1/parties/import", content=b"name,kind\n").status_code == 401


def test_search_and_keyset_paging(api: LiveServer, admin: Account) -> None:
    for index in range(5):
        assert add(admin, name=f"Party {index} 100%_real").status_code == 201
    assert add(admin, name="Someone Else").status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        params = {"q": "100%_", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = admin.client.get("/api/v1/parties", params=params).json()
        seen += [p["name"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Party {index} 100%_real" for index in reversed(range(5))]
    assert admin.client.get("/api/v1/parties", params={"q": "50%"}).json()["items"] == []
    assert admin.client.get("/api/v1/parties", params={"cursor": "nope"}).status_code == 422
    assert admin.client.get("/api/v1/parties", params={"q": "a\x00"}).status_code == 422
    assert admin.client.get(
        "/api/v1/parties", params={"q": "'; DROP TABLE parties; --"}
    ).json() == {
        "items": [],
        "next_cursor": None,
    }


def import_csv(admin: Account, data: bytes, content_type: str = "text/csv"):
    return admin.client.post(
        "/api/v1/parties/import", content=data, headers={"Content-Type": content_type}
    )


def test_import_reports_bad_lines_and_keeps_the_rest(api: LiveServer, admin: Account) -> None:
    data = (
        codecs.BOM_UTF8
        + b"name,kind,email,matter\r\n"
        + b'"Doe, John",client,john@example.com,"Estate of Doe, Sr."\r\n'
        + b"\r\n"
        + b"Acme Holdings LLC,adverse_party,,\r\n"
        + b"Bad Kind,enemy,,\r\n"
        + b",client,,\r\n"
        + b"Too,many,fields,here,extra\r\n"
        + b"Broken \xff\xfe UTF-8,client,,\r\n"
        + b'"Multi\nLine",client,,\r\n'
        + b"Z\xc3\xb6e Corp,related_party,not-an-email,\r\n"
        + b"Last One,former_client,last@example.com,Matter 7\n"
    )
    response = import_csv(admin, data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] == 3
    assert [e["line"] for e in body["errors"]] == [5, 6, 7, 8, 9, 11]
    assert "kind" in body["errors"][0]["detail"]
    assert "UTF-8" in body["errors"][3]["detail"]
    names = {p["name"] for p in admin.client.get("/api/v1/parties").json()["items"]}
    assert names == {"Doe, John", "Acme Holdings LLC", "Last One"}
    with api.session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "party.imported")
        ).one()
    assert event.details == {"created": 3, "rejected": 6}


def test_import_with_semicolons_and_any_column_order(api, admin: Account) -> None:
    data = 'kind;name\nclient;Müller GmbH\nformer_client;"Smith; Jones"\n'.encode()
    body = import_csv(admin, data).json()
    assert body == {"created": 2, "errors": []}
    names = {p["name"] for p in admin.client.get("/api/v1/parties").json()["items"]}
    assert names == {"Müller GmbH", "Smith; Jones"}


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n",
        b"who,what\nA,client\n",
        b"name\nA\n",
        b"\xff\xfename,kind\n",
        b"name,kind,name\n",
    ],
)
def test_import_without_a_usable_header_reports_line_1(api, admin: Account, data) -> None:
    response = import_csv(admin, data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] == 0
    assert body["errors"][0]["line"] == 1


def test_import_odd_bytes_never_fail(api, admin: Account) -> None:
    for data in (
        b"name,kind\n\x00,client\n",
        b'name,kind\n"unclosed,client\n',
        b"name,kind\n" + b"a" * 200_000 + b",client\n",
    ):
        response = import_csv(admin, data)
        assert response.status_code == 200, response.text
        assert response.json()["created"] == 0


def test_import_limits(api, admin: Account, attorney: Account) -> None:
    assert import_csv(admin, b"name,kind\nA,client\n", "application/json").status_code == 415
    too_big = b"name,kind\n" + b"A,client\n" * (10 * 1024 * 1024 // 9 + 1)
    assert import_csv(admin, too_big).status_code == 413
    assert (
        attorney.client.post(
            "/api/v1/parties/import", content=b"name,kind\n", headers={"Content-Type": "text/csv"}
        ).status_code
        == 403
    )
    with api.session() as session:
        assert session.scalar(select(func.count()).select_from(Party)) == 0
