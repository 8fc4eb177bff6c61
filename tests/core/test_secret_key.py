"""The development key file (no SECRET_KEY): workers starting together agree on one non-empty
key, and an empty key file is never accepted (issue 13, finding 11)."""

from __future__ import annotations

import multiprocessing
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lead_manager.core.settings import Settings, development_key

THREADS = 16
ROUNDS = 60
PROCESSES = 8


def race_threads(path: Path) -> list[str]:
    barrier = threading.Barrier(THREADS)

    def read() -> str:
        barrier.wait()
        return development_key(path)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda _: read(), range(THREADS)))


def test_threads_racing_on_a_fresh_path_all_get_the_same_key(tmp_path: Path) -> None:
    for round_number in range(ROUNDS):
        path = tmp_path / f"round-{round_number}" / "secret_key"
        keys = race_threads(path)
        assert keys[0], f"round {round_number}: an empty key was handed out"
        assert set(keys) == {keys[0]}, f"round {round_number}: workers disagree"
        assert path.read_text() == keys[0]


def _worker(
    path: str, barrier: multiprocessing.synchronize.Barrier, keys: multiprocessing.Queue
) -> None:
    barrier.wait()
    keys.put(development_key(Path(path)))


def test_processes_racing_on_a_fresh_path_all_get_the_same_key(tmp_path: Path) -> None:
    """As `serve --workers N` does: separate processes, one file. (Starting processes takes
    too long to hit the old window reliably; the thread race above does that.)"""
    context = multiprocessing.get_context("spawn")
    for round_number in range(1):
        path = tmp_path / f"round-{round_number}" / "secret_key"
        barrier, keys = context.Barrier(PROCESSES), context.Queue()
        workers = [
            context.Process(target=_worker, args=(str(path), barrier, keys))
            for _ in range(PROCESSES)
        ]
        for worker in workers:
            worker.start()
        results = [keys.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
            assert worker.exitcode == 0
        assert results[0] and set(results) == {results[0]}
        assert path.read_text() == results[0]


def test_the_key_file_is_private_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret_key"
    key = Settings(secret_key_file=path).signing_key()
    assert len(key) >= 32 and Settings(secret_key_file=path).signing_key() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]


def test_an_empty_key_file_is_refused_not_used(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    path.write_text("\n")
    with pytest.raises(RuntimeError, match="empty"):
        Settings(secret_key_file=path).signing_key()
