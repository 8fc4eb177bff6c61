"""`make bench`: lead-manager against a bare-minimum reference app, side by side, in one run.

Seeds a migrated SQLite database with a million leads, serves it with `lead-manager serve
--no-dispatcher` and with bench/reference_app.py, drives both from a separate load-generator
process (bench/load.py, 32 connections, warm-up then a timed window) and prints per case the
requests per second, p50/p99 latency and the ratio lead-manager / reference; then the list
latency at 10k, 100k and 1M leads, list latency during a storm of logins, and how much a 10 MB
upload raises each server's memory. Results go to var/bench/*.json.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt

from bench import seed
from bench.servers import (
    HOST,
    VENV_BIN,
    Server,
    start_lead_manager,
    start_reference,
    start_stack_floor,
)
from lead_manager.core.pagination import encode_cursor
from tests.documents import pdf

OUT = Path("var/bench")
WORK = OUT / "work"
CONNECTIONS = 32
WARMUP_SECONDS = 3.0
CASE_SECONDS = 10.0
# Side by side: rounds of ROUND_SECONDS per server, each after a short warm-up of its own.
ROUNDS = 3
ROUND_SECONDS = 4.0
ROUND_WARMUP_SECONDS = 1.0
SIZES = (10_000, 100_000, 1_000_000)
PASSWORD = "bench password, long enough"
USER_EMAIL = "bench.attorney@example.com"
RESUME = pdf(extra_bytes=100 * 1024 - len(pdf()))
BIG_UPLOAD_BYTES = 10_000_000
TARGETS = {"intake": 0.7, "list": 0.5}
UNLIMITED = "100000000/minute"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- requests as raw bytes for the load generator -------------------------------------------------


def _http_request(method: str, target: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [
        f"{method} {target} HTTP/1.1",
        f"Host: {HOST}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def multipart(fields: dict[str, str], file_name: str, file_bytes: bytes) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="resume"; filename="{file_name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + file_bytes
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


LEAD_FIELDS = {
    "first_name": "Jane",
    "last_name": "Doe",
    "email": "jane.doe@example.com",
    "phone": "+1 555 0100",
    "message": "I was injured at work and would like advice.",
}


def intake_request() -> bytes:
    content_type, body = multipart(LEAD_FIELDS, "jane-doe-resume.pdf", RESUME)
    return _http_request("POST", "/api/v1/leads", {"Content-Type": content_type}, body)


def list_request(token: str, cursor: str | None = None) -> bytes:
    target = "/api/v1/leads?status=PENDING&limit=50" + (f"&cursor={cursor}" if cursor else "")
    return _http_request("GET", target, {"Authorization": f"Bearer {token}"})


def login_request() -> bytes:
    body = httpx.QueryParams({"username": USER_EMAIL, "password": PASSWORD}).__str__().encode()
    return _http_request(
        "POST", "/api/v1/auth/token", {"Content-Type": "application/x-www-form-urlencoded"}, body
    )


# --- running the load generator ----------------------------------------------------------------


def start_load(
    name: str,
    server: Server,
    requests: list[bytes],
    *,
    connections: int = CONNECTIONS,
    warmup: float = WARMUP_SECONDS,
    seconds: float = CASE_SECONDS,
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
            }
        )
    )
    return subprocess.Popen([sys.executable, "-m", "bench.load", str(spec)], stdout=subprocess.PIPE)


def finish_load(process: subprocess.Popen[bytes]) -> dict[str, Any]:
    stdout, _ = process.communicate(timeout=120)
    if process.returncode != 0:
        raise RuntimeError(f"load generator failed ({process.returncode})")
    result: dict[str, Any] = json.loads(stdout)
    return result


def load(name: str, server: Server, requests: list[bytes], **options: Any) -> dict[str, Any]:
    cpu_before = server.cpu_seconds()
    result = finish_load(start_load(name, server, requests, **options))
    # Over the warm-up and the window, so per request of both: the server's CPU cost of one.
    answered = result["rps"] * (options.get("warmup", WARMUP_SECONDS) + result["seconds"])
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


# --- set-up --------------------------------------------------------------------------------------


def lead_manager_env(database: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{database.resolve()}",
        "SECRET_KEY": "bench-" + "k" * 48,
        "STORAGE_URL": f"file://{(WORK / 'lm-resumes').resolve()}",
        "MAIL_DIR": str((WORK / "mail").resolve()),
        "LEAD_RATE_LIMIT": UNLIMITED,
        "LOGIN_RATE_LIMIT": UNLIMITED,
        "LOGIN_ADDRESS_RATE_LIMIT": UNLIMITED,
        "LOG_FORMAT": "json",
        "REDIS_URL": "",
    }


def prepare_database(env: dict[str, str], database: Path) -> str:
    """Migrate with `lead-manager migrate`, create the bench attorney; returns the user id (hex)."""
    cli = str(VENV_BIN / "lead-manager")
    subprocess.run([cli, "migrate"], env={**_environ(), **env}, check=True, capture_output=True)
    subprocess.run(
        [cli, "create-user", "--email", USER_EMAIL, "--role", "attorney", "--password-stdin"],
        input=f"{PASSWORD}\n".encode(),
        env={**_environ(), **env},
        check=True,
        capture_output=True,
    )
    with sqlite3.connect(database) as connection:
        (user_hex,) = connection.execute(
            "SELECT id FROM users WHERE email = ?", (USER_EMAIL,)
        ).fetchone()
    return str(user_hex)


def _environ() -> dict[str, str]:
    return dict(os.environ)


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


# --- the cases ---------------------------------------------------------------------------------


def list_depth_case(lm: Server, database: Path, token: str, assignee: str) -> list[dict[str, Any]]:
    """List latency at 10k, 100k and 1M leads, first page and 90% deep: it must stay flat."""
    rows = []
    for size in SIZES:
        took = seed.seed_leads(database, size, assignee)
        log(f"seeded to {size:,} leads in {took:.1f}s")
        row: dict[str, Any] = {"leads": size, "seed_seconds": took}
        for where, cursor in (("first", None), ("deep", deep_cursor(database, 0.9))):
            result = load(
                f"list-{size}-{where}",
                lm,
                [list_request(token, cursor)],
                connections=1,
                warmup=0.5,
                seconds=2.0,
            )
            row[where] = result
        rows.append(row)
    return rows


def side_by_side(case: str, servers: dict[str, tuple[Server, bytes]]) -> dict[str, Any]:
    """Each server in turn, round after round (the order rotating), on the same request.

    This machine's speed drifts by tens of percent from one minute to the next; measured one
    after the other, a ratio would carry that drift. Interleaved rounds share it.
    """
    names = list(servers)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for round_ in range(ROUNDS):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            server, request = servers[name]
            runs[name].append(
                load(
                    f"{case}-{name}-{round_ + 1}",
                    server,
                    [request],
                    warmup=WARMUP_SECONDS if round_ == 0 else ROUND_WARMUP_SECONDS,
                    seconds=ROUND_SECONDS,
                )
            )
    result: dict[str, Any] = {"case": case, "target_ratio": TARGETS[case]}
    for name in names:
        result[name] = _combined(runs[name])
    reference = runs["reference"]
    for name in names[1:]:
        prefix = "" if name == "lead_manager" else f"{name}_"
        result[f"{prefix}ratio"] = result[name]["rps"] / result["reference"]["rps"]
        result[f"{prefix}round_ratios"] = [
            run["rps"] / ref["rps"] for run, ref in zip(runs[name], reference, strict=True)
        ]
    return result


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


def login_storm_case(lm: Server, token: str) -> dict[str, Any]:
    """List p99 alone, then while 20 clients log in continuously (argon2 work).

    The logins have no warm-up: each takes long under the storm, and a login started before
    the window would otherwise never be counted.
    """
    connections = 4
    idle = load("storm-idle-list", lm, [list_request(token)], connections=connections, seconds=5.0)
    storm = start_load("storm-logins", lm, [login_request()], connections=20, warmup=0, seconds=9.0)
    time.sleep(0.5)
    busy = load("storm-busy-list", lm, [list_request(token)], connections=connections, seconds=5.0)
    logins = finish_load(storm)
    log(f"  logins during the storm: {logins['rps']:.1f}/s, statuses {logins['statuses']}")
    return {
        "idle_list": idle,
        "storm_list": busy,
        "logins": logins,
        "p99_ratio": busy["p99_ms"] / idle["p99_ms"],
        "target_ratio": 5.0,
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
    log(
        f"  {server.name}: RSS {before / 1e6:.1f} MB, peak +{growth / 1e6:.1f} MB during the upload"
    )
    return {
        "rss_before_bytes": before,
        "peak_growth_bytes": growth,
        "file_bytes": BIG_UPLOAD_BYTES,
        "growth_per_file_byte": growth / BIG_UPLOAD_BYTES,
    }


# --- report --------------------------------------------------------------------------------------


def _spread(ratios: list[float]) -> str:
    return f"rounds {min(ratios):.2f} to {max(ratios):.2f}"


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "| case | reference req/s | p50 / p99 ms | lead-manager req/s | p50 / p99 ms "
        "| ratio | target |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for case in results["side_by_side"]:
        ref, lm = case["reference"], case["lead_manager"]
        lines.append(
            f"| {case['case']} | {ref['rps']:.0f} | {ref['p50_ms']:.1f} / {ref['p99_ms']:.1f} | "
            f"{lm['rps']:.0f} | {lm['p50_ms']:.1f} / {lm['p99_ms']:.1f} | "
            f"{case['ratio']:.2f}x ({_spread(case['round_ratios'])}) | ≥ {case['target_ratio']}x |"
        )
    floors = [case for case in results["side_by_side"] if "stack_floor" in case]
    if floors:
        lines += [
            "",
            "| the reference's work on lead-manager's stack (bench/stack_floor_app.py) | req/s "
            "| p50 / p99 ms | stack floor / reference | lead-manager / stack floor "
            "| CPU ms per request: reference / stack floor / lead-manager |",
            "|---|---:|---:|---:|---:|---:|",
        ]
    for case in floors:
        floor, ref, lm = case["stack_floor"], case["reference"], case["lead_manager"]
        lines.append(
            f"| {case['case']} | {floor['rps']:.0f} | {floor['p50_ms']:.1f} / {floor['p99_ms']:.1f} "
            f"| {case['stack_floor_ratio']:.2f}x ({_spread(case['stack_floor_round_ratios'])}) "
            f"| {lm['rps'] / floor['rps']:.2f}x "
            f"| {ref['cpu_ms_per_request']:.2f} / {floor['cpu_ms_per_request']:.2f} "
            f"/ {lm['cpu_ms_per_request']:.2f} |"
        )
    lines += [
        "",
        "| leads | first page p50 / p99 ms | page 90% deep p50 / p99 ms | seed s |",
        "|---:|---:|---:|---:|",
    ]
    for row in results["list_depth"]:
        lines.append(
            f"| {row['leads']:,} | {row['first']['p50_ms']:.2f} / {row['first']['p99_ms']:.2f} | "
            f"{row['deep']['p50_ms']:.2f} / {row['deep']['p99_ms']:.2f} | "
            f"{row['seed_seconds']:.1f} |"
        )
    storm = results["login_storm"]
    lines += [
        "",
        "| login storm (20 concurrent logins) | list p99 ms | logins/s |",
        "|---|---:|---:|",
        f"| idle | {storm['idle_list']['p99_ms']:.1f} | - |",
        f"| during the storm | {storm['storm_list']['p99_ms']:.1f} "
        f"| {storm['logins']['rps']:.1f} |",
        f"| ratio (target < 5x) | {storm['p99_ratio']:.2f}x | |",
    ]
    lines += ["", "| 10 MB upload | peak RSS growth | x file size |", "|---|---:|---:|"]
    for name, memory in results["memory"].items():
        lines.append(
            f"| {name} | {memory['peak_growth_bytes'] / 1e6:.1f} MB "
            f"| {memory['growth_per_file_byte']:.2f}x |"
        )
    return "\n".join(lines)


def main() -> int:
    started = time.perf_counter()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    lm_db = WORK / "lead_manager.db"
    ref_db = WORK / "reference.db"
    floor_db = WORK / "stack_floor.db"
    env = lead_manager_env(lm_db)
    assignee = prepare_database(env, lm_db)
    results: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(), "machine_cpus": _cpus()}

    lm = start_lead_manager(env, OUT / "lead-manager.log")
    ref: Server | None = None
    floor: Server | None = None
    try:
        token = login(lm)
        log("list latency as the table grows")
        results["list_depth"] = list_depth_case(lm, lm_db, token, assignee)
        lm.stop()
        shutil.copyfile(lm_db, ref_db)
        shutil.copyfile(lm_db, floor_db)
        lm = start_lead_manager(env, OUT / "lead-manager.log")
        floor = start_stack_floor(
            {
                **lead_manager_env(floor_db),
                "STORAGE_URL": f"file://{(WORK / 'floor-resumes').resolve()}",
            },
            OUT / "stack-floor.log",
        )
        ref_secret = "reference-" + "s" * 40
        ref = start_reference(
            {
                "REFERENCE_DATABASE": str(ref_db),
                "REFERENCE_RESUMES": str(WORK / "ref-resumes"),
                "REFERENCE_SECRET": ref_secret,
            },
            OUT / "reference.log",
        )
        ref_token = jwt.encode(
            {"sub": str(uuid.UUID(hex=assignee)), "exp": int(time.time()) + 3600},
            ref_secret,
            "HS256",
        )
        log(f"side by side, 32 connections, {ROUNDS} interleaved rounds of {ROUND_SECONDS:.0f} s")
        results["side_by_side"] = [
            side_by_side(
                "list",
                {
                    "reference": (ref, list_request(ref_token)),
                    "lead_manager": (lm, list_request(token)),
                },
            ),
            side_by_side(
                "intake",
                {
                    "reference": (ref, intake_request()),
                    "lead_manager": (lm, intake_request()),
                    "stack_floor": (floor, intake_request()),
                },
            ),
        ]
        log("login storm")
        results["login_storm"] = login_storm_case(lm, token)
        log("memory during a 10 MB upload")
        results["memory"] = {"reference": upload_memory(ref), "lead-manager": upload_memory(lm)}
    finally:
        lm.stop()
        if ref is not None:
            ref.stop()
        if floor is not None:
            floor.stop()
    results["seconds"] = time.perf_counter() - started

    for name in ("list_depth", "side_by_side", "login_storm", "memory"):
        (OUT / f"{name}.json").write_text(json.dumps(results[name], indent=2))
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    table = markdown(results)
    (OUT / "results.md").write_text(table + "\n")
    print()
    print(table)
    print(f"\n(total {results['seconds']:.0f}s; JSON in {OUT}/)")
    shutil.rmtree(WORK, ignore_errors=True)
    run_scale_case()
    return 0


def run_scale_case() -> None:
    """The extra case of bench/scale.py (one vs two API processes), which needs PostgreSQL."""
    if importlib.util.find_spec("bench.scale") is None:
        return
    if not (os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")):
        log("scale case skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL (PostgreSQL)")
        return
    from bench import scale

    log("scale: one vs two API processes on PostgreSQL")
    scale.run()


def _cpus() -> int:
    return os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main())
