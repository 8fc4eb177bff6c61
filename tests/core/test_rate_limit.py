"""The in-memory rate-limit storage: limits still hold, expired entries go, no thread per hit."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from lead_manager.core import rate_limit
from lead_manager.core.rate_limit import RateLimiter, RateLimitExceededError, SweepingMemoryStorage


def test_limit_is_enforced_in_memory_without_starting_threads() -> None:
    limiter = RateLimiter(None)
    assert isinstance(limiter.storage, SweepingMemoryStorage)
    limit = limiter.limit("lead", "3/minute")
    threads_before = threading.active_count()
    for _ in range(3):
        limiter.consume(limit, "203.0.113.7")
    with pytest.raises(RateLimitExceededError) as refused:
        limiter.consume(limit, "203.0.113.7")
    assert 1 <= refused.value.retry_after <= 60
    limiter.consume(limit, "203.0.113.8")  # another address has its own budget
    assert threading.active_count() == threads_before


def test_expired_entries_are_swept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rate_limit, "SWEEP_INTERVAL_SECONDS", 0.0)
    limiter = RateLimiter(None)
    storage = limiter.storage
    assert isinstance(storage, SweepingMemoryStorage)
    limit = limiter.limit("lead", "2/second")
    limiter.consume(limit, "a")
    assert any("a" in key for key in storage.events)
    time.sleep(1.1)
    limiter.consume(limit, "b")  # a hit on another key sweeps the expired one
    swept = [events for key, events in storage.events.items() if "/a/" in key]
    assert swept == [[]] or swept == [], storage.events
    limiter.consume(limit, "a")  # and "a" has its full budget back
    limiter.consume(limit, "a")


def test_the_hooks_overridden_still_exist_in_limits() -> None:
    # SweepingMemoryStorage replaces limits' private expiry scheduling; if an upgrade renames it,
    # the original timer-per-hit behaviour would silently come back.
    assert hasattr(rate_limit.MemoryStorage, "_MemoryStorage__schedule_expiry")
    assert hasattr(rate_limit.MemoryStorage, "_MemoryStorage__expire_events")


def test_consume_async_in_memory_runs_on_the_calling_thread() -> None:
    limiter = RateLimiter(None)
    limit = limiter.limit("lead", "1/minute")
    seen: list[threading.Thread] = []
    original = limiter.consume

    def consume(*args: object) -> None:
        seen.append(threading.current_thread())
        original(*args)  # type: ignore[arg-type]

    limiter.consume = consume  # type: ignore[method-assign]

    async def twice() -> None:
        await limiter.consume_async(limit, "x")
        with pytest.raises(RateLimitExceededError):
            await limiter.consume_async(limit, "x")

    asyncio.run(twice())
    assert seen == [threading.main_thread()] * 2
