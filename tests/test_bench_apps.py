"""The benchmark's comparison apps still serve the requests they are measured on.

`make bench` is not part of the suite; without this, a change to the schema (a migration) could
break bench/raw_app.py or bench/stack_floor_app.py unnoticed until the next run. Each app, on
SQLite and PostgreSQL, takes a submission (file and row stored), lists it to the bench user's
token and not without one, and finds it by search, through the index and by the scan.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

import bench.__main__ as bench_main
from bench.cases import LEAD_FIELDS, RESUME, multipart
from bench.servers import Server, start_raw, start_stack_floor
from lead_manager.core.security import create_access_token
from tests.conftest import scratch_postgres

StartApp = Callable[[dict[str, str], Path], Server]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bench.db'}"
    return scratch_postgres("bench_apps")


@pytest.mark.parametrize("start", [start_stack_floor, start_raw], ids=["stack-floor", "raw"])
def test_bench_app_takes_lists_and_finds_a_submission(
    tmp_path: Path, database_url: str, start: StartApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench_main, "WORK", tmp_path)
    env = bench_main.server_env(database_url, "app")
    user_hex = bench_main.prepare_database(env)
    user_id = uuid.UUID(hex=user_hex)
    token = create_access_token(user_id, env["SECRET_KEY"], timedelta(minutes=5)).token
    server = start(env, tmp_path / "app.log")
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            content_type, body = multipart(LEAD_FIELDS, "resume.pdf", RESUME)
            response = client.post(
                "/api/v1/leads", content=body, headers={"Content-Type": content_type}
            )
            assert response.status_code == 201, response.text
            created = response.json()
            assert created["email"] == LEAD_FIELDS["email"]
            assert response.headers["location"] == f"/api/v1/leads/{created['id']}"

            assert client.get("/api/v1/leads").status_code == 401
            bearer = {"Authorization": f"Bearer {token}"}
            for params in ({"status": "PENDING"}, {"q": "jane doe"}, {"q": "DOE@"}, {"q": "ja"}):
                page = client.get("/api/v1/leads", params=params, headers=bearer)
                assert page.status_code == 200, page.text
                assert page.json() == {
                    "items": [{**created, "assigned_to": None}],
                    "next_cursor": None,
                }
            nothing = client.get("/api/v1/leads", params={"q": "nobody"}, headers=bearer)
            assert nothing.json()["items"] == []
    finally:
        server.stop()
    engine = create_engine(database_url)
    with engine.connect() as connection:
        key, size = connection.execute(text("SELECT resume_key, resume_size FROM leads")).one()
    engine.dispose()
    assert (tmp_path / "app-resumes" / key).read_bytes() == RESUME
    assert size == len(RESUME)


def test_the_bench_intake_is_a_new_prospect_each_time() -> None:
    """The load generator numbers the intake request's email and phone per sending (same
    length, so Content-Length holds); a request without the mark goes out as it is."""
    from bench.cases import intake_request
    from bench.load import SEQUENCE_MARK, _numbered

    request = intake_request()
    assert request.count(SEQUENCE_MARK) == 2
    sequence = iter(range(41, 100))
    first, second = _numbered(request, sequence), _numbered(request, sequence)
    assert len(first) == len(second) == len(request)
    assert b"prospect.00000041@example.com" in first and b"+1 2100000041" in first
    assert b"prospect.00000042@example.com" in second
    plain = b"GET /api/v1/leads HTTP/1.1\r\n\r\n"
    assert _numbered(plain, sequence) is plain
