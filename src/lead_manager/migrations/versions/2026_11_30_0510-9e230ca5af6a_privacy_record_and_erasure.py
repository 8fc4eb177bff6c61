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
    # Nullable, or false by default: leads from before this was kept have no record.
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("privacy_notice_version", sa.String(length=50), nullable=True)
        )
        batch_op.add_column(sa.Column("privacy_channel", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column("marketing_opt_in", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("erased_at", lead_manager.core.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.drop_column("marketing_opt_in")
        batch_op.drop_column("privacy_channel")
        batch_op.drop_column("privacy_notice_version")
