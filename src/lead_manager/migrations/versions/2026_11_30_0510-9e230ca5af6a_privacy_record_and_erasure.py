"""privacy record and erasure: notice version, channel, marketing opt-in, erased_at on leads

Revision ID: 9e230ca5af6a
Revises: 5edd426cf7bf
Create Date: 2026-11-30 03:57:52.378620

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lead_manager.core.db

# revision identifiers, used by Alembic.
revision: str = "9e230ca5af6a"
down_revision: str | Sequence[str] | None = "5edd426cf7bf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # Plain ALTER TABLE, not batch mode: on SQLite a batch would rebuild `leads` and drop the
    # triggers that keep the search index (leads_search) up to date.
    # Nullable, or false by default: leads from before this was kept have no record.
    op.add_column("leads", sa.Column("privacy_notice_version", sa.String(length=50), nullable=True))
    op.add_column("leads", sa.Column("privacy_channel", sa.String(length=8), nullable=True))
    op.add_column(
        "leads",
        sa.Column("marketing_opt_in", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "leads",
        sa.Column("erased_at", lead_manager.core.db.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    """Downgrade schema."""
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+): the search triggers stay.
    for column in ("erased_at", "marketing_opt_in", "privacy_channel", "privacy_notice_version"):
        op.drop_column("leads", column)
