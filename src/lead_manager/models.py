"""Every table, imported in one place for Alembic's autogenerate and the schema checks."""

from lead_manager.audit.models import AuditEvent
from lead_manager.core.db import Base
from lead_manager.leads.models import IdempotencyKey, Lead, LeadStatusChange
from lead_manager.notes.models import Note
from lead_manager.outbox.models import OutboxMessage
from lead_manager.scheduling.models import JobRun
from lead_manager.users.models import User

__all__ = [
    "AuditEvent",
    "Base",
    "IdempotencyKey",
    "JobRun",
    "Lead",
    "LeadStatusChange",
    "Note",
    "OutboxMessage",
    "User",
]
