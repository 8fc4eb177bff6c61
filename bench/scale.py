"""Throughput with one vs two API processes on PostgreSQL: does adding a process add capacity?

    python -m bench.scale            # prints the figures and writes var/bench/scale.json

Each case starts N `lead-manager serve --no-dispatcher` processes on one PostgreSQL database
seeded with a few thousand leads, then a separate load-generator process (this module with
`--load`) keeps 32 connections busy, spread evenly over the processes, for a warm-up and then a
measured window. The mix is what an intake office does: attorneys listing leads (4 in 5
requests) while prospects submit new ones (1 in 5).

Database: BENCH_DATABASE_URL, else a `<name>_bench_scale` database beside TEST_DATABASE_URL
(created if missing; its schema is dropped and rebuilt).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, make_url, text

from lead_manager.core.migrations import upgrade_to_head
from lead_manager.core.security import hash_password
from lead_manager.leads.models import Lead, LeadStatusChange
from lead_manager.users.models import Role, User
from tests.processes import Process, free_port

SEED_LEADS = 3000
CONNECTIONS = 32
WARMUP_SECONDS = 3.0
MEASURE_SECONDS = 10.0
ORDER = (1, 2, 2, 1)  # processes per case, in the order run
INTAKE_EVERY = 5  # one request in five is a submission
PASSWORD = "bench password for the scale case"
OUTPUT = Path("var/bench/scale.json")
RESUME = b"Jane Doe\nParalegal, ten years of experience in personal injury cases.\n" * 20


def bench_database() -> str:
    explicit = os.environ.get("BENCH_DATABASE_URL")
    base = explicit or os.environ.get("TEST_DATABASE_URL")
    if not base:
        raise SystemExit("set BENCH_DATABASE_URL or TEST_DATABASE_URL (a PostgreSQL URL)")
    url = make_url(base)
    if not url.drivername.startswith("postgresql"):
        raise SystemExit("the scale bench needs PostgreSQL")
    if not explicit:
        name = f"{url.database}_bench_scale"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            if not connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ):
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = url.set(database=name)
    rendered = url.render_as_string(hide_password=False)
    engine = create_engine(rendered)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade_to_head(rendered)
    return rendered


def seed(database_url: str) -> str:
    """Two attorneys and SEED_LEADS leads spread over the last 30 days; returns a login email."""
    engine = create_engine(database_url)
    now = datetime.now(UTC)
    attorneys = [uuid.uuid4(), uuid.uuid4()]
    password_hash = hash_password(PASSWORD)
    with engine.begin() as connection:
        connection.execute(
            insert(User),
            [
                {
                    "id": user_id,
                    "email": f"attorney{n}@bench.example",
                    "full_name": f"Attorney {n}",
                    "password_hash": password_hash,
                    "role": Role.ATTORNEY.value,
                    "is_active": True,
                    "is_available": True,
                }
                for n, user_id in enumerate(attorneys)
            ],
        )
        leads, changes = [], []
        for n in range(SEED_LEADS):
            lead_id = uuid.uuid4()
            created = now - timedelta(seconds=30 * 24 * 3600 * n / SEED_LEADS)
            leads.append(
                {
                    "id": lead_id,
                    "first_name": f"First{n}",
                    "last_name": f"Last{n}",
                    "email": f"prospect{n}@example.com",
                    "phone": None,
                    "message": "Seeded.",
                    "status": "PENDING",
                    "assigned_to": attorneys[n % 2],
                    "resume_key": uuid.uuid4().hex,
                    "resume_filename": "resume.txt",
                    "resume_content_type": "text/plain",
                    "resume_size": len(RESUME),
                    "created_at": created,
                    "updated_at": created,
                }
            )
            changes.append({"lead_id": lead_id, "status": "PENDING", "changed_at": created})
        connection.execute(insert(Lead), leads)
        connection.execute(insert(LeadStatusChange), changes)
    engine.dispose()
    return "attorney0@bench.example"


def start_apis(count: int, env: dict[str, str], workdir: Path) -> tuple[list[Process], list[str]]:
    processes, urls = [], []
    try:
        for n in range(count):
            port = free_port()
            processes.append(
                Process.start(
                    ["serve", "--no-dispatcher", "--port", str(port)], env, workdir, f"api{n}"
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for process, url in zip(processes, urls, strict=True):
            process.wait_healthy(url, timeout=60)
    except BaseException:
        stop(processes)
        raise
    return processes, urls


def stop(processes: list[Process]) -> None:
    for process in processes:
        process.stop()


def run_case(count: int, env: dict[str, str], login: str, workdir: Path) -> dict[str, Any]:
    processes, urls = start_apis(count, env, workdir)
    try:
        token = httpx.post(
            f"{urls[0]}/api/v1/auth/token",
            data={"username": login, "password": PASSWORD},
            timeout=30,
        ).json()["access_token"]
        generator = subprocess.run(
            [sys.executable, "-m", "bench.scale", "--load", "--token", token, *urls],
            capture_output=True,
            text=True,
            timeout=WARMUP_SECONDS + MEASURE_SECONDS + 60,
            check=True,
        )
        result: dict[str, Any] = json.loads(generator.stdout)
    finally:
        stop(processes)
    result["processes"] = count
    return result


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "processes": runs[0]["processes"],
        "runs": len(runs),
        "list": sum(r["list"] for r in runs),
        "intake": sum(r["intake"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        "requests_per_second": round(sum(r["requests_per_second"] for r in runs) / len(runs), 1),
        "per_run_requests_per_second": [round(r["requests_per_second"], 1) for r in runs],
        "p50_ms": round(sum(r["p50_ms"] for r in runs) / len(runs), 1),
        "p95_ms": round(sum(r["p95_ms"] for r in runs) / len(runs), 1),
    }


def run() -> dict[str, Any]:
    database = bench_database()
    login = seed(database)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as directory:
        workdir = Path(directory)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "SMTP_"))}
        env.update(
            DATABASE_URL=database,
            ENVIRONMENT="test",
            SECRET_KEY="bench-scale-signing-key-" + "b" * 32,
            STORAGE_URL=f"file://{workdir / 'resumes'}",  # shared by the processes, as S3 would be
            MAIL_DIR=str(workdir / "mail"),
            LEAD_RATE_LIMIT="1000000/minute",
            LOG_LEVEL="WARNING",
        )
        # A B B A: machine-wide drift (other work on a shared machine) weighs on both alike.
        runs = [run_case(count, env, login, workdir) for count in ORDER]
    one, two = (combine([r for r in runs if r["processes"] == count]) for count in (1, 2))
    ratio = two["requests_per_second"] / one["requests_per_second"]
    report = {
        "case": "list + intake throughput, 1 vs 2 API processes, PostgreSQL",
        "seeded_leads": SEED_LEADS,
        "connections": CONNECTIONS,
        "measure_seconds_per_run": MEASURE_SECONDS,
        "order": list(ORDER),
        "cpus": os.cpu_count(),
        "one_process": one,
        "two_processes": two,
        "ratio": round(ratio, 2),
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"scale: 1 process {one['requests_per_second']:.0f} req/s, "
        f"2 processes {two['requests_per_second']:.0f} req/s, ratio {ratio:.2f}x "
        f"(p50 {one['p50_ms']:.0f} → {two['p50_ms']:.0f} ms) → {OUTPUT}"
    )
    return report


# The load generator (a process of its own, so it does not share a GIL with what it measures).


async def generate_load(urls: list[str], token: str) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    headers = {"Authorization": f"Bearer {token}"}
    clients = [
        httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) for url in urls
    ]
    start = time.monotonic()
    measure_from, measure_until = start + WARMUP_SECONDS, start + WARMUP_SECONDS + MEASURE_SECONDS
    latencies: list[float] = []
    counts = {"list": 0, "intake": 0, "errors": 0}

    async def connection(number: int) -> None:
        client = clients[number % len(clients)]  # connections spread evenly over the processes
        sequence = number
        while (began := time.monotonic()) < measure_until:
            sequence += 1
            intake = sequence % INTAKE_EVERY == 0
            try:
                if intake:
                    response = await client.post(
                        "/api/v1/leads",
                        data={
                            "first_name": "Load",
                            "last_name": f"Test{sequence}",
                            "email": "load@example.com",
                        },
                        files={"resume": ("resume.txt", RESUME, "text/plain")},
                    )
                    ok = response.status_code == 201
                else:
                    response = await client.get("/api/v1/leads", params={"limit": 50})
                    ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            ended = time.monotonic()
            if began >= measure_from and ended <= measure_until:
                if ok:
                    counts["intake" if intake else "list"] += 1
                    latencies.append(ended - began)
                else:
                    counts["errors"] += 1

    await asyncio.gather(*(connection(n) for n in range(CONNECTIONS)))
    for client in clients:
        await client.aclose()
    latencies.sort()
    done = counts["list"] + counts["intake"]
    return {
        **counts,
        "requests_per_second": done / MEASURE_SECONDS,
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else 0.0,
        "p95_ms": 1000 * latencies[int(len(latencies) * 0.95)] if latencies else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--load", action="store_true", help="(internal) be the load generator")
    parser.add_argument("--token")
    parser.add_argument("urls", nargs="*")
    args = parser.parse_args()
    if args.load:
        print(json.dumps(asyncio.run(generate_load(args.urls, args.token))))
    else:
        run()


if __name__ == "__main__":
    main()
