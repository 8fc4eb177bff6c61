"""Idempotency-Key: a retried submission returns the first lead instead of a second one."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lead_manager.core.db import transaction, utcnow
from lead_manager.core.errors import ConflictError, InvalidInputError
from lead_manager.leads import repository
from lead_manager.leads.models import IdempotencyKey
from lead_manager.leads.resume import ResumeInfo
from lead_manager.leads.schemas import LeadCreate

# A claim older than this whose request never finished (the process died) may be taken over.
IN_FLIGHT_TIMEOUT = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class ResumeUpload:
    file: BinaryIO
    info: ResumeInfo


def request_fingerprint(data: LeadCreate, upload: ResumeUpload) -> str:
    """What makes two submissions "the same request" for an Idempotency-Key."""
    digest = hashlib.sha256(orjson.dumps(data.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS))
    upload.file.seek(0)
    while chunk := upload.file.read(256 * 1024):
        digest.update(chunk)
    upload.file.seek(0)
    digest.update(upload.info.filename.encode())
    return digest.hexdigest()


def claim_idempotency_key(
    factory: sessionmaker[Session], key: str, fingerprint: str, ttl: timedelta
) -> uuid.UUID | None:
    """Claim `key` for this request, or return the lead a finished identical request created.

    The claim commits in its own short transaction, before the lead's, so that a retry arriving
    while the first request is still being processed sees it and gets 409 instead of a duplicate.
    """
    now = utcnow()
    try:
        with transaction(factory) as session:
            row = repository.get_idempotency_key(session, key)
            if row is not None and row.created_at < now - ttl:
                repository.delete_idempotency_key(session, key)
                session.flush()
                row = None
            if row is None:
                session.add(IdempotencyKey(key=key, request_hash=fingerprint, created_at=now))
                session.flush()
                return None
            if row.request_hash != fingerprint:
                raise InvalidInputError(
                    "This Idempotency-Key was already used with different fields.",
                    field="Idempotency-Key",
                    location="header",
                )
            if row.lead_id is not None:
                return row.lead_id
            if row.created_at < now - IN_FLIGHT_TIMEOUT:
                row.created_at = now  # the first attempt died; this one takes over
                return None
            raise ConflictError("A request with this Idempotency-Key is still being processed.")
    except IntegrityError as exc:  # two first attempts raced; the other one won
        raise ConflictError(
            "A request with this Idempotency-Key is still being processed."
        ) from exc


def release_idempotency_key(factory: sessionmaker[Session], key: str) -> None:
    """The claimed request failed: let a retry start afresh."""
    with transaction(factory) as session:
        row = repository.get_idempotency_key(session, key)
        if row is not None and row.lead_id is None:
            repository.delete_idempotency_key(session, key)
