"""Everything held about a person, as a zip: `data.json` (their leads with history, timeline and
emails) and their resumes, generated while it is sent (memory stays flat whatever the files)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.orm import Session
from zipstream import ZIP_DEFLATED, ZIP_STORED, ZipStream

from lead_manager.audit import repository as audit
from lead_manager.audit.models import AuditAction
from lead_manager.core.db import utcnow
from lead_manager.core.errors import NotFoundError
from lead_manager.core.request_meta import RequestMeta
from lead_manager.leads import repository as leads
from lead_manager.leads.models import Lead
from lead_manager.leads.schemas import StatusChangeRead
from lead_manager.notes import repository as notes
from lead_manager.notes.schemas import NoteRead
from lead_manager.privacy import repository
from lead_manager.privacy.personal_data import email_hash
from lead_manager.storage.base import ResumeNotFoundError, ResumeStorage
from lead_manager.timeline.schemas import Timeline
from lead_manager.timeline.service import timeline

ZIP_MEDIA_TYPE = "application/zip"


@dataclass(frozen=True, slots=True)
class PersonExport:
    filename: str
    document: dict[str, Any]
    # (name in the zip, the stored bytes): opened already, read while the zip is sent.
    resumes: list[tuple[str, Iterator[bytes]]] = field(default_factory=list)

    def chunks(self) -> Iterator[bytes]:
        """The zip, piece by piece: data.json, then each resume as it is read from storage."""
        stream = ZipStream(compress_type=ZIP_DEFLATED)
        stream.add(orjson.dumps(self.document, option=orjson.OPT_INDENT_2), "data.json")
        for arcname, body in self.resumes:
            # Documents are compressed already: stored as they are.
            stream.add(body, arcname, compress_type=ZIP_STORED)
            yield from stream.all_files()
        yield from stream.finalize()


def export_person(
    session: Session,
    storage: ResumeStorage,
    address: str,
    *,
    secret_key: str,
    actor: uuid.UUID,
    meta: RequestMeta,
) -> PersonExport:
    """What the zip will hold; NotFoundError when no lead matches the address. Audited.

    The resumes are opened here, before any of the answer is sent: storage that is down is a 503,
    not a zip cut short (StorageUnavailableError), and a missing file is said in data.json.
    """
    found = repository.leads_of_person(session, address)
    if not found:
        raise NotFoundError("No lead matches this email address.")
    records: list[dict[str, Any]] = []
    resumes: list[tuple[str, Iterator[bytes]]] = []
    for lead in found:
        arcname: str | None = f"resumes/{lead.id}/{lead.resume_filename}"
        try:
            resumes.append((str(arcname), storage.open(lead.resume_key)))
        except ResumeNotFoundError:
            arcname = None
        records.append(_lead_record(session, lead, arcname))
    now = utcnow()
    audit.record(
        session,
        AuditAction.PERSON_EXPORTED,
        actor=actor,
        target=email_hash(secret_key, address),
        meta=meta,
        leads=len(found),
    )
    document = {"email": address, "exported_at": now.isoformat(), "leads": records}
    return PersonExport(f"personal-data-{now:%Y%m%d-%H%M%S}.zip", document, resumes)


def _lead_record(session: Session, lead: Lead, resume_file: str | None) -> dict[str, Any]:
    """One lead as data.json shows it: its fields, history, notes and timeline (the same
    entries as GET /api/v1/leads/{id}/timeline)."""
    history = leads.history(session, lead.id)
    return {
        "id": str(lead.id),
        "created_at": lead.created_at.isoformat(),
        "updated_at": lead.updated_at.isoformat(),
        "status": lead.status,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": lead.email,
        "phone": lead.phone,
        "message": lead.message,
        "assigned_to": str(lead.assigned_to) if lead.assigned_to else None,
        "privacy": {
            "notice_version": lead.privacy_notice_version,
            "channel": lead.privacy_channel,
            "marketing_opt_in": lead.marketing_opt_in,
        },
        "resume": {
            "filename": lead.resume_filename,
            "content_type": lead.resume_content_type,
            "size": lead.resume_size,
            # Its name in this zip; null when the file was missing from storage.
            "file": resume_file,
        },
        "history": [
            StatusChangeRead.model_validate(change).model_dump(mode="json") for change in history
        ],
        "notes": [
            NoteRead.model_validate(note).model_dump(mode="json")
            for note in notes.for_lead(session, lead.id)
        ],
        "timeline": Timeline(items=timeline(session, lead)).model_dump(mode="json", by_alias=True)[
            "items"
        ],
    }
