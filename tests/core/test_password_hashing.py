"""PasswordHashing: argon2 on threads of its own, a bounded queue, the dummy check kept."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

import pytest

from lead_manager.core.security import (
    HASHING_THREAD_NICENESS,
    HashingBusyError,
    PasswordHashing,
    hash_password,
)


def test_a_full_queue_is_refused_at_once_and_places_come_back() -> None:
    hashing = PasswordHashing(workers=1, queue_limit=1)
    stored = hash_password("a long enough password")

    async def scenario() -> None:
        first = asyncio.create_task(hashing.verify("a long enough password", stored))
        second = asyncio.create_task(hashing.verify("wrong", stored))
        await asyncio.sleep(0)  # both hold their places now
        with pytest.raises(HashingBusyError), hashing.turn():
            pass
        assert await first is True
        assert await second is False
        # Both places are given back once their work is done.
        assert await hashing.verify("a long enough password", stored) is True

    try:
        asyncio.run(scenario())
    finally:
        hashing.shutdown()


def test_unknown_users_still_cost_one_verification() -> None:
    hashing = PasswordHashing(workers=1, queue_limit=0)
    try:
        assert asyncio.run(hashing.verify("whatever", None)) is False
        assert asyncio.run(hashing.verify("x", "not a hash")) is False
    finally:
        hashing.shutdown()


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread priorities are Linux's")
def test_hashing_runs_on_its_own_niced_threads() -> None:
    hashing = PasswordHashing(workers=1, queue_limit=0)

    def where() -> tuple[str, int]:
        return threading.current_thread().name, os.getpriority(
            os.PRIO_PROCESS, threading.get_native_id()
        )

    async def scenario() -> tuple[str, int]:
        with hashing.turn() as turn:
            return await turn.run(where)

    try:
        name, niceness = asyncio.run(scenario())
    finally:
        hashing.shutdown()
    assert name.startswith("password-hashing")
    assert niceness >= HASHING_THREAD_NICENESS
    # The caller's own priority is untouched.
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < HASHING_THREAD_NICENESS
