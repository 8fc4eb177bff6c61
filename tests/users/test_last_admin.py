"""Finding 10: there is always an active admin, also when two admins demote or deactivate each
other at the same moment (real concurrent requests, on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import httpx
import pytest
from sqlalchemy import func, select, update

from lead_manager.users.models import Role, User
from tests.conftest import Account, LiveServer, add_account
from tests.web.pages import csrf_from, web_login

ROUNDS = 6
CHANGES = [
    ({"is_active": False}, {"is_active": False}),
    ({"role": "attorney"}, {"role": "attorney"}),
    ({"is_active": False}, {"role": "attorney"}),
]


def active_admins(api: LiveServer) -> int:
    with api.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(User)
                .where(User.role == Role.ADMIN.value, User.is_active.is_(True))
            )
            or 0
        )


def at_once(*calls) -> list[httpx.Response]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(calls))
    results: list[httpx.Response | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


@pytest.mark.parametrize("first_change,second_change", CHANGES)
def test_two_admins_removing_each_other_at_once_leave_one(
    api: LiveServer, first_change: dict, second_change: dict
) -> None:
    one = add_account(api, Role.ADMIN, available=False)
    two = add_account(api, Role.ADMIN, available=False)
    for _ in range(ROUNDS):
        responses = at_once(
            lambda: one.client.patch(f"/api/v1/users/{two.id}", json=first_change),
            lambda: two.client.patch(f"/api/v1/users/{one.id}", json=second_change),
        )
        codes = sorted(r.status_code for r in responses)
        assert active_admins(api) == 1, codes
        # One wins; the other is refused (409), or finds itself no longer an admin (401/403).
        assert codes[0] == 200 and codes[1] in (401, 403, 409), codes
        with api.session() as session:
            session.execute(
                update(User)
                .where(User.id.in_([one.id, two.id]))
                .values(role=Role.ADMIN.value, is_active=True)
            )
            session.commit()
    one.client.close()
    two.client.close()


def test_the_last_admin_cannot_remove_themself(api: LiveServer, admin: Account) -> None:
    for change in ({"is_active": False}, {"role": "attorney"}):
        response = admin.client.patch(f"/api/v1/users/{admin.id}", json=change)
        assert response.status_code == 409
    assert active_admins(api) == 1


def test_the_admin_page_refuses_to_remove_the_last_admin(api: LiveServer, admin: Account) -> None:
    client = web_login(api, admin.email)
    token = csrf_from(client.get("/admin/users").text)
    response = client.post(
        f"/admin/users/{admin.id}", data={"csrf_token": token, "change": "make-attorney"}
    )
    assert response.status_code == 409 and "last active administrator" in response.text
    assert active_admins(api) == 1
    client.close()
