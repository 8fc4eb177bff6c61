"""Bulk-loading leads straight into a migrated SQLite database (not through the API).

One INSERT … SELECT over a recursive CTE per batch: a million rows in well under a minute. The
rows match what lead-manager writes itself: 32-digit hex UUIDs (SQLAlchemy's Uuid on SQLite),
naive UTC timestamps with six fractional digits, so keyset comparisons order them like real rows.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

BATCH = 200_000
# The newest seeded lead is this many seconds before the bench starts; one lead per second.
NEWEST_AGE_SECONDS = 60

_INSERT = """
WITH RECURSIVE seq(n) AS (SELECT :first UNION ALL SELECT n + 1 FROM seq WHERE n < :last)
INSERT INTO leads (
    id, first_name, last_name, email, phone, message, status, assigned_to,
    resume_key, resume_filename, resume_content_type, resume_size, request_id,
    created_at, updated_at
)
SELECT
    lower(hex(randomblob(16))), 'First' || n, 'Last' || n, 'lead' || n || '@example.com',
    NULL, NULL, CASE WHEN n % 4 = 0 THEN 'REACHED_OUT' ELSE 'PENDING' END, :assignee,
    lower(hex(randomblob(16))), 'resume.pdf', 'application/pdf', 102400, NULL,
    stamp, stamp
FROM (
    SELECT n, strftime('%Y-%m-%d %H:%M:%S', :newest - n, 'unixepoch') || '.000000' AS stamp
    FROM seq
)
"""


def count_leads(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        (total,) = connection.execute("SELECT count(*) FROM leads").fetchone()
    return int(total)


def seed_leads(database: Path, target: int, assignee_hex: str) -> float:
    """Add leads until the table holds `target`; returns the seconds it took.

    Lead n was created n seconds before the newest, so growing the table adds older leads and
    the first page stays the same rows at every size.
    """
    started = time.perf_counter()
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-262144")  # 256 MiB: the indexes stay in memory
        (have,) = connection.execute("SELECT count(*) FROM leads").fetchone()
        newest = int(time.time()) - NEWEST_AGE_SECONDS
        for first in range(have + 1, target + 1, BATCH):
            last = min(first + BATCH - 1, target)
            connection.execute("BEGIN")
            connection.execute(
                _INSERT, {"first": first, "last": last, "assignee": assignee_hex, "newest": newest}
            )
            connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return time.perf_counter() - started
