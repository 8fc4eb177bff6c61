"""GET /api/v1/leads: filters, search, keyset paging."""

from __future__ import annotations

import uuid

import pytest

from lead_manager.users.models import Role
from tests.conftest import Account, LiveServer, add_account
from tests.intake import submit


def make_leads(public, count: int, **fields) -> list[str]:
    ids = []
    for index in range(count):
        response = submit(public, email=f"lead{index}@example.com", **fields)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def test_list_requires_authentication(api, public) -> None:
    response = public.get("/api/v1/leads")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_newest_first_with_item_fields_and_no_store(api, attorney: Account, public) -> None:
    ids = make_leads(public, 3)
    response = attorney.client.get("/api/v1/leads")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert [item["id"] for item in body["items"]] == list(reversed(ids))
    assert body["next_cursor"] is None
    assert set(body["items"][0]) == {
        "id",
        "first_name",
        "last_name",
        "email",
        "status",
        "created_at",
        "assigned_to",
        "respond_by",
        "duplicate_of",
        "conflict_status",
    }
    assert body["items"][0]["assigned_to"] == str(attorney.id)


def test_cursor_paging_never_skips_or_repeats_even_while_leads_arrive(
    api, attorney, public
) -> None:
    original = set(make_leads(public, 7))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = attorney.client.get("/api/v1/leads", params=params).json()
        seen += [item["id"] for item in page["items"]]
        make_leads(public, 1)  # a newer lead arrives between pages
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == original


def test_status_filter(api, attorney, public) -> None:
    first, second = make_leads(public, 2)
    assert (
        attorney.client.patch(f"/api/v1/leads/{first}", json={"status": "REACHED_OUT"}).status_code
        == 200
    )
    pending = attorney.client.get("/api/v1/leads", params={"status": "PENDING"}).json()["items"]
    reached = attorney.client.get("/api/v1/leads", params={"status": "REACHED_OUT"}).json()["items"]
    assert [i["id"] for i in pending] == [second]
    assert [i["id"] for i in reached] == [first]


@pytest.mark.parametrize("status", ["pending", "DONE", "", "REACHED_OUT' OR '1'='1"])
def test_unknown_status_is_422(api, attorney, status) -> None:
    assert attorney.client.get("/api/v1/leads", params={"status": status}).status_code == 422


def test_search_is_case_insensitive_substring_on_name_and_email(api, attorney, public) -> None:
    submit(public, first_name="Margaret", last_name="Thatcher", email="maggie@example.com")
    submit(public, first_name="John", last_name="Smith", email="john@lawmail.example")

    def names(q: str) -> list[str]:
        items = attorney.client.get("/api/v1/leads", params={"q": q}).json()["items"]
        return sorted(i["first_name"] for i in items)

    assert names("marg") == ["Margaret"]
    assert names("SMITH") == ["John"]
    assert names("lawmail") == ["John"]
    assert names("example") == ["John", "Margaret"]
    assert names("John Smith") == ["John"]
    assert names("nobody") == []


def test_search_takes_percent_and_underscore_literally(api, attorney, public) -> None:
    submit(public, first_name="100%", last_name="Sure", email="pct@example.com")
    submit(public, first_name="Under_score", last_name="Name", email="us@example.com")
    submit(public, first_name="Plain", last_name="Person", email="plain@example.com")

    def count(q: str) -> int:
        return len(attorney.client.get("/api/v1/leads", params={"q": q}).json()["items"])

    assert count("%") == 1
    assert count("_") == 1
    assert count("' OR 1=1 --") == 0


@pytest.mark.parametrize("q", ["line\nbreak", "nul\x00", "tab\there"])
def test_search_with_control_characters_is_422(api, attorney, q) -> None:
    response = attorney.client.get("/api/v1/leads", params={"q": q})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "q"]


def test_assigned_to_me_and_to_a_user_id(api: LiveServer, attorney, public) -> None:
    other = add_account(api, Role.ATTORNEY)
    ids = make_leads(public, 4)  # round-robin: 2 each
    mine = attorney.client.get("/api/v1/leads", params={"assigned_to": "me"}).json()["items"]
    theirs = attorney.client.get("/api/v1/leads", params={"assigned_to": str(other.id)}).json()[
        "items"
    ]
    assert len(mine) == len(theirs) == 2
    assert {i["id"] for i in mine} | {i["id"] for i in theirs} == set(ids)
    assert all(i["assigned_to"] == str(attorney.id) for i in mine)
    nobody = attorney.client.get("/api/v1/leads", params={"assigned_to": str(uuid.uuid4())}).json()
    assert nobody["items"] == []


@pytest.mark.parametrize("value", ["you", "123", "me; DROP TABLE users"])
def test_bad_assigned_to_is_422(api, attorney, value) -> None:
    assert attorney.client.get("/api/v1/leads", params={"assigned_to": value}).status_code == 422


@pytest.mark.parametrize("limit", [0, 101, -1, "ten"])
def test_limit_out_of_range_is_422(api, attorney, limit) -> None:
    assert attorney.client.get("/api/v1/leads", params={"limit": limit}).status_code == 422


@pytest.mark.parametrize(
    "cursor", ["garbage", "eyJ4IjoxfQ", "W10", "W1wibm90LWEtZGF0ZVwiLFwieFwiXQ", "=" * 300]
)
def test_malformed_cursor_is_422(api, attorney, cursor) -> None:
    response = attorney.client.get("/api/v1/leads", params={"cursor": cursor})
    assert response.status_code == 422
