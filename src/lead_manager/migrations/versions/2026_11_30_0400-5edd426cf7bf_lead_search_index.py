"""lead search index: substring search on name and email served by an index

SQLite: a contentless FTS5 table with the trigram tokenizer, one row per lead (rowid = the
lead's rowid; columns "first last" and email), kept in step by triggers on `leads`.
PostgreSQL: pg_trgm GIN indexes on `first_name || ' ' || last_name` and on `email`, which serve
`ILIKE '%…%'` directly. A substring of the first or the last name is a substring of
"first last", so those two expressions cover every field the search looks at.

None of these objects is in the ORM metadata (see `lead_manager.models.SEARCH_INDEX_OBJECTS`).

Note for later migrations: on SQLite, a batch ALTER of `leads` rebuilds the table and drops its
triggers; such a migration must re-create them (and refill `leads_search`) from here.

Revision ID: 5edd426cf7bf
Revises: b7e4f1a90003
Create Date: 2026-11-30 04:00:00

"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5edd426cf7bf"
down_revision: str | Sequence[str] | None = "b7e4f1a90003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

# Contentless (the text stays in `leads` only), no column sizes (nothing ranks by them); a
# contentless table forgets a row through the 'delete' command given the row's indexed values.
_SQLITE = (
    """
    CREATE VIRTUAL TABLE leads_search USING fts5(
        name, email, content='', columnsize=0, tokenize='trigram'
    )
    """,
    # Each write transaction adds a small segment, and FTS5 merges them as they pile up: a little
    # at every write from `automerge` segments on a level, all at once (inside that write, so
    # inside SQLite's write lock) from `crisismerge`. With the defaults (4, 16), 4,000 single-row
    # inserts at 1M leads took 3.7 ms on average, the slowest 0.5 s and 7.3 s; with (8, 64):
    # 1.0 ms, at most 0.2 s; searches as fast (a few more segments to read).
    "INSERT INTO leads_search (leads_search, rank) VALUES ('automerge', 8)",
    "INSERT INTO leads_search (leads_search, rank) VALUES ('crisismerge', 64)",
    """
    INSERT INTO leads_search (rowid, name, email)
    SELECT rowid, first_name || ' ' || last_name, email FROM leads
    """,
    """
    CREATE TRIGGER leads_search_insert AFTER INSERT ON leads BEGIN
        INSERT INTO leads_search (rowid, name, email)
        VALUES (new.rowid, new.first_name || ' ' || new.last_name, new.email);
    END
    """,
    """
    CREATE TRIGGER leads_search_delete AFTER DELETE ON leads BEGIN
        INSERT INTO leads_search (leads_search, rowid, name, email)
        VALUES ('delete', old.rowid, old.first_name || ' ' || old.last_name, old.email);
    END
    """,
    """
    CREATE TRIGGER leads_search_update AFTER UPDATE OF first_name, last_name, email ON leads
    BEGIN
        INSERT INTO leads_search (leads_search, rowid, name, email)
        VALUES ('delete', old.rowid, old.first_name || ' ' || old.last_name, old.email);
        INSERT INTO leads_search (rowid, name, email)
        VALUES (new.rowid, new.first_name || ' ' || new.last_name, new.email);
    END
    """,
)
_POSTGRESQL = (
    "CREATE INDEX ix_leads_name_trgm ON leads "
    "USING gin ((first_name || ' ' || last_name) gin_trgm_ops)",
    "CREATE INDEX ix_leads_email_trgm ON leads USING gin (email gin_trgm_ops)",
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in _SQLITE:
            op.execute(statement)
    elif bind.dialect.name == "postgresql" and _create_pg_trgm(bind):
        for statement in _POSTGRESQL:
            op.execute(statement)


def _create_pg_trgm(bind: sa.Connection) -> bool:
    """pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.

    Where it cannot be created (an older server, a role without CREATE on the database, the
    contrib package missing) search still works, unindexed, and the migration says so.
    """
    savepoint = bind.begin_nested()
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        savepoint.rollback()
        log.warning(
            "pg_trgm could not be created (%s): lead search stays unindexed (a full scan). "
            "Create the extension as a superuser, then create the indexes of migration "
            "5edd426cf7bf by hand.",
            str(exc.orig).strip(),
        )
        return False
    savepoint.commit()
    return True


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in ("leads_search_insert", "leads_search_delete", "leads_search_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS leads_search")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_leads_email_trgm")
        op.execute("DROP INDEX IF EXISTS ix_leads_name_trgm")
