"""`python -m bench.insight`: the statistics endpoint's latency and the CSV export's throughput
and memory, at a million leads, on SQLite and (when reachable) PostgreSQL.

Seeds a migrated database with LEADS leads spread over two years (about 1,400 a day: the
default 30-day range holds some 41,000), with statuses, first responses, attorneys and sources
mixed as a busy firm's would be; serves it with `lead-manager serve --no-dispatcher`, then:
- GET /api/v1/stats, sequential requests: p50/p90 for the default 30 days and for a year;
- GET /api/v1/leads/export.csv of every lead: rows per second, and how far the server's peak
  RSS rose during it, beside the same for a 30-day export (flat memory: about the same).
Run by `make bench-features` (its seeding alone outlasts `make bench`'s 5 minutes); results go
to var/bench/insight.json. BENCH_DATABASE_URL (or TEST_DATABASE_URL's server) names PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bench.servers import VENV_BIN, Server, start_lead_manager
from lead_manager.users.models import Role, User

OUT = Path("var/bench")
WORK = OUT / "insight"
LEADS = 1_000_000
SPAN_DAYS = 730
ATTORNEYS = 10
ADMIN_EMAIL = "bench.admin@example.com"
PASSWORD = "bench password, long enough"
STATS_REQUESTS = 40
TARGET_P50_MS = 200.0

_COLUMNS = (
    "id, first_name, last_name, email, phone, status, assigned_to, resume_key, resume_filename, "
    "resume_content_type, resume_size, created_at, updated_at, source, utm_source, utm_medium, "
    "utm_campaign, referrer_host, first_response_seconds"
)
# Per lead number n: a status (20% pending), a source mix, a first response 2 min to 10 h later.
_STATUS = (
    "CASE WHEN n % 5 = 0 THEN 'PENDING' WHEN n % 5 IN (1, 2) THEN 'REACHED_OUT' "
    "WHEN n % 5 = 3 THEN 'RETAINED' ELSE 'DECLINED' END"
)
_SOURCE = "CASE WHEN n % 11 = 0 THEN 'Newsletter' WHEN n % 13 = 0 THEN 'Radio' END"
_UTM_SOURCE = "CASE WHEN n % 3 = 0 THEN 'google' WHEN n % 7 = 0 THEN 'facebook' END"
_UTM_MEDIUM = "CASE WHEN n % 3 = 0 THEN 'cpc' END"
_UTM_CAMPAIGN = "CASE WHEN n % 3 = 0 THEN 'spring-' || (n % 4) END"
_REFERRER = "CASE WHEN n % 17 = 0 THEN 'www.bar-association.example' END"
_RESPONSE = "CASE WHEN n % 5 = 0 THEN NULL ELSE 120 + (n * 7919) % 36000 + (n % 1000) / 1000.0 END"

SQLITE_SEED = f"""
WITH RECURSIVE seq(n) AS (SELECT :first UNION ALL SELECT n + 1 FROM seq WHERE n < :last)
INSERT INTO leads ({_COLUMNS})
SELECT lower(hex(randomblob(16))), 'First' || n, 'Last' || n, 'lead' || n || '@example.com',
    '+1 555 ' || n, {_STATUS}, {{assignee}}, lower(hex(randomblob(16))), 'resume.pdf',
    'application/pdf', 102400, stamp, stamp, {_SOURCE}, {_UTM_SOURCE}, {_UTM_MEDIUM},
    {_UTM_CAMPAIGN}, {_REFERRER}, {_RESPONSE}
FROM (SELECT n,
    strftime('%Y-%m-%d %H:%M:%S', :newest - n * :spacing, 'unixepoch') || '.000000' AS stamp
    FROM seq)
"""

POSTGRES_SEED = f"""
INSERT INTO leads ({_COLUMNS})
SELECT gen_random_uuid(), 'First' || n, 'Last' || n, 'lead' || n || '@example.com',
    '+1 555 ' || n, {_STATUS}, (CAST(:attorneys AS uuid[]))[n % {ATTORNEYS} + 1],
    md5(n::text), 'resume.pdf', 'application/pdf', 102400, stamp, stamp, {_SOURCE},
    {_UTM_SOURCE}, {_UTM_MEDIUM}, {_UTM_CAMPAIGN}, {_REFERRER},
    {_RESPONSE}
FROM (SELECT n, to_timestamp(:newest - n * :spacing) AS stamp
      FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n) AS numbered
"""


def log(message: str) -> None:
    print(f"[bench insight {time.strftime('%H:%M:%S')}] {message}", flush=True)


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    subprocess.run(
        [str(VENV_BIN / "lead-manager"), *args],
        env={**os.environ, **env},
        input=stdin.encode() if stdin else None,
        check=True,
        capture_output=True,
    )


def environment(database_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-" + "k" * 48,
        "STORAGE_URL": f"file://{(WORK / 'resumes').resolve()}",
        "MAIL_DIR": str((WORK / "mail").resolve()),
        "LOGIN_RATE_LIMIT": "100000/minute",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": "",
        "FIRM_TIMEZONE": "America/New_York",
    }


def seed(database_url: str, leads: int) -> float:
    """Migrate, add the admin and ten attorneys, then the leads; returns the seeding seconds."""
    env = environment(database_url)
    cli(env, "migrate")
    cli(
        env,
        "create-user",
        "--email",
        ADMIN_EMAIL,
        "--role",
        "admin",
        "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )
    engine = create_engine(database_url)
    sqlite = engine.dialect.name == "sqlite"
    attorneys = [uuid.uuid4() for _ in range(ATTORNEYS)]
    started = time.perf_counter()
    newest = int(time.time()) - 60
    spacing = SPAN_DAYS * 86400 // leads
    with Session(engine) as session:
        session.add_all(
            User(
                id=attorney,
                email=f"attorney{number}@example.com",
                full_name=f"Attorney {number}",
                password_hash="!",  # never signs in
                role=Role.ATTORNEY.value,
            )
            for number, attorney in enumerate(attorneys)
        )
        session.commit()
    batch = 200_000
    for first in range(1, leads + 1, batch):
        last = min(first + batch - 1, leads)
        params: dict[str, Any] = {
            "first": first,
            "last": last,
            "newest": newest,
            "spacing": spacing,
        }
        with engine.begin() as connection:
            if sqlite:
                connection.exec_driver_sql("PRAGMA synchronous=OFF")
                assignee = "CASE n % {k} {whens} END".format(
                    k=ATTORNEYS,
                    whens=" ".join(f"WHEN {i} THEN '{a.hex}'" for i, a in enumerate(attorneys)),
                )
                connection.execute(text(SQLITE_SEED.format(assignee=assignee)), params)
            else:
                params["attorneys"] = [str(a) for a in attorneys]
                connection.execute(text(POSTGRES_SEED), params)
        log(f"  {last:,} leads")
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


def token(server: Server) -> str:
    response = httpx.post(
        f"{server.base_url}/api/v1/auth/token",
        data={"username": ADMIN_EMAIL, "password": PASSWORD},
        timeout=30,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def stats_latency(client: httpx.Client, params: dict[str, str], requests: int) -> dict[str, Any]:
    for _ in range(3):
        client.get("/api/v1/stats", params=params).raise_for_status()
    times = []
    body: dict[str, Any] = {}
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get("/api/v1/stats", params=params)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        body = response.json()
    times.sort()
    return {
        "params": params,
        "requests": requests,
        "leads_in_range": body["total"],
        "p50_ms": statistics.median(times),
        "p90_ms": times[int(0.9 * (len(times) - 1))],
    }


def export(server: Server, client: httpx.Client, params: dict[str, str]) -> dict[str, Any]:
    time.sleep(0.5)
    server.reset_peak_rss()
    before = server.rss_bytes()
    started = time.perf_counter()
    rows = -1  # the header
    size = 0
    with client.stream("GET", "/api/v1/leads/export.csv", params=params) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():
            rows += chunk.count(b"\r\n")
            size += len(chunk)
    seconds = time.perf_counter() - started
    growth = server.peak_rss_bytes() - before
    return {
        "params": params,
        "rows": rows,
        "bytes": size,
        "seconds": seconds,
        "rows_per_second": rows / seconds,
        "rss_before_bytes": before,
        "peak_rss_growth_bytes": growth,
    }


def run(database_url: str, leads: int) -> dict[str, Any]:
    name = make_url(database_url).get_backend_name()
    log(f"{name}: seeding {leads:,} leads over {SPAN_DAYS} days")
    seeded = seed(database_url, leads)
    log(f"{name}: seeded in {seeded:.0f}s")
    server = start_lead_manager(environment(database_url), WORK / f"{name}-server.log")
    try:
        headers = {"Authorization": f"Bearer {token(server)}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=600) as client:
            last = (datetime.now(UTC) - timedelta(hours=5)).date()
            year = {"from": (last - timedelta(days=364)).isoformat(), "to": last.isoformat()}
            result: dict[str, Any] = {
                "database": name,
                "leads": leads,
                "seed_seconds": seeded,
                "stats_30_days": stats_latency(client, {}, STATS_REQUESTS),
                "stats_365_days": stats_latency(client, year, 10),
            }
            for key in ("stats_30_days", "stats_365_days"):
                r = result[key]
                log(
                    f"  {key}: {r['leads_in_range']:,} leads, p50 {r['p50_ms']:.0f} ms, p90 {r['p90_ms']:.0f} ms"
                )
            month = {"from": (last - timedelta(days=29)).isoformat(), "to": last.isoformat()}
            result["export_30_days"] = export(server, client, month)
            result["export_all"] = export(server, client, {})
            for key in ("export_30_days", "export_all"):
                r = result[key]
                log(
                    f"  {key}: {r['rows']:,} rows in {r['seconds']:.1f}s "
                    f"({r['rows_per_second']:,.0f} rows/s, {r['bytes'] / 1e6:.0f} MB), server peak "
                    f"RSS +{r['peak_rss_growth_bytes'] / 1e6:.1f} MB over {r['rss_before_bytes'] / 1e6:.0f} MB"
                )
    finally:
        server.stop()
    return result


def postgres_url() -> str | None:
    """A database of its own (`bench_insight`) on the server of BENCH_DATABASE_URL or
    TEST_DATABASE_URL, created empty; None when no server answers."""
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not base:
        base = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    url = make_url(base)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql("DROP DATABASE IF EXISTS bench_insight")
            connection.exec_driver_sql("CREATE DATABASE bench_insight")
    except OperationalError as exc:
        log(f"PostgreSQL not reachable ({type(exc).__name__}): skipped")
        return None
    finally:
        admin.dispose()
    return url.set(database="bench_insight").render_as_string(hide_password=False)


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "| database | leads | stats p50 / p90, 30 days | stats p50, 365 days | export rows/s "
        "| export peak RSS growth: 30 days / all |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        s30, s365, e30, eall = (
            r["stats_30_days"],
            r["stats_365_days"],
            r["export_30_days"],
            r["export_all"],
        )
        lines.append(
            f"| {r['database']} | {r['leads']:,} | {s30['p50_ms']:.0f} / {s30['p90_ms']:.0f} ms "
            f"| {s365['p50_ms']:.0f} ms | {eall['rows_per_second']:,.0f} "
            f"| {e30['peak_rss_growth_bytes'] / 1e6:.1f} MB / {eall['peak_rss_growth_bytes'] / 1e6:.1f} MB |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=LEADS)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    urls = []
    if args.database in {"sqlite", "both"}:
        database = (WORK / "insight.db").resolve()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        urls.append(f"sqlite:///{database}")
    if args.database in {"postgresql", "both"} and (url := postgres_url()):
        urls.append(url)
    results = [run(url, args.leads) for url in urls]
    (OUT / "insight.json").write_text(json.dumps(results, indent=2, default=str))
    print(markdown(results))
    slow = [r["database"] for r in results if r["stats_30_days"]["p50_ms"] > TARGET_P50_MS]
    if slow:
        log(f"stats p50 over the {TARGET_P50_MS:.0f} ms target on: {', '.join(slow)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
