"""Notes: written once, read in order. No HTTP here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from lead_manager.core.db import utcnow
from lead_manager.notes import repository
from lead_manager.notes.models import Note


def add_note(session: Session, lead_id: uuid.UUID, body: str, *, author: uuid.UUID) -> Note:
    note = Note(lead_id=lead_id, author=author, body=body, created_at=utcnow())
    repository.add(session, note)
    return note


def list_notes(session: Session, lead_id: uuid.UUID) -> Sequence[Note]:
    return repository.for_lead(session, lead_id)
