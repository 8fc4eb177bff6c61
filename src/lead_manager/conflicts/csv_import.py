"""Reading the conflict register from CSV: every bad row reported by its line, the rest kept.

The header (line 1) is `name,kind,email,matter` (any order, email and matter optional); `;` as
the separator is accepted when the header uses it (spreadsheets in many locales write it). A
UTF-8 byte-order mark is skipped; a row that is not valid UTF-8 is reported, not guessed at.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy.orm import Session

from lead_manager.audit import repository as audit
from lead_manager.audit.models import AuditAction
from lead_manager.conflicts import repository
from lead_manager.conflicts.schemas import ImportResult, ImportRowError, PartyCreate
from lead_manager.conflicts.service import party_rows
from lead_manager.core.request_meta import RequestMeta
from lead_manager.core.validation_messages import message_for

COLUMNS = ("name", "kind", "email", "matter")
REQUIRED = frozenset({"name", "kind"})
MAX_CSV_BYTES = 10 * 1024 * 1024
# Rows are written in batches of this many (executemany).
BATCH = 5000
_UNDECODABLE = re.compile("[\udc80-\udcff]")


@dataclass
class ParsedRegister:
    parties: list[PartyCreate] = field(default_factory=list)
    errors: list[ImportRowError] = field(default_factory=list)


def _error(line: int, detail: str) -> ImportRowError:
    return ImportRowError(line=line, detail=detail)


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        message = message_for(error)
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def parse(data: bytes) -> ParsedRegister:
    result = ParsedRegister()
    # Undecodable bytes become lone surrogates, so each row can be judged on its own.
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    columns: list[str] | None = None
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not record or all(not cell.strip() for cell in record):
                continue
            if any(_UNDECODABLE.search(cell) for cell in record):
                result.errors.append(_error(start, "not valid UTF-8"))
                if columns is None:
                    return result
                continue
            if columns is None:
                columns = [cell.strip().lower() for cell in record]
                unknown = [c for c in columns if c not in COLUMNS]
                if unknown or not set(columns) >= REQUIRED or len(set(columns)) != len(columns):
                    result.errors.append(_error(start, f"the header must be {','.join(COLUMNS)}"))
                    return result
                continue
            if len(record) != len(columns):
                result.errors.append(
                    _error(start, f"expected {len(columns)} fields, found {len(record)}")
                )
                continue
            try:
                result.parties.append(
                    PartyCreate.from_fields(dict(zip(columns, record, strict=True)))
                )
            except ValidationError as exc:
                result.errors.append(_error(start, _describe(exc)))
    except csv.Error as exc:
        # A broken quote or an oversized field: what comes after cannot be read reliably.
        result.errors.append(_error(line, f"unreadable CSV: {exc}"))
    if columns is None and not result.errors:
        result.errors.append(_error(1, f"the header must be {','.join(COLUMNS)}"))
    return result


def import_register(
    session: Session, data: bytes, *, actor: uuid.UUID | None, meta: RequestMeta
) -> ImportResult:
    parsed = parse(data)
    for start in range(0, len(parsed.parties), BATCH):
        parties, keys = party_rows(parsed.parties[start : start + BATCH], actor)
        repository.add_parties(session, parties, keys)
    audit.record(
        session,
        AuditAction.PARTIES_IMPORTED,
        actor=actor,
        target=None,
        meta=meta,
        created=len(parsed.parties),
        rejected=len(parsed.errors),
    )
    return ImportResult(created=len(parsed.parties), errors=parsed.errors)
