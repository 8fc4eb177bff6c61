"""`python -m bench.judgement` (in `make bench-features`): what returning prospects and the
conflict check cost at size.

A migrated SQLite database gets 1,000,000 leads with realistic name spread (1,000 first names,
20,000 last names; one lead in five names a company on the other side) and a register of
100,000 parties (half people, half companies), all seeded in bulk with their name keys. Then:

- intake with the check against intake without it (`CONFLICT_CHECK=false`), two servers on the
  same data, interleaved rounds at 32 connections; the submission names the other side;
- `GET /api/v1/leads/{id}/similar` latency (one connection) for a lead with a common first name.

Results go to var/bench/judgement.json.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

from bench.__main__ import (
    OUT,
    WORK,
    lead_manager_env,
    load,
    log,
    login,
    prepare_database,
)
from bench.cases import RESUME, http_request, multipart
from bench.servers import Server, start_lead_manager
from lead_manager.conflicts.names import PREFIX_LETTERS

# Smaller sizes for a quick try: BENCH_LEADS=10000 BENCH_PARTIES=1000 python -m bench.judgement
LEADS = int(os.environ.get("BENCH_LEADS", 1_000_000))
PARTIES = int(os.environ.get("BENCH_PARTIES", 100_000))
ROUNDS = 3
ROUND_SECONDS = 4.0
TARGET_RATIO = 0.9
SIMILAR_TARGET_MS = 50.0
_SYLLABLES = [
    "ba", "ko", "ri", "mel", "dan", "so", "ter", "vi", "lo", "gan", "mar", "es", "tin", "ul",
    "pe", "ra", "no", "sha", "ki", "dor", "fen", "wil", "ha", "zu", "bre", "ton", "ly", "quin",
]  # fmt: skip
COMPANY_WORDS = [
    "Holdings", "Foods", "Group", "Partners", "Logistics", "Systems", "Capital", "Energy",
    "Motors", "Health", "Media", "Labs", "Trading", "Builders", "Insurance", "Bank",
]  # fmt: skip


def _words(count: int, syllables: int, seed: int) -> list[str]:
    """`count` distinct made-up words (deterministic), capitalised."""
    words: list[str] = []
    seen: set[str] = set()
    n = seed
    while len(words) < count:
        parts, x = [], n
        for _ in range(syllables):
            parts.append(_SYLLABLES[x % len(_SYLLABLES)])
            x //= len(_SYLLABLES)
        word = "".join(parts).capitalize()
        n += 7919
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


FIRST_NAMES = _words(1_000, 3, 3)
LAST_NAMES = _words(20_000, 4, 11)
COMPANY_STEMS = _words(5_000, 4, 29)


def _vocabulary(connection: sqlite3.Connection) -> None:
    for table, words in (
        ("bench_first", FIRST_NAMES),
        ("bench_last", LAST_NAMES),
        ("bench_stem", COMPANY_STEMS),
        ("bench_word", COMPANY_WORDS),
    ):
        connection.execute(f"CREATE TEMP TABLE {table} (i INTEGER PRIMARY KEY, w TEXT)")
        connection.executemany(f"INSERT INTO {table} VALUES (?, ?)", list(enumerate(words)))


# The name keys as conflicts.names makes them for a name of two plain ASCII words a and b (see
# _pair_keys); the normalised name is the two sorted and joined by a space.
_SORTED_PAIR = "CASE WHEN lower({a}) < lower({b}) THEN lower({a}) || ' ' || lower({b}) ELSE lower({b}) || ' ' || lower({a}) END"


def _pair_keys(a: str, b: str) -> list[tuple[str, str]]:
    """(key expression, normalised-name expression) for each key of the name `a b`: the other
    word's first PREFIX_LETTERS letters with one left out (conflicts.names.blocking_keys; for a
    shorter word, leaving out a letter past its end keeps the word whole, as there)."""
    name = _SORTED_PAIR.format(a=a, b=b)
    keys = []
    for first, second in ((a, b), (b, a)):
        prefix = f"substr(lower({second}), 1, {PREFIX_LETTERS})"
        for i in range(1, PREFIX_LETTERS + 1):
            variant = f"substr({prefix}, 1, {i - 1}) || substr({prefix}, {i + 1})"
            keys.append((f"'p:' || lower({first}) || '|' || {variant}", name))
    return keys


def seed(database: Path, assignee_hex: str) -> float:
    started = time.perf_counter()
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-262144")
    _vocabulary(connection)
    newest = int(time.time()) - 60
    connection.execute("BEGIN")
    connection.execute(
        f"""
        WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {LEADS})
        INSERT INTO leads (
            id, first_name, last_name, email, email_key, phone, message, status, assigned_to,
            resume_key, resume_filename, resume_content_type, resume_size, request_id,
            created_at, updated_at, conflict_status, opposing_parties
        )
        SELECT lower(hex(randomblob(16))), f.w, l.w, 'lead' || n || '@example.com',
            'lead' || n || '@example.com', NULL, NULL, 'PENDING', :assignee,
            lower(hex(randomblob(16))), 'resume.pdf', 'application/pdf', 102400, NULL,
            stamp, stamp, 'clear',
            CASE WHEN n % 5 = 0 THEN json_array(s.w || ' ' || c.w || ' LLC') END
        FROM (
            SELECT n, strftime('%Y-%m-%d %H:%M:%S', {newest} - n, 'unixepoch') || '.000000' AS stamp
            FROM seq
        )
        JOIN bench_first f ON f.i = n % 1000
        JOIN bench_last l ON l.i = (n * 7919) % 20000
        JOIN bench_stem s ON s.i = (n * 104729) % 5000
        JOIN bench_word c ON c.i = n % 16
        """,
        {"assignee": assignee_hex},
    )
    for key, name in _pair_keys("first_name", "last_name"):
        connection.execute(
            f"""
            INSERT OR IGNORE INTO lead_name_keys (key, role, name_length, lead_id, name_key, name)
            SELECT {key}, 'prospect', length(k), id, k, first_name || ' ' || last_name
            FROM (SELECT *, {name} AS k FROM leads) ORDER BY 1
            """
        )
    opposing = "json_extract(opposing_parties, '$[0]')"
    stem, word = (f"substr({opposing}, 1, instr({opposing}, ' ') - 1)",
                  f"substr({opposing}, instr({opposing}, ' ') + 1, length({opposing}) - instr({opposing}, ' ') - 4)")  # fmt: skip
    for key, name in _pair_keys(stem, word):
        connection.execute(
            f"""
            INSERT OR IGNORE INTO lead_name_keys (key, role, name_length, lead_id, name_key, name)
            SELECT {key}, 'opposing_party', length(k), id, k, {opposing}
            FROM (SELECT *, {name} AS k FROM leads WHERE opposing_parties IS NOT NULL)
            ORDER BY 1
            """
        )
    connection.execute(
        f"""
        WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {PARTIES})
        INSERT INTO parties (id, name, kind, email, email_key, matter, created_at)
        SELECT lower(hex(randomblob(16))),
            CASE WHEN n % 2 = 0 THEN f.w || ' ' || l.w ELSE s.w || ' ' || c.w || ' Inc' END,
            CASE n % 4 WHEN 0 THEN 'client' WHEN 1 THEN 'former_client'
                WHEN 2 THEN 'adverse_party' ELSE 'related_party' END,
            'party' || n || '@example.org', 'party' || n || '@example.org', NULL,
            strftime('%Y-%m-%d %H:%M:%S', {newest} - n, 'unixepoch') || '.000000'
        FROM seq
        JOIN bench_first f ON f.i = (n * 31) % 1000
        JOIN bench_last l ON l.i = (n * 613) % 20000
        JOIN bench_stem s ON s.i = (n * 17) % 5000
        JOIN bench_word c ON c.i = (n * 3) % 16
        """
    )
    first = "substr(name, 1, instr(name, ' ') - 1)"
    rest = "substr(name, instr(name, ' ') + 1)"
    company_rest = "substr(name, instr(name, ' ') + 1, length(name) - instr(name, ' ') - 4)"
    for second, where in ((rest, "name NOT LIKE '% Inc'"), (company_rest, "name LIKE '% Inc'")):
        for key, name in _pair_keys(first, second):
            connection.execute(
                f"""
                INSERT OR IGNORE INTO party_name_keys (key, name_length, party_id, name_key)
                SELECT {key}, length(k), id, k FROM (SELECT *, {name} AS k FROM parties
                                                    WHERE {where})
                """
            )
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return time.perf_counter() - started


def intake_request() -> bytes:
    fields = {
        "first_name": FIRST_NAMES[17],
        "last_name": LAST_NAMES[4242],
        "email": "prospect@example.com",
        "phone": "+1 555 0100",
        "message": "My former employer will not pay my final wages.",
        # A company and a person of the register's kinds of names, one of them a hit.
        "opposing_parties": f"{COMPANY_STEMS[17 * 17 % 5000]} {COMPANY_WORDS[51 % 16]} Inc; "
        f"{FIRST_NAMES[99]} {LAST_NAMES[1234]}",
    }
    content_type, body = multipart(fields, "resume.pdf", RESUME)
    return http_request("POST", "/api/v1/leads", {"Content-Type": content_type}, body)


def intake_case(servers: dict[str, Server]) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
    names = list(servers)
    for round_ in range(ROUNDS):
        for name in names[round_ % 2 :] + names[: round_ % 2]:
            runs[name].append(
                load(
                    f"judgement-intake-{name}-{round_ + 1}",
                    servers[name],
                    [intake_request()],
                    connections=32,
                    warmup=3.0 if round_ == 0 else 1.0,
                    seconds=ROUND_SECONDS,
                )
            )
    result: dict[str, Any] = {}
    for name, name_runs in runs.items():
        requests = sum(r["requests"] for r in name_runs)
        seconds = sum(r["seconds"] for r in name_runs)
        result[name] = {
            "rps": requests / seconds,
            "p50_ms": statistics.median(r["p50_ms"] for r in name_runs),
            "p99_ms": statistics.median(r["p99_ms"] for r in name_runs),
            "cpu_ms_per_request": statistics.fmean(r["cpu_ms_per_request"] for r in name_runs),
        }
    result["ratio"] = result["with_check"]["rps"] / result["without_check"]["rps"]
    result["round_ratios"] = [
        w["rps"] / wo["rps"]
        for w, wo in zip(runs["with_check"], runs["without_check"], strict=True)
    ]
    result["target_ratio"] = TARGET_RATIO
    return result


def similar_case(server: Server, token: str, database: Path) -> dict[str, Any]:
    with sqlite3.connect(database) as connection:
        (lead_hex,) = connection.execute(
            "SELECT id FROM leads WHERE first_name = ? LIMIT 1 OFFSET ?",
            (FIRST_NAMES[5], LEADS // 2000),
        ).fetchone()
    lead_id = f"{lead_hex[:8]}-{lead_hex[8:12]}-{lead_hex[12:16]}-{lead_hex[16:20]}-{lead_hex[20:]}"
    request = http_request(
        "GET", f"/api/v1/leads/{lead_id}/similar", {"Authorization": f"Bearer {token}"}
    )
    result = load("judgement-similar", server, [request], connections=1, warmup=1.0, seconds=5.0)
    return {**result, "target_p50_ms": SIMILAR_TARGET_MS}


def main() -> int:
    started = time.perf_counter()
    work = WORK / "judgement"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    database = work / "lead_manager.db"
    env = lead_manager_env(database)
    assignee = prepare_database(env)
    took = seed(database, assignee)
    log(f"seeded {LEADS:,} leads and {PARTIES:,} parties with their name keys in {took:.1f}s")
    with_check = start_lead_manager(env, OUT / "judgement-with.log")
    without_check = start_lead_manager(
        {**env, "CONFLICT_CHECK": "false"}, OUT / "judgement-without.log"
    )
    try:
        results: dict[str, Any] = {"leads": LEADS, "parties": PARTIES, "seed_seconds": took}
        log("/similar at 1M leads")
        results["similar"] = similar_case(with_check, login(with_check), database)
        log(f"intake with and without the conflict check, {ROUNDS} interleaved rounds")
        results["intake"] = intake_case({"with_check": with_check, "without_check": without_check})
    finally:
        with_check.stop()
        without_check.stop()
    results["seconds"] = time.perf_counter() - started
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "judgement.json").write_text(json.dumps(results, indent=2))
    intake = results["intake"]
    print(
        f"\nintake with / without the check: {intake['with_check']['rps']:.0f} / "
        f"{intake['without_check']['rps']:.0f} req/s = {intake['ratio']:.2f}x "
        f"(rounds {', '.join(f'{r:.2f}' for r in intake['round_ratios'])}; target ≥ {TARGET_RATIO}x), "
        f"CPU {intake['with_check']['cpu_ms_per_request']:.2f} / "
        f"{intake['without_check']['cpu_ms_per_request']:.2f} ms per request"
    )
    print(
        f"/similar: p50 {results['similar']['p50_ms']:.1f} ms, p99 {results['similar']['p99_ms']:.1f} ms "
        f"(target p50 < {SIMILAR_TARGET_MS:.0f} ms)"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
