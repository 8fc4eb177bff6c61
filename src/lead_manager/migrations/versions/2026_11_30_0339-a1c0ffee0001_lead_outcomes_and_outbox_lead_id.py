"""lead outcomes (RETAINED, DECLINED, reasons) and the outbox's lead id

Revision ID: a1c0ffee0001
Revises: 036314a259ae
Create Date: 2026-11-30 03:39:26.300434

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1c0ffee0001"
down_revision: str | Sequence[str] | None = "036314a259ae"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "status IN ('PENDING', 'REACHED_OUT', 'RETAINED', 'DECLINED')"
OLD_STATUSES = "status IN ('PENDING', 'REACHED_OUT')"


def upgrade() -> None:
    with op.batch_alter_table("lead_status_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=500), nullable=True))

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_leads_status"), type_="check")
        batch_op.create_check_constraint("status", STATUSES)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lead_id", sa.Uuid(), nullable=True))
        batch_op.create_index("ix_outbox_lead", ["lead_id", "created_at"], unique=False)
    # Messages queued before this revision carry their lead only in the payload.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE outbox SET lead_id = (payload->>'lead_id')::uuid")
    else:
        op.execute(
            "UPDATE outbox SET lead_id = replace(json_extract(payload, '$.lead_id'), '-', '')"
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_lead")
        batch_op.drop_column("lead_id")

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_leads_status"), type_="check")
        batch_op.create_check_constraint("status", OLD_STATUSES)

    with op.batch_alter_table("lead_status_changes", schema=None) as batch_op:
        batch_op.drop_column("reason")
