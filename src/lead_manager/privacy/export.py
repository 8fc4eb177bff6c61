"""Everything held about a person, as a zip: `data.json` (their leads with history, timeline and
emails) and their resumes, generated while it is sent (memory stays flat whatever the files)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.orm import Session
from zipstream import ZIP_DEFLATED, ZIP_STORED, ZipStream

from lead_manager.audit import repository as audit
from lead_manager.audit.models import AuditAction, AuditEvent
from lead_manager.core.db import utcnow
from lead_manager.core.errors import NotFoundError
from lead_manager.core.request_meta import RequestMeta
from lead_manager.leads import repository as leads
from lead_manager.leads.models import Lead, LeadStatusChange
from lead_manager.outbox.models import OutboxMessage, OutboxStatus
from lead_manager.privacy import repository
from lead_manager.privacy.personal_data import email_hash
from lead_manager.storage.base import ResumeNotFoundError, ResumeStorage

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
    lead_ids = [lead.id for lead in found]
    events = repository.audit_of_leads(session, lead_ids)
    messages = repository.messages_of_leads(session, lead_ids)
    records: list[dict[str, Any]] = []
    resumes: list[tuple[str, Iterator[bytes]]] = []
    for lead in found:
        arcname: str | None = f"resumes/{lead.id}/{lead.resume_filename}"
        try:
            resumes.append((str(arcname), storage.open(lead.resume_key)))
        except ResumeNotFoundError:
            arcname = None
        records.append(
            _lead_record(
                lead,
                leads.history(session, lead.id),
                [e for e in events if e.target == str(lead.id)],
                [m for m in messages if m.lead_id == lead.id],
                arcname,
            )
        )
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


def _lead_record(
    lead: Lead,
    history: Sequence[LeadStatusChange],
    events: list[AuditEvent],
    messages: list[OutboxMessage],
    resume_file: str | None,
) -> dict[str, Any]:
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
            {
                "status": change.status,
                "changed_at": change.changed_at.isoformat(),
                "changed_by": str(change.changed_by) if change.changed_by else None,
                "reason": change.reason,
            }
            for change in history
        ],
        # Hook: leads have no notes yet; when they do, they are listed here.
        "notes": [],
        "timeline": _timeline(lead, history, events, messages),
    }


def _timeline(
    lead: Lead,
    history: Sequence[LeadStatusChange],
    events: list[AuditEvent],
    messages: list[OutboxMessage],
) -> list[dict[str, Any]]:
    """What happened to the lead, oldest first, from the rows kept: its history, audit rows
    about it and the emails sent about it."""
    entries: list[dict[str, Any]] = [
        {"at": lead.created_at, "type": "submitted", "actor": None},
    ]
    previous = None
    for change in history:
        if previous is not None:
            entries.append(
                {
                    "at": change.changed_at,
                    "type": "status_changed",
                    "actor": change.changed_by,
                    "from": previous,
                    "to": change.status,
                    "reason": change.reason,
                }
            )
        previous = change.status
    for event in events:
        # Status changes come from the history above; the rest by their action's name.
        if event.action != AuditAction.LEAD_STATUS_CHANGED.value:
            entries.append(
                {"at": event.at, "type": event.action.removeprefix("lead."), "actor": event.actor}
            )
    for message in messages:
        if message.status == OutboxStatus.SENT.value and message.sent_at is not None:
            entries.append(
                {"at": message.sent_at, "type": "email_sent", "actor": None, "kind": message.kind}
            )
    entries.sort(key=lambda entry: entry["at"])
    return [
        {
            **entry,
            "at": entry["at"].isoformat(),
            "actor": str(entry["actor"]) if entry["actor"] else None,
        }
        for entry in entries
    ]
