"""All SQL of the notes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from lead_manager.notes.models import Note


def add(session: Session, note: Note) -> None:
    session.add(note)
    session.flush()


def for_lead(session: Session, lead_id: uuid.UUID) -> Sequence[Note]:
    """Oldest first."""
    return session.scalars(
        select(Note).where(Note.lead_id == lead_id).order_by(Note.created_at, Note.id)
    ).all()
