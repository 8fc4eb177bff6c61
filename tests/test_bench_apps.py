"""The benchmark's comparison apps still serve the intake they are measured on.

`make bench` is not part of the suite; without this, a change to the product's schemas, storage
or engine could break bench/stack_floor_app.py (or the reference) unnoticed until the next run.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

import bench.__main__ as bench_main
from bench.servers import Server, start_reference, start_stack_floor


def _start_floor(work: Path, database: Path) -> Server:
    env = {
        **bench_main.lead_manager_env(database),
        "STORAGE_URL": f"file://{(work / 'resumes').resolve()}",
    }
    return start_stack_floor(env, work / "floor.log")


def _start_reference(work: Path, database: Path) -> Server:
    env = {
        "REFERENCE_DATABASE": str(database),
        "REFERENCE_RESUMES": str(work / "resumes"),
        "REFERENCE_SECRET": "reference-" + "s" * 40,
    }
    return start_reference(env, work / "reference.log")


@pytest.mark.parametrize(
    "start", [_start_floor, _start_reference], ids=["stack-floor", "reference"]
)
def test_bench_app_stores_a_submission(
    tmp_path: Path, start: Callable[[Path, Path], Server]
) -> None:
    database = tmp_path / "bench.db"
    bench_main.prepare_database(bench_main.lead_manager_env(database), database)
    server = start(tmp_path, database)
    try:
        content_type, body = bench_main.multipart(
            bench_main.LEAD_FIELDS, "resume.pdf", bench_main.RESUME
        )
        response = httpx.post(
            f"{server.base_url}/api/v1/leads",
            content=body,
            headers={"Content-Type": content_type},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        assert response.json()["email"] == bench_main.LEAD_FIELDS["email"]
    finally:
        server.stop()
    with sqlite3.connect(database) as connection:
        (key, size) = connection.execute("SELECT resume_key, resume_size FROM leads").fetchone()
    assert (tmp_path / "resumes" / key).read_bytes() == bench_main.RESUME
    assert size == len(bench_main.RESUME)
