"""Name keys with six letters of context: every stored name re-keyed.

The conflict check's blocking keys pair a word with the first letters of another, less one
(conflicts/names.py). Four letters let a common word and a three-letter start ("partners" /
"tin") gather 900 names of a 100,000-party register into one block; six letters keep blocks to
tens. The keys are derived data: this revision recomputes them for every party and every lead
name from the names already stored (erased leads have none), and its downgrade recomputes the
four-letter ones.

Revision ID: c0ffee5e0001
Revises: b15c0ffee001
Create Date: 2026-11-30 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "c0ffee5e0001"
down_revision: str | Sequence[str] | None = "b15c0ffee001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000

_LEADS = sa.table(
    "leads",
    sa.column("id", sa.Uuid()),
    sa.column("first_name", sa.String()),
    sa.column("last_name", sa.String()),
    sa.column("opposing_parties", sa.JSON()),
    sa.column("erased_at", sa.DateTime()),
)
_PARTIES = sa.table("parties", sa.column("id", sa.Uuid()), sa.column("name", sa.String()))
_PARTY_KEYS = sa.table(
    "party_name_keys",
    sa.column("key", sa.String()),
    sa.column("name_length", sa.SmallInteger()),
    sa.column("party_id", sa.Uuid()),
    sa.column("name_key", sa.String()),
)
_LEAD_KEYS = sa.table(
    "lead_name_keys",
    sa.column("key", sa.String()),
    sa.column("role", sa.String()),
    sa.column("name_length", sa.SmallInteger()),
    sa.column("lead_id", sa.Uuid()),
    sa.column("name_key", sa.String()),
    sa.column("name", sa.String()),
)


def upgrade() -> None:
    _rekey(prefix_letters=6)


def downgrade() -> None:
    _rekey(prefix_letters=4)


def _rekey(prefix_letters: int) -> None:
    from lead_manager.conflicts.names import lead_key_rows, party_key_rows

    bind = op.get_bind()

    # Lead names keyed as the intake keys them (conflicts.names.lead_key_rows): the prospect and
    # each opposing party, of every lead not erased; read in pages while the keys are written.
    bind.execute(_LEAD_KEYS.delete())
    names = bind.execute(
        sa.select(_LEADS.c.id, _LEADS.c.first_name, _LEADS.c.last_name, _LEADS.c.opposing_parties)
        .where(_LEADS.c.erased_at.is_(None))
        # Options of this statement only (on the connection they would stay for the rest).
        .execution_options(stream_results=True, yield_per=BATCH)
    )
    for page in names.partitions():
        rows = [
            row
            for lead_id, first, last, opposing in page
            for row in lead_key_rows(
                lead_id,
                [("prospect", f"{first} {last}")]
                + [("opposing_party", name) for name in opposing or []],
                prefix_letters,
            )
        ]
        if rows:
            bind.execute(_LEAD_KEYS.insert(), rows)

    bind.execute(_PARTY_KEYS.delete())
    parties = bind.execute(sa.select(_PARTIES.c.id, _PARTIES.c.name)).all()
    batch: list[dict[str, Any]] = []
    for party_id, name in parties:
        batch.extend(party_key_rows(party_id, name, prefix_letters))
        if len(batch) >= BATCH:
            bind.execute(_PARTY_KEYS.insert(), batch)
            batch = []
    if batch:
        bind.execute(_PARTY_KEYS.insert(), batch)
