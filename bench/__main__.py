"""`make bench`: lead-manager beside a raw reference and the stack floor, side by side, in one run.

A migrated SQLite database and a PostgreSQL one (BENCH_DATABASE_URL; skipped with a note when
unreachable) are seeded to a million leads each, at the same time. Then, per backend, the cases
of bench/cases.py run against three servers on that one database — the raw reference
(bench/raw_app.py), the stack floor (bench/stack_floor_app.py) and `lead-manager serve
--no-dispatcher` — driven by a separate load-generator process (bench/load.py) in interleaved
rounds; on SQLite also the list latency at depth, the login flood and the memory of a 10 MB
upload. Prints per case lead-manager / floor and floor / raw; results go to
var/bench/results.json and results.md.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from bench import seed
from bench.cases import (
    CASES,
    HOST,
    LEAD_FIELDS,
    Backend,
    Bench,
    Case,
    http_request,
    list_request,
    multipart,
)
from bench.report import markdown
from bench.servers import VENV_BIN, Server, start_lead_manager, start_raw, start_stack_floor
from lead_manager.core.pagination import encode_cursor
from tests.documents import pdf

OUT = Path("var/bench")
WORK = OUT / "work"
LEADS = 1_000_000
# Interleaved rounds: each server in turn, the order rotating, each after a short warm-up.
ROUNDS = 3
FIRST_WARMUP_SECONDS = 1.5
ROUND_WARMUP_SECONDS = 0.5
PASSWORD = "bench password, long enough"
USER_EMAIL = "bench.attorney@example.com"
BIG_UPLOAD_BYTES = 10_000_000
UNLIMITED = "100000000/minute"
DEFAULT_BENCH_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
FLOOD_LOGINS = 40
FLOOD_TARGET = 3.0
# Each load numbers its submissions from its own start (bench/load.py): up to 100,000 apiece.
_SEQUENCE_STARTS = itertools.count(0, 100_000)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def login_request() -> bytes:
    body = str(httpx.QueryParams({"username": USER_EMAIL, "password": PASSWORD})).encode()
    return http_request(
        "POST", "/api/v1/auth/token", {"Content-Type": "application/x-www-form-urlencoded"}, body
    )


# --- running the load generator ----------------------------------------------------------------


def start_load(
    name: str,
    server: Server,
    requests: list[bytes],
    *,
    connections: int,
    warmup: float,
    seconds: float,
) -> subprocess.Popen[bytes]:
    files = []
    for index, payload in enumerate(requests):
        path = WORK / f"{name}-{index}.http"
        path.write_bytes(payload)
        files.append(str(path))
    spec = WORK / f"{name}.load.json"
    spec.write_text(
        json.dumps(
            {
                "host": HOST,
                "port": server.port,
                "connections": connections,
                "warmup_seconds": warmup,
                "duration_seconds": seconds,
                "request_files": files,
                # Numbers no earlier load used: each submission is a new prospect.
                "sequence_start": next(_SEQUENCE_STARTS),
            }
        )
    )
    return subprocess.Popen([sys.executable, "-m", "bench.load", str(spec)], stdout=subprocess.PIPE)


def finish_load(process: subprocess.Popen[bytes]) -> dict[str, Any]:
    stdout, _ = process.communicate(timeout=180)
    if process.returncode != 0:
        raise RuntimeError(f"load generator failed ({process.returncode})")
    result: dict[str, Any] = json.loads(stdout)
    return result


def load(
    name: str,
    server: Server,
    requests: list[bytes],
    *,
    connections: int,
    warmup: float,
    seconds: float,
) -> dict[str, Any]:
    cpu_before = server.cpu_seconds()
    result = finish_load(
        start_load(name, server, requests, connections=connections, warmup=warmup, seconds=seconds)
    )
    # Over the warm-up and the window, so per request of both: the server's CPU cost of one.
    answered = result["rps"] * (warmup + result["seconds"])
    result["cpu_ms_per_request"] = (server.cpu_seconds() - cpu_before) * 1000 / max(answered, 1)
    ok = sum(n for code, n in result["statuses"].items() if code.startswith("2"))
    log(
        f"  {name}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms, {result['cpu_ms_per_request']:.2f} ms CPU/request, "
        f"statuses {result['statuses']}"
    )
    if ok < result["requests"]:
        raise RuntimeError(f"{name}: not every response was 2xx: {result['statuses']}")
    return result


# --- side by side --------------------------------------------------------------------------------


def side_by_side(case: Case, servers: dict[str, Server], bench: Bench) -> dict[str, Any]:
    """Each server in turn, round after round (the order rotating), on the same requests.

    This machine's speed drifts by tens of percent from one minute to the next (and other
    work shares its two cores); measured one after the other, a ratio would carry that drift.
    Interleaved rounds share it.
    """
    if case.prepare is not None:
        case.prepare(bench)
    requests = case.requests(bench)
    names = [name for name in case.servers if name in servers]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    slug = case.title.replace(" ", "-").replace("(", "").replace(")", "").lower()
    for round_ in range(ROUNDS):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            runs[name].append(
                load(
                    f"{slug}-{name}-{round_ + 1}",
                    servers[name],
                    requests,
                    connections=case.connections,
                    warmup=FIRST_WARMUP_SECONDS if round_ == 0 else ROUND_WARMUP_SECONDS,
                    seconds=case.round_seconds,
                )
            )
    result: dict[str, Any] = {
        "case": case.title,
        "what": case.what,
        "metric": case.metric,
        "target": case.target,
        "target_text": case.target_text(),
        "servers": {name: _combined(runs[name]) for name in names},
    }
    for upper, lower in (("lead_manager", "floor"), ("floor", "raw")):
        if upper in runs and lower in runs:
            rounds = [_ratio(case, a, b) for a, b in zip(runs[upper], runs[lower], strict=True)]
            result[f"{upper}/{lower}"] = {
                "ratio": _ratio(case, result["servers"][upper], result["servers"][lower]),
                "rounds": rounds,
            }
    lm = result["servers"]["lead_manager"]
    if case.metric == "p50":
        result["met"] = lm["p50_ms"] < case.target
    else:
        result["met"] = result.get("lead_manager/floor", {}).get("ratio", 0.0) >= case.target
    return result


def _ratio(case: Case, upper: dict[str, Any], lower: dict[str, Any]) -> float:
    """How many times as fast `upper` is: throughput, or the inverse of the median latency."""
    if case.metric == "p50":
        return float(lower["p50_ms"] / upper["p50_ms"])
    return float(upper["rps"] / lower["rps"])


def _combined(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One server's rounds as one result: throughput over all windows, the median percentiles."""
    statuses: dict[str, int] = {}
    for run in runs:
        for code, count in run["statuses"].items():
            statuses[code] = statuses.get(code, 0) + count
    requests = sum(run["requests"] for run in runs)
    seconds = sum(run["seconds"] for run in runs)
    return {
        "requests": requests,
        "seconds": seconds,
        "rps": requests / seconds,
        "p50_ms": statistics.median(run["p50_ms"] for run in runs),
        "p99_ms": statistics.median(run["p99_ms"] for run in runs),
        "cpu_ms_per_request": statistics.fmean(run["cpu_ms_per_request"] for run in runs),
        "statuses": statuses,
        "rounds": runs,
    }


# --- set-up --------------------------------------------------------------------------------------


def server_env(database_url: str, name: str) -> dict[str, str]:
    """lead-manager's environment; the raw and floor apps read DATABASE_URL, SECRET_KEY and
    STORAGE_URL of it, so one token serves all three."""
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-" + "k" * 48,
        "STORAGE_URL": f"file://{(WORK / f'{name}-resumes').resolve()}",
        "MAIL_DIR": str((WORK / "mail").resolve()),
        "LEAD_RATE_LIMIT": UNLIMITED,
        "LOGIN_RATE_LIMIT": UNLIMITED,
        "LOGIN_ADDRESS_RATE_LIMIT": UNLIMITED,
        "LOG_FORMAT": "json",
        "REDIS_URL": "",
    }


def lead_manager_env(database: Path) -> dict[str, str]:
    return server_env(f"sqlite:///{database.resolve()}", "lead-manager")


def prepare_database(env: dict[str, str]) -> str:
    """Migrate with `lead-manager migrate`, create the bench attorney; returns the user id."""
    cli = str(VENV_BIN / "lead-manager")
    environ = {**os.environ, **env}
    subprocess.run([cli, "migrate"], env=environ, check=True, capture_output=True)
    subprocess.run(
        [cli, "create-user", "--email", USER_EMAIL, "--role", "attorney", "--password-stdin"],
        input=f"{PASSWORD}\n".encode(),
        env=environ,
        check=True,
        capture_output=True,
    )
    engine = create_engine(env["DATABASE_URL"])
    with engine.connect() as connection:
        user_id = connection.scalar(
            text("SELECT id FROM users WHERE email = :email"), {"email": USER_EMAIL}
        )
    engine.dispose()
    return str(user_id).replace("-", "")


def start_servers(database_url: str, backend: Backend) -> dict[str, Server]:
    logs = OUT / backend
    return {
        "lead_manager": start_lead_manager(
            server_env(database_url, "lead-manager"), logs / "lead-manager.log"
        ),
        "raw": start_raw(server_env(database_url, "raw"), logs / "raw.log"),
        "floor": start_stack_floor(server_env(database_url, "floor"), logs / "floor.log"),
    }


def stop(servers: dict[str, Server], timeout: float = 15) -> None:
    for server in servers.values():
        server.stop(timeout)


def login(server: Server) -> str:
    response = httpx.post(
        f"{server.base_url}/api/v1/auth/token", data={"username": USER_EMAIL, "password": PASSWORD}
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def deep_cursor(database: Path, depth_fraction: float) -> str:
    """The cursor of the PENDING lead `depth_fraction` of the way down the list."""
    with sqlite3.connect(database) as connection:
        (pending,) = connection.execute(
            "SELECT count(*) FROM leads WHERE status = 'PENDING'"
        ).fetchone()
        stamp, hex_id = connection.execute(
            "SELECT created_at, id FROM leads WHERE status = 'PENDING' "
            "ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?",
            (int(pending * depth_fraction),),
        ).fetchone()
    created_at = datetime.fromisoformat(stamp).replace(tzinfo=UTC)
    return encode_cursor(created_at, uuid.UUID(hex=hex_id))


def postgres_url() -> str | None:
    """BENCH_DATABASE_URL's database, created if missing and emptied; None when unreachable."""
    url = make_url(os.environ.get("BENCH_DATABASE_URL") or DEFAULT_BENCH_DATABASE_URL)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            if not connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}
            ):
                connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    except OperationalError as exc:
        log(f"PostgreSQL cases skipped: {url.render_as_string()} unreachable ({exc.orig})")
        return None
    finally:
        admin.dispose()
    rendered = url.render_as_string(hide_password=False)
    engine = create_engine(rendered)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return rendered


# --- the other checks ----------------------------------------------------------------------------


def list_depth(lm: Server, database: Path, token: str) -> dict[str, Any]:
    """List latency (one connection) of the first page and of one 90% deep: keyset paging keeps
    them alike at any depth."""
    result: dict[str, Any] = {"leads": LEADS}
    for where, cursor in (("first", None), ("deep", deep_cursor(database, 0.9))):
        params = {"status": "PENDING"} | ({"cursor": cursor} if cursor else {})
        result[where] = load(
            f"list-{where}",
            lm,
            [list_request(token, **params)],
            connections=1,
            warmup=0.3,
            seconds=1.0,
        )
    return result


def login_flood(lm: Server, token: str) -> dict[str, Any]:
    """List p99 alone, then while 40 clients log in continuously (argon2 work).

    The logins have no warm-up: each takes long during the flood, and a login started before
    the window would otherwise never be counted.
    """
    connections, seconds = 4, 4.0
    page = [list_request(token, status="PENDING")]
    idle = load("flood-idle-list", lm, page, connections=connections, warmup=1.0, seconds=seconds)
    flood = start_load(
        "flood-logins", lm, [login_request()], connections=FLOOD_LOGINS, warmup=0, seconds=6.0
    )
    time.sleep(0.5)
    busy = load("flood-busy-list", lm, page, connections=connections, warmup=0.5, seconds=seconds)
    logins = finish_load(flood)
    log(f"  logins during the flood: {logins['rps']:.1f}/s, statuses {logins['statuses']}")
    ratio = busy["p99_ms"] / idle["p99_ms"]
    return {
        "idle_list": idle,
        "flood_list": busy,
        "logins": logins,
        "logins_concurrent": FLOOD_LOGINS,
        "p99_ratio": ratio,
        "target_ratio": FLOOD_TARGET,
        "met": ratio <= FLOOD_TARGET,
    }


def upload_memory(server: Server) -> dict[str, Any]:
    """Peak RSS growth of the server process while it takes one 10 MB resume."""
    content_type, body = multipart(
        LEAD_FIELDS, "big.pdf", pdf(extra_bytes=BIG_UPLOAD_BYTES - len(pdf()))
    )
    with httpx.Client(base_url=server.base_url, timeout=60) as client:

        def upload() -> None:
            client.post(
                "/api/v1/leads", content=body, headers={"Content-Type": content_type}
            ).raise_for_status()

        upload()  # first one warms the allocator and imports
        time.sleep(0.5)
        server.reset_peak_rss()
        before = server.rss_bytes()
        upload()
        peak = server.peak_rss_bytes()
    growth = peak - before
    log(f"  {server.name}: RSS {before / 1e6:.1f} MB, peak +{growth / 1e6:.1f} MB")
    return {
        "rss_before_bytes": before,
        "peak_growth_bytes": growth,
        "file_bytes": BIG_UPLOAD_BYTES,
        "growth_per_file_byte": growth / BIG_UPLOAD_BYTES,
    }


# --- the run -------------------------------------------------------------------------------------


def seed_sqlite(results: dict[str, Any]) -> tuple[str, Path]:
    database = WORK / "bench.db"
    url = f"sqlite:///{database.resolve()}"
    assignee = prepare_database(server_env(url, "lead-manager"))
    results["sqlite_seed_seconds"] = took = seed.seed_leads(database, LEADS, assignee)
    log(f"SQLite: seeded {LEADS:,} leads in {took:.1f}s")
    return url, database


def seed_postgres(results: dict[str, Any]) -> str | None:
    url = postgres_url()
    if url is None:
        results["postgresql"] = "skipped, PostgreSQL unreachable"
        return None
    assignee = prepare_database(server_env(url, "lead-manager"))
    results["postgres_seed_seconds"] = took = seed.seed_postgres(url, LEADS, assignee)
    log(f"PostgreSQL: seeded {LEADS:,} leads in {took:.1f}s")
    return url


def run_sqlite(results: dict[str, Any], url: str, database: Path) -> None:
    servers = start_servers(url, "sqlite")
    lm = servers["lead_manager"]
    try:
        token = login(lm)
        log("SQLite: list latency at depth")
        results["list_depth"] = list_depth(lm, database, token)
        run_cases(results, "sqlite", servers, Bench(token, "sqlite", url, LEADS))
        log("SQLite: memory during a 10 MB upload")
        results["memory"] = {name: upload_memory(servers[name]) for name in ("raw", "lead_manager")}
        # Last: the logins still queued when it ends keep lead-manager busy (and its memory up,
        # argon2 takes 64 MiB a hash) for as long as they take; it is stopped, not waited for.
        log(f"SQLite: login flood ({FLOOD_LOGINS} concurrent logins)")
        results["login_flood"] = login_flood(lm, token)
    finally:
        stop(servers, timeout=3)


def run_postgres(results: dict[str, Any], url: str) -> None:
    servers = start_servers(url, "postgresql")
    try:
        token = login(servers["lead_manager"])
        run_cases(results, "postgresql", servers, Bench(token, "postgresql", url, LEADS))
    finally:
        stop(servers)


def run_cases(
    results: dict[str, Any], backend: Backend, servers: dict[str, Server], bench: Bench
) -> None:
    for case in (c for c in CASES if c.backend == backend):
        log(f"{case.title}: {ROUNDS} interleaved rounds of {case.round_seconds:.1f} s")
        results["cases"].append(side_by_side(case, servers, bench))


def login_flood_alone() -> int:
    """`python -m bench login-flood`: only the login flood, on a seeded SQLite database."""
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    results: dict[str, Any] = {}
    url, _database = seed_sqlite(results)
    lm = start_lead_manager(server_env(url, "lead-manager"), OUT / "sqlite" / "lead-manager.log")
    try:
        log(f"SQLite: login flood ({FLOOD_LOGINS} concurrent logins)")
        flood = login_flood(lm, login(lm))
    finally:
        lm.stop(3)
    (OUT / "login-flood.json").write_text(json.dumps(flood, indent=2))
    print(
        f"list p99 idle {flood['idle_list']['p99_ms']:.1f} ms, during the flood "
        f"{flood['flood_list']['p99_ms']:.1f} ms: {flood['p99_ratio']:.2f}x "
        f"(target <= {FLOOD_TARGET:.0f}x); logins {flood['logins']['rps']:.1f}/s, "
        f"statuses {flood['logins']['statuses']}"
    )
    shutil.rmtree(WORK, ignore_errors=True)
    return 0


def main() -> int:
    if sys.argv[1:] == ["login-flood"]:
        return login_flood_alone()
    started = time.perf_counter()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(),
        "machine_cpus": os.cpu_count() or 0,
        "cases": [],
    }
    # Both seeds at once: SQLite's is this process's work, PostgreSQL's the server's.
    with ThreadPoolExecutor(1) as pool:
        postgres = pool.submit(seed_postgres, results)
        sqlite_url, database = seed_sqlite(results)
        postgres_url_ = postgres.result()
    run_sqlite(results, sqlite_url, database)
    if postgres_url_ is not None:
        run_postgres(results, postgres_url_)
    results["seconds"] = time.perf_counter() - started
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    table = markdown(results)
    (OUT / "results.md").write_text(table + "\n")
    print()
    print(table)
    print(f"\n(total {results['seconds']:.0f}s; JSON in {OUT}/results.json)")
    shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
