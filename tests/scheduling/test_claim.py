"""A scheduled run is claimed once, however many dispatchers race for it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from lead_manager.core.db import transaction, utcnow
from lead_manager.notifications.dispatcher import Dispatcher
from lead_manager.scheduling import repository
from tests.conftest import LiveServer


def test_only_one_of_many_concurrent_claims_wins(api: LiveServer) -> None:
    factory = api.services.database.write_sessions

    def claim(worker: int) -> bool:
        with transaction(factory) as session:
            return repository.claim(session, "digest", "2026-11-30", f"w{worker}", utcnow())

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(claim, range(16)))
    assert results.count(True) == 1
    # Another key, or another job with the same key, is a run of its own.
    assert claim(99) is False
    with transaction(factory) as session:
        assert repository.claim(session, "digest", "2026-12-01", "w", utcnow())
        assert repository.claim(session, "retention", "2026-11-30", "w", utcnow())


def test_a_rolled_back_claim_is_due_again(api: LiveServer) -> None:
    factory = api.services.database.write_sessions
    try:
        with transaction(factory) as session:
            assert repository.claim(session, "digest", "day", "w1", utcnow())
            raise RuntimeError("the work under the claim failed")
    except RuntimeError:
        pass
    with transaction(factory) as session:
        assert repository.claim(session, "digest", "day", "w2", utcnow())


class _Job:
    def __init__(self, name: str, fail: bool = False) -> None:
        self.name = name
        self.fail = fail
        self.runs: list[datetime] = []

    def run_due(self, now: datetime, worker: str) -> int:
        self.runs.append(now)
        if self.fail:
            raise RuntimeError("boom")
        return 1


def test_a_failing_job_does_not_stop_the_others(api: LiveServer) -> None:
    broken, healthy = _Job("broken", fail=True), _Job("healthy")
    dispatcher = Dispatcher(api.settings, api.engine, name="test", jobs=[broken, healthy])
    assert dispatcher.run_once() == 1
    assert len(broken.runs) == 1 and len(healthy.runs) == 1
