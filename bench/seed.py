"""Bulk-loading leads straight into a migrated database (not through the API).

SQLite: one INSERT … SELECT over a recursive CTE per batch (the search index's triggers fill
`leads_search` as the rows go in). PostgreSQL: one INSERT … SELECT over generate_series, with
the secondary indexes of `leads` dropped first and rebuilt after (building a GIN index once is
several times faster than updating it row by row). A million rows either way in well under a
minute.

The rows match what lead-manager writes itself: SQLAlchemy's Uuid (32 hex digits on SQLite),
UTC timestamps (naive text with six fractional digits on SQLite). Lead n is named from
FIRST_NAMES[n % 100] and LAST_NAMES[(n // 100) % 200], its email is `first.lastN@example.com`:
a last name belongs to 1 lead in 200, a first and last name pair to 1 in 20,000, so searches
find what searches in a real office find, a few thousand leads, a few dozen or one.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import create_engine, text

BATCH = 200_000
# The newest seeded lead is this many seconds before the bench starts; one lead per second.
NEWEST_AGE_SECONDS = 60

FIRST_NAMES = """
James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard
Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty
Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua
Michelle Kenneth Carol Kevin Amanda Brian Dorothy George Melissa Timothy Deborah Ronald
Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Kathleen Gary Amy
Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry Pamela Justin Emma Scott Nicole
Brandon Helen Benjamin Samantha Samuel Katherine Gregory Christine Alexander Debra Frank Rachel
Patrick Carolyn Raymond Janet Jack Catherine Dennis Maria Jerry Heather
""".split()  # noqa: SIM905 (a list literal would be one name a line)
LAST_NAMES = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips
Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson
Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders
Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler
Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton
Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina
Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington
Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter
Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black
Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson
Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins
""".split()  # noqa: SIM905 (a list literal would be one name a line)
assert len(FIRST_NAMES) == 100 and len(LAST_NAMES) == 200


def name_of(n: int) -> tuple[str, str, str]:
    """The first name, last name and email lead n gets."""
    first, last = FIRST_NAMES[n % 100], LAST_NAMES[(n // 100) % 200]
    return first, last, f"{first.lower()}.{last.lower()}{n}@example.com"


_SQLITE_INSERT = """
WITH RECURSIVE seq(n) AS (SELECT :first UNION ALL SELECT n + 1 FROM seq WHERE n < :last)
INSERT INTO leads (
    id, first_name, last_name, email, phone, message, status, assigned_to,
    resume_key, resume_filename, resume_content_type, resume_size, request_id,
    created_at, updated_at
)
SELECT
    lower(hex(randomblob(16))), f.name, l.name,
    lower(f.name) || '.' || lower(l.name) || n || '@example.com',
    NULL, NULL, CASE WHEN n % 4 = 0 THEN 'REACHED_OUT' ELSE 'PENDING' END, :assignee,
    lower(hex(randomblob(16))), 'resume.pdf', 'application/pdf', 102400, NULL,
    stamp, stamp
FROM (
    SELECT n, strftime('%Y-%m-%d %H:%M:%S', :newest - n, 'unixepoch') || '.000000' AS stamp
    FROM seq
)
JOIN temp.seed_first f ON f.i = n % 100
JOIN temp.seed_last l ON l.i = (n / 100) % 200
"""


def count_leads(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        (total,) = connection.execute("SELECT count(*) FROM leads").fetchone()
    return int(total)


def seed_leads(database: Path, target: int, assignee_hex: str) -> float:
    """Add leads until the SQLite table holds `target`; returns the seconds it took.

    Lead n was created n seconds before the newest, so growing the table adds older leads and
    the first page stays the same rows at every size.
    """
    started = time.perf_counter()
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-262144")  # 256 MiB: the indexes stay in memory
        for table, names in (("seed_first", FIRST_NAMES), ("seed_last", LAST_NAMES)):
            connection.execute(f"CREATE TEMP TABLE {table} (i INTEGER PRIMARY KEY, name TEXT)")
            connection.executemany(f"INSERT INTO temp.{table} VALUES (?, ?)", enumerate(names))
        (have,) = connection.execute("SELECT count(*) FROM leads").fetchone()
        newest = int(time.time()) - NEWEST_AGE_SECONDS
        for first in range(have + 1, target + 1, BATCH):
            last = min(first + BATCH - 1, target)
            connection.execute("BEGIN")
            connection.execute(
                _SQLITE_INSERT,
                {"first": first, "last": last, "assignee": assignee_hex, "newest": newest},
            )
            connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return time.perf_counter() - started


_POSTGRES_INSERT = """
INSERT INTO leads (
    id, first_name, last_name, email, phone, message, status, assigned_to,
    resume_key, resume_filename, resume_content_type, resume_size, request_id,
    created_at, updated_at
)
SELECT
    gen_random_uuid(), f, l, lower(f) || '.' || lower(l) || n || '@example.com',
    NULL, NULL, CASE WHEN n % 4 = 0 THEN 'REACHED_OUT' ELSE 'PENDING' END, :assignee,
    md5(n::text), 'resume.pdf', 'application/pdf', 102400, NULL, stamp, stamp
FROM (
    SELECT n, (CAST(:firsts AS text[]))[n % 100 + 1] AS f,
        (CAST(:lasts AS text[]))[(n / 100) % 200 + 1] AS l,
        to_timestamp(:newest - n) AS stamp
    FROM generate_series(:first, :last) AS n
) AS seq
"""


def seed_postgres(url: str, target: int, assignee: str) -> float:
    """Fill the PostgreSQL `leads` table to `target` rows; returns the seconds it took."""
    started = time.perf_counter()
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            have = connection.scalar(text("SELECT count(*) FROM leads")) or 0
            indexes = connection.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'leads' "
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
                )
            ).all()
            for name, _definition in indexes:
                connection.execute(text(f'DROP INDEX "{name}"'))
            connection.execute(
                text(_POSTGRES_INSERT),
                {
                    "first": have + 1,
                    "last": target,
                    "assignee": assignee,
                    "firsts": FIRST_NAMES,
                    "lasts": LAST_NAMES,
                    "newest": int(time.time()) - NEWEST_AGE_SECONDS,
                },
            )
            connection.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
            for _name, definition in indexes:
                connection.execute(text(definition))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE leads"))
    finally:
        engine.dispose()
    return time.perf_counter() - started
