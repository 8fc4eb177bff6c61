"""REDIS_URL: the lead rate limit is one budget across every API instance, not one per process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from lead_manager.core.migrations import upgrade_to_head
from lead_manager.users.models import Role
from tests.conftest import LiveServer, add_account, make_settings, redis_url, start_server
from tests.intake import submit


def two_instances(directory: Path, shared_redis: str | None) -> list[LiveServer]:
    url = f"sqlite:///{directory / 'lead_manager.db'}"
    upgrade_to_head(url)
    settings = make_settings(directory, url, redis_url=shared_redis, lead_rate_limit="2/minute")
    return [start_server(settings), start_server(settings)]


@pytest.fixture
def instances(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[LiveServer]]:
    shared: str | None = request.param
    if shared is not None:
        shared = redis_url()
        redis.Redis.from_url(shared).flushdb()
    servers = two_instances(tmp_path, shared)
    add_account(servers[0], Role.ATTORNEY).client.close()
    yield servers
    for server in servers:
        server.stop()
        server.engine.dispose()


@pytest.mark.parametrize("instances", ["redis"], indirect=True)
def test_limit_used_up_on_one_instance_applies_on_the_other(instances: list[LiveServer]) -> None:
    first, second = instances
    with first.client() as client:
        assert [submit(client).status_code for _ in range(2)] == [201, 201]
    with second.client() as client:
        refused = submit(client)
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["retry-after"]) >= 1


@pytest.mark.parametrize("instances", [None], indirect=True)
def test_without_redis_each_instance_counts_alone(instances: list[LiveServer]) -> None:
    # The contrast that shows what REDIS_URL buys: in-memory limits are per process.
    first, second = instances
    with first.client() as client:
        assert [submit(client).status_code for _ in range(3)] == [201, 201, 429]
    with second.client() as client:
        assert submit(client).status_code == 201
