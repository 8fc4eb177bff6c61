"""The SQL of returning prospects and conflict decisions on leads (leads/judgement.py)."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select, text, union_all, update
from sqlalchemy.orm import Session

from lead_manager.core.db import Base
from lead_manager.leads.listing import LIST_COLUMNS, ListRow
from lead_manager.leads.models import Lead

_LEADS = Base.metadata.tables[Lead.__tablename__]


def _earliest_by(column: str) -> Select[tuple[Any, Any, Any]]:
    return (
        select(_LEADS.c.id, _LEADS.c.assigned_to, _LEADS.c.created_at)
        .where(_LEADS.c[column] == bindparam(column))
        .order_by(_LEADS.c.created_at, _LEADS.c.id)
        .limit(1)
    )


# Built once (this runs on every submission); on the table, so no ORM plugin runs per call.
_EARLIEST_BY_EMAIL = _earliest_by("email_key")
# With a phone, both keys in one statement (one round trip): an index seek of one row apiece.
_EARLIEST_BY_EMAIL_OR_PHONE = union_all(
    select(_EARLIEST_BY_EMAIL.subquery()), select(_earliest_by("phone_key").subquery())
)


def earliest_match(
    session: Session, email_key: str, phone_key: str | None
) -> tuple[uuid.UUID, uuid.UUID | None] | None:
    """The earliest lead with this email key or phone key."""
    if phone_key is None:
        found = session.connection().execute(_EARLIEST_BY_EMAIL, {"email_key": email_key}).all()
    else:
        found = (
            session.connection()
            .execute(_EARLIEST_BY_EMAIL_OR_PHONE, {"email_key": email_key, "phone_key": phone_key})
            .all()
        )
    if not found:
        return None
    lead_id, assigned_to, _created_at = min(found, key=lambda row: (row[2], row[0]))
    return lead_id, assigned_to


def serialise_acknowledgements(session: Session, email_key: str) -> None:
    """On PostgreSQL, submissions from one address count their acknowledgements one at a time
    (until the transaction ends); SQLite's single writer already does."""
    if session.get_bind().dialect.name == "postgresql":
        lock = zlib.crc32(email_key.encode()) - 2**31
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})


_RECENT = select(func.count()).select_from(
    select(_LEADS.c.id)
    .where(_LEADS.c.email_key == bindparam("key"), _LEADS.c.created_at >= bindparam("since"))
    .limit(bindparam("enough"))
    .subquery()
)


def recent_leads_of(session: Session, email_key: str, since: datetime, enough: int) -> int:
    """How many leads this address sent since `since`, counting no further than `enough`: a
    seek on the email-key index that stops early, however many an address floods in."""
    found = session.connection().execute(
        _RECENT, {"key": email_key, "since": since, "enough": enough}
    )
    return int(found.scalar() or 0)


def later_duplicates(session: Session, lead_id: uuid.UUID, limit: int) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(Lead.id)
            .where(Lead.duplicate_of == lead_id)
            .order_by(Lead.created_at, Lead.id)
            .limit(limit)
        )
    )


def contact_matches(
    session: Session, lead: Lead, limit: int
) -> Sequence[tuple[uuid.UUID, bool, bool]]:
    """Other leads sharing the email key or the phone key: (id, same email, same phone)."""
    found: dict[uuid.UUID, list[bool]] = {}
    for index, (column, value) in enumerate(
        ((Lead.email_key, lead.email_key), (Lead.phone_key, lead.phone_key))
    ):
        if value is None:
            continue
        ids = session.scalars(
            select(Lead.id)
            .where(column == value, Lead.id != lead.id)
            .order_by(Lead.created_at.desc(), Lead.id.desc())
            .limit(limit)
        )
        for other in ids:
            found.setdefault(other, [False, False])[index] = True
    return [(other, flags[0], flags[1]) for other, flags in found.items()]


def list_rows(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ListRow]:
    wanted = list(ids)
    if not wanted:
        return {}
    rows = session.connection().execute(select(*LIST_COLUMNS).where(Lead.id.in_(wanted))).all()
    return {row.id: row for row in rows}


def set_conflict_decision(
    session: Session, lead_id: uuid.UUID, expected: str, values: dict[str, Any]
) -> bool:
    """Compare-and-set on the conflict status: two decisions at once record one."""
    result = session.execute(
        update(Lead)
        .where(Lead.id == lead_id, Lead.conflict_status == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
