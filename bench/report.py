"""The markdown tables `make bench` prints and writes to var/bench/results.md."""

from __future__ import annotations

from typing import Any


def _spread(ratios: list[float]) -> str:
    return f"{min(ratios):.2f}-{max(ratios):.2f}"


def _cell(result: dict[str, Any] | None, metric: str) -> str:
    if result is None:
        return "-"
    if metric == "p50":
        return f"{result['p50_ms']:.1f} ms ({result['rps']:.0f}/s)"
    return f"{result['rps']:.0f} ({result['p50_ms']:.0f} ms)"


def _ratio(case: dict[str, Any], key: str) -> str:
    ratio = case.get(key)
    if ratio is None:
        return "-"
    return f"{ratio['ratio']:.2f}x ({_spread(ratio['rounds'])})"


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "| case | raw | stack floor | lead-manager | lead-manager / floor (rounds) "
        "| floor / raw (rounds) | CPU ms/request raw / floor / lm | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---|:-:|",
    ]
    for case in results["cases"]:
        servers = case["servers"]
        cpu = " / ".join(
            f"{servers[name]['cpu_ms_per_request']:.2f}" if name in servers else "-"
            for name in ("raw", "floor", "lead_manager")
        )
        lines.append(
            f"| {case['case']} | {_cell(servers.get('raw'), case['metric'])} "
            f"| {_cell(servers.get('floor'), case['metric'])} "
            f"| {_cell(servers.get('lead_manager'), case['metric'])} "
            f"| {_ratio(case, 'lead_manager/floor')} | {_ratio(case, 'floor/raw')} | {cpu} "
            f"| {case['target_text']} | {'yes' if case['met'] else '**no**'} |"
        )
    lines += [
        "",
        "Throughput cases show req/s (p50); search cases show p50 (req/s), and their ratios "
        "compare medians. Ratios are over all rounds; the spread is of the rounds.",
    ]
    if results.get("postgresql"):
        lines += ["", f"PostgreSQL cases: {results['postgresql']}."]
    if "list_depth" in results:
        depth = results["list_depth"]
        lines += [
            "",
            f"| list, one connection, {depth['leads']:,} leads (SQLite) | p50 / p99 ms |",
            "|---|---:|",
            f"| first page | {depth['first']['p50_ms']:.2f} / {depth['first']['p99_ms']:.2f} |",
            f"| page 90% deep | {depth['deep']['p50_ms']:.2f} / {depth['deep']['p99_ms']:.2f} |",
        ]
    seeds = [
        f"{name} {results[key]:.0f} s"
        for name, key in (
            ("SQLite", "sqlite_seed_seconds"),
            ("PostgreSQL", "postgres_seed_seconds"),
        )
        if key in results
    ]
    if seeds:
        lines += ["", f"Seeding 1M leads (at the same time): {', '.join(seeds)}."]
    if "login_flood" in results:
        flood = results["login_flood"]
        lines += [
            "",
            f"| login flood ({flood['logins_concurrent']} concurrent logins, SQLite) "
            "| list p99 ms | logins/s |",
            "|---|---:|---:|",
            f"| idle | {flood['idle_list']['p99_ms']:.1f} | - |",
            f"| during the flood | {flood['flood_list']['p99_ms']:.1f} "
            f"| {flood['logins']['rps']:.1f} |",
            f"| ratio (target ≤ {flood['target_ratio']:.0f}x) | {flood['p99_ratio']:.2f}x "
            f"{'' if flood['met'] else '**not met**'} | |",
        ]
    if "memory" in results:
        lines += ["", "| 10 MB upload | peak RSS growth | x file size |", "|---|---:|---:|"]
        for name, memory in results["memory"].items():
            lines.append(
                f"| {name} | {memory['peak_growth_bytes'] / 1e6:.1f} MB "
                f"| {memory['growth_per_file_byte']:.2f}x |"
            )
    return "\n".join(lines)
