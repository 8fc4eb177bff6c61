"""The CSV export: an audit row in the request's transaction, then rows streamed from a read
transaction of their own as the client reads them."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lead_manager.audit import repository as audit
from lead_manager.audit.models import AuditAction
from lead_manager.core.dates import DateRange
from lead_manager.core.request_meta import RequestMeta
from lead_manager.exports import repository
from lead_manager.leads.schemas import LeadFilters

COLUMNS = (
    "id",
    "created_at",
    "first_name",
    "last_name",
    "email",
    "phone",
    "status",
    "assigned_to",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "duplicate_of",
    "conflict_status",
)
# A spreadsheet reads a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = frozenset("=+-@\t\r")


def neutralise(value: str) -> str:
    """Text a spreadsheet shows as text: a leading `'` before anything it would evaluate."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


def _text(value: str | None) -> str:
    return "" if value is None else neutralise(value)


def _cells(row: Sequence[Any]) -> list[str]:
    """One lead's CSV row. Written out column by column: at a million rows, a generic
    per-cell conversion cost more than the database."""
    (
        lead_id,
        created_at,
        first,
        last,
        email,
        phone,
        status,
        assignee,
        source,
        utm_s,
        utm_m,
        utm_c,
    ) = row
    return [
        str(lead_id),
        created_at.isoformat().replace("+00:00", "Z"),
        neutralise(first),
        neutralise(last),
        neutralise(email),
        _text(phone),
        status,
        "" if assignee is None else str(assignee),
        neutralise(source),
        _text(utm_s),
        _text(utm_m),
        _text(utm_c),
        # duplicate_of and conflict_status: filled in once duplicates and conflicts are tracked.
        "",
        "",
    ]


def start_export(
    session: Session,
    filters: LeadFilters,
    days: DateRange | None,
    *,
    actor: uuid.UUID,
    meta: RequestMeta,
) -> repository.ExportStatement:
    """Record who exported what (committed with the request) and return the rows' query."""
    audit.record(
        session,
        AuditAction.LEADS_EXPORTED,
        actor=actor,
        target=None,
        meta=meta,
        status=filters.status.value if filters.status else None,
        q=filters.q,
        assigned_to=(
            "none"
            if filters.unassigned
            else str(filters.assigned_to)
            if filters.assigned_to
            else None
        ),
        date_from=days.first.isoformat() if days else None,
        date_to=days.last.isoformat() if days else None,
    )
    return repository.statement(filters, days.start if days else None, days.end if days else None)


def csv_chunks(
    sessions: sessionmaker[Session], stmt: repository.ExportStatement
) -> Iterator[bytes]:
    """The header, then one chunk per batch of rows: memory holds one batch, whatever the
    total. The header alone when nothing matches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    with sessions() as session:
        for batch in repository.stream(session, stmt):
            writer.writerows(map(_cells, batch))
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()
