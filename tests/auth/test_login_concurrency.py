"""Logins under concurrency: the limit holds for simultaneous attempts, and a flood of logins
neither piles up nor stops other requests (issue 13, findings 4 and 5)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import redis

from lead_manager.core.migrations import upgrade_to_head
from lead_manager.users.models import Role
from tests.conftest import PASSWORD, LiveServer, add_account, make_settings, redis_url, start_server
from tests.intake import submit

LIMIT = 5
SIMULTANEOUS = 45
FLOOD = 42


@pytest.fixture(params=["memory", "redis"])
def limited_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """A server with LOGIN_RATE_LIMIT=5/minute, counting in memory or in Redis."""
    shared = None
    if request.param == "redis":
        shared = redis_url()
        redis.Redis.from_url(shared).flushdb()
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_to_head(url)
    server = start_server(
        make_settings(tmp_path, url, redis_url=shared, login_rate_limit=f"{LIMIT}/minute")
    )
    yield server
    server.stop()
    server.engine.dispose()


def all_at_once(count: int, call: Callable[[httpx.Client], httpx.Response], server: LiveServer):
    """`count` requests from as many threads, released together by a barrier."""
    barrier = threading.Barrier(count)
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    with httpx.Client(base_url=server.base_url, timeout=120, limits=limits) as client:

        def one(_index: int) -> httpx.Response:
            barrier.wait()
            return call(client)

        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(one, range(count)))


def test_of_simultaneous_wrong_logins_at_most_the_limit_are_checked(
    limited_server: LiveServer,
) -> None:
    account = add_account(limited_server, Role.ATTORNEY)
    responses = all_at_once(
        SIMULTANEOUS,
        lambda client: client.post(
            "/api/v1/auth/token", data={"username": account.email, "password": "wrong guess!"}
        ),
        limited_server,
    )
    statuses = Counter(response.status_code for response in responses)
    assert set(statuses) <= {401, 429}, statuses
    assert statuses[401] <= LIMIT, statuses
    assert statuses[429] >= SIMULTANEOUS - LIMIT, statuses
    assert all(int(r.headers["retry-after"]) >= 1 for r in responses if r.status_code == 429)
    # The pair is used up for this address; the account itself is not locked elsewhere.
    with limited_server.client() as client:
        blocked = client.post(
            "/api/v1/auth/token", data={"username": account.email, "password": PASSWORD}
        )
        assert blocked.status_code == 429


def test_a_correct_login_after_some_failures_still_works(limited_server: LiveServer) -> None:
    account = add_account(limited_server, Role.ATTORNEY)
    with limited_server.client() as client:
        for _ in range(LIMIT - 1):
            wrong = client.post(
                "/api/v1/auth/token", data={"username": account.email, "password": "nope"}
            )
            assert wrong.status_code == 401
        for _ in range(LIMIT + 1):
            # A success clears the pair's count: the user is never locked out by their own logins.
            ok = client.post(
                "/api/v1/auth/token", data={"username": account.email, "password": PASSWORD}
            )
            assert ok.status_code == 200, ok.text


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[LiveServer]:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_to_head(url)
    server = start_server(make_settings(tmp_path, url))
    yield server
    server.stop()
    server.engine.dispose()


def test_lists_keep_working_during_a_login_flood(sqlite_server: LiveServer) -> None:
    """More simultaneous logins than the server has worker threads (40), while a lead list is
    read: every list request is answered, every login too (no thread is held while waiting)."""
    account = add_account(sqlite_server, Role.ATTORNEY)
    with sqlite_server.client() as public:
        assert submit(public).status_code == 201
    logins_done = threading.Event()

    def flood() -> list[httpx.Response]:
        try:
            return all_at_once(
                FLOOD,
                lambda c: c.post(
                    "/api/v1/auth/token", data={"username": account.email, "password": PASSWORD}
                ),
                sqlite_server,
            )
        finally:
            logins_done.set()

    with ThreadPoolExecutor(1) as pool:
        logins = pool.submit(flood)
        lists = []
        while not logins_done.is_set() or not lists:
            lists.append(account.client.get("/api/v1/leads").status_code)
            time.sleep(0.05)  # a reader, not a second flood
        statuses = Counter(response.status_code for response in logins.result())
    account.client.close()
    assert set(lists) == {200}
    # Every login is answered: signed in, or told to come back (a full hashing queue).
    assert set(statuses) <= {200, 503}, statuses
    assert statuses[200] >= 1


def test_a_full_hashing_queue_answers_503_with_retry_after(api: LiveServer, attorney) -> None:
    """The API and the page alike refuse at once, rather than queue without bound."""
    from lead_manager.core.security import PasswordHashing
    from tests.web.pages import csrf_from

    authenticator = api.services.authenticator
    original = authenticator.hashing
    small = PasswordHashing(workers=1, queue_limit=0)
    object.__setattr__(authenticator, "hashing", small)
    credentials = {"username": attorney.email, "password": PASSWORD}
    try:
        with api.client() as client:
            with small.turn():  # the only place, taken
                busy = client.post("/api/v1/auth/token", data=credentials)
                token = csrf_from(client.get("/login").text)
                page = client.post(
                    "/login",
                    data={"email": attorney.email, "password": PASSWORD, "csrf_token": token},
                )
            assert busy.status_code == 503
            assert int(busy.headers["retry-after"]) >= 1
            assert page.status_code == 503
            assert int(page.headers["retry-after"]) >= 1
            assert "Too many people are signing in" in page.text
            # Given back: the next login goes through.
            assert client.post("/api/v1/auth/token", data=credentials).status_code == 200
    finally:
        object.__setattr__(authenticator, "hashing", original)
        small.shutdown()
