"""Every table, imported in one place for Alembic's autogenerate and the schema checks."""

from lead_manager.audit.models import AuditEvent
from lead_manager.auth.models import RevokedToken
from lead_manager.conflicts.models import ConflictHit, LeadNameKey, Party, PartyNameKey
from lead_manager.core.db import Base
from lead_manager.leads.models import SEARCH_INDEX_OBJECTS, IdempotencyKey, Lead, LeadStatusChange
from lead_manager.notes.models import Note
from lead_manager.outbox.models import OutboxMessage
from lead_manager.scheduling.models import JobRun
from lead_manager.users.models import User
from lead_manager.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "AuditEvent",
    "Base",
    "ConflictHit",
    "IdempotencyKey",
    "JobRun",
    "Lead",
    "LeadNameKey",
    "LeadStatusChange",
    "Note",
    "OutboxMessage",
    "Party",
    "PartyNameKey",
    "RevokedToken",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "in_orm_schema",
]


def in_orm_schema(name: str | None, _type: str, _parent_names: object) -> bool:
    """Alembic `include_name`: what the models describe, to compare with the database.

    The lead search index (an FTS5 table with its shadow tables on SQLite, trigram indexes on
    PostgreSQL) is made and kept by the migrations and the database's own triggers; the ORM
    cannot describe it, so the comparison leaves it out instead of proposing to drop it.
    """
    return name not in SEARCH_INDEX_OBJECTS
