"""Rate limits with the `limits` library: in memory by default, Redis when REDIS_URL is set."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    item: RateLimitItem


class RateLimitExceededError(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limit exceeded; retry after {retry_after}s")
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, redis_url: str | None) -> None:
        self.storage: Storage = RedisStorage(redis_url) if redis_url else MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self.storage)

    @staticmethod
    def limit(name: str, notation: str) -> Limit:
        return Limit(name, parse(notation))

    def check(self, limit: Limit, *keys: str) -> None:
        """Raise if `keys` have used up `limit` (without counting this call)."""
        if not self._limiter.test(limit.item, limit.name, *keys):
            raise RateLimitExceededError(self._retry_after(limit, *keys))

    def consume(self, limit: Limit, *keys: str) -> None:
        """Count one event; raise if that exceeds the limit."""
        if not self._limiter.hit(limit.item, limit.name, *keys):
            raise RateLimitExceededError(self._retry_after(limit, *keys))

    def record(self, limit: Limit, *keys: str) -> None:
        """Count one event (a failure), leaving the refusal to the next `check`."""
        self._limiter.hit(limit.item, limit.name, *keys)

    def clear(self, limit: Limit, *keys: str) -> None:
        self._limiter.clear(limit.item, limit.name, *keys)

    def reset(self) -> None:
        self.storage.reset()

    def _retry_after(self, limit: Limit, *keys: str) -> int:
        reset_at, _remaining = self._limiter.get_window_stats(limit.item, limit.name, *keys)
        return max(1, math.ceil(reset_at - time.time()))
