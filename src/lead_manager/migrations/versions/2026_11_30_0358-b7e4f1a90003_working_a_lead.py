"""working a lead: notes, assignment reason, respond_by and escalation step, email recipients

Revision ID: b7e4f1a90003
Revises: a1c0ffee0002
Create Date: 2026-11-30 03:58:33.225881

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lead_manager.core.db

revision: str = "b7e4f1a90003"
down_revision: str | Sequence[str] | None = "a1c0ffee0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("author", sa.Uuid(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", lead_manager.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author"], ["users.id"], name=op.f("fk_notes_author_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_notes_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.create_index("ix_notes_lead", ["lead_id", "created_at"], unique=False)

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_target", ["target", "at"], unique=False)

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignment_reason", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("respond_by", lead_manager.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("escalation_step", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index(
            "ix_leads_respond_by", ["respond_by", "escalation_step"], unique=False
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipient", sa.String(length=320), nullable=True))

    # Earlier leads: their first assignment's reason, as intake decided it. (They get no
    # respond_by: the business-hours deadline is the application's to compute, from now on.)
    op.execute(
        "UPDATE leads SET assignment_reason = CASE WHEN assigned_to IS NULL "
        "THEN 'none_available' ELSE 'round_robin' END"
    )
    # Emails delivered before this revision: the address they went to (today's address of the
    # prospect or user), so the timelines of earlier leads list them too.
    if op.get_bind().dialect.name == "postgresql":
        user_id = "(outbox.payload->>'user_id')::uuid"
    else:
        user_id = "replace(json_extract(outbox.payload, '$.user_id'), '-', '')"
    op.execute(
        "UPDATE outbox SET recipient = (SELECT email FROM leads WHERE leads.id = outbox.lead_id) "
        "WHERE status = 'sent' AND kind = 'lead_acknowledgement'"
    )
    op.execute(
        f"UPDATE outbox SET recipient = (SELECT email FROM users WHERE users.id = {user_id}) "  # noqa: S608 - no input
        "WHERE status = 'sent' AND kind <> 'lead_acknowledgement'"
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("recipient")

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_respond_by")
        batch_op.drop_column("escalation_step")
        batch_op.drop_column("respond_by")
        batch_op.drop_column("assignment_reason")

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_target")

    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_index("ix_notes_lead")

    op.drop_table("notes")
