"""Notes: written once, read in order. No HTTP here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from lead_manager.core.db import utcnow
from lead_manager.core.errors import ConflictError
from lead_manager.leads.models import Lead
from lead_manager.notes import repository
from lead_manager.notes.models import Note


def add_note(session: Session, lead: Lead, body: str, *, author: uuid.UUID) -> Note:
    if lead.erased_at is not None:
        # Its person's data is gone: a note would be about nobody, or bring the data back.
        raise ConflictError("This lead's personal data has been erased; it takes no notes.")
    note = Note(lead_id=lead.id, author=author, body=body, created_at=utcnow())
    repository.add(session, note)
    return note


def list_notes(session: Session, lead_id: uuid.UUID) -> Sequence[Note]:
    return repository.for_lead(session, lead_id)
