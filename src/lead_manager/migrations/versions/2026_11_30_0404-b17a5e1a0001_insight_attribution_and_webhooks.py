"""insight: lead attribution, first response time and the statistics index; webhooks

Revision ID: b17a5e1a0001
Revises: 9e230ca5af6a
Create Date: 2026-11-30 04:04:49.692491

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lead_manager.core.db

# revision identifiers, used by Alembic.
revision: str = "b17a5e1a0001"
down_revision: str | Sequence[str] | None = "9e230ca5af6a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=50), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("created_at", lead_manager.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_deliveries_endpoint", ["endpoint_id", "created_at"], unique=False
        )

    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("secret_ciphertext", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", lead_manager.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_webhook_endpoints_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    # Plain ALTER TABLE and CREATE INDEX, not batch mode: on SQLite a batch would rebuild `leads`
    # and drop the triggers that keep the search index (leads_search) up to date.
    op.add_column("leads", sa.Column("source", sa.String(length=100), nullable=True))
    op.add_column("leads", sa.Column("utm_source", sa.String(length=100), nullable=True))
    op.add_column("leads", sa.Column("utm_medium", sa.String(length=100), nullable=True))
    op.add_column("leads", sa.Column("utm_campaign", sa.String(length=100), nullable=True))
    op.add_column("leads", sa.Column("referrer_host", sa.String(length=253), nullable=True))
    op.add_column("leads", sa.Column("first_response_seconds", sa.Float(), nullable=True))
    op.create_index(
        "ix_leads_stats",
        "leads",
        [
            "created_at",
            "status",
            "assigned_to",
            "first_response_seconds",
            "source",
            "utm_source",
            "referrer_host",
        ],
        unique=False,
    )
    # Leads answered before this revision: their first response is in the history.
    if op.get_bind().dialect.name == "postgresql":
        elapsed = "EXTRACT(EPOCH FROM (min(c.changed_at) - leads.created_at))"
    else:
        elapsed = "(julianday(min(c.changed_at)) - julianday(leads.created_at)) * 86400.0"
    op.execute(
        f"UPDATE leads SET first_response_seconds = (SELECT {elapsed} "  # noqa: S608 - constants
        "FROM lead_status_changes c WHERE c.lead_id = leads.id AND c.status <> 'PENDING') "
        "WHERE status <> 'PENDING'"
    )


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+): the search triggers stay.
    op.drop_index("ix_leads_stats", table_name="leads")
    for column in (
        "first_response_seconds",
        "referrer_host",
        "utm_campaign",
        "utm_medium",
        "utm_source",
        "source",
    ):
        op.drop_column("leads", column)

    op.drop_table("webhook_endpoints")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_endpoint")

    op.drop_table("webhook_deliveries")
