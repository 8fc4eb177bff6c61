"""`lead-manager import-parties FILE.csv`: the conflict register from a CSV file, each rejected
line printed with its reason, then the counts."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import Engine


def add_import_parties(
    commands: Any, migrated_engine: Callable[[], Engine], fail: Callable[[str], int]
) -> None:
    """Add the command to the CLI's subparsers (`lead_manager.cli` hands its helpers over)."""
    parser = commands.add_parser(
        "import-parties", help="import the conflict register from CSV (name,kind,email,matter)"
    )
    parser.add_argument(
        "file", metavar="FILE.csv", help="UTF-8 CSV with the header name,kind,email,matter"
    )
    parser.set_defaults(handler=partial(import_parties, migrated_engine=migrated_engine, fail=fail))


def import_parties(
    args: argparse.Namespace, *, migrated_engine: Callable[[], Engine], fail: Callable[[str], int]
) -> int:
    from pathlib import Path

    import lead_manager.models  # noqa: F401 - every table, for the audit row's foreign keys
    from lead_manager.conflicts.csv_import import import_register
    from lead_manager.core.db import create_write_session_factory, transaction
    from lead_manager.core.request_meta import RequestMeta

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        return fail(f"cannot read {args.file}: {exc.strerror}")
    engine = migrated_engine()
    try:
        with transaction(create_write_session_factory(engine)) as session:
            result = import_register(session, data, actor=None, meta=RequestMeta())
    finally:
        engine.dispose()
    for error in result.errors:
        print(f"rejected line {error.line}: {error.detail}")
    print(f"created {result.created} party(ies), rejected {len(result.errors)} row(s)")
    return 0
