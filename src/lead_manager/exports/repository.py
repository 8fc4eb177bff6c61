"""The export's one query: the list's filters and a time range, newest first."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, select
from sqlalchemy.orm import Session

from lead_manager.leads import listing
from lead_manager.leads.models import Lead
from lead_manager.leads.schemas import LeadFilters
from lead_manager.stats.repository import source_expression

# Any number of columns: the export's row type is its COLUMNS, not a Python type.
ExportStatement = Select[*tuple[Any, ...]]

# Rows fetched from the database at a time (a server-side cursor on PostgreSQL).
FETCH_ROWS = 2000


def _columns() -> list[ColumnElement[Any]]:
    """The export's columns that the leads table holds, in the export's order."""
    return [
        Lead.__table__.c.id,
        Lead.__table__.c.created_at,
        Lead.__table__.c.first_name,
        Lead.__table__.c.last_name,
        Lead.__table__.c.email,
        Lead.__table__.c.phone,
        Lead.__table__.c.status,
        Lead.__table__.c.assigned_to,
        source_expression(),
        Lead.__table__.c.utm_source,
        Lead.__table__.c.utm_medium,
        Lead.__table__.c.utm_campaign,
    ]


def statement(
    filters: LeadFilters, start: datetime | None, end: datetime | None
) -> ExportStatement:
    stmt = (
        select(*_columns())
        .where(*listing.filter_conditions(filters))
        .order_by(Lead.created_at.desc(), Lead.id.desc())
    )
    if start is not None:
        stmt = stmt.where(Lead.created_at >= start)
    if end is not None:
        stmt = stmt.where(Lead.created_at < end)
    return stmt


def stream(session: Session, stmt: ExportStatement) -> Iterator[Sequence[Row[Any]]]:
    """The rows in batches of FETCH_ROWS, never all in memory: PostgreSQL keeps them behind a
    server-side cursor, SQLite's cursor steps through them as they are read."""
    result = (
        session.connection()
        .execution_options(stream_results=True, yield_per=FETCH_ROWS)
        .execute(stmt)
    )
    yield from result.partitions()
