"""All SQL of the conflicts domain: the register, the name keys, the hits."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session

from lead_manager.conflicts.models import ConflictHit, LeadNameKey, Party, PartyNameKey
from lead_manager.core.db import Base
from lead_manager.core.pagination import Cursor

# Bounds one lookup whatever the names (a flood of one common token); far above what a real
# register yields per name, see README "Conflicts of interest".
MAX_CANDIDATES = 5000

_INSERT_PARTY = insert(Base.metadata.tables[Party.__tablename__])
_INSERT_PARTY_KEY = insert(Base.metadata.tables[PartyNameKey.__tablename__])
_INSERT_LEAD_KEY = insert(Base.metadata.tables[LeadNameKey.__tablename__])
_INSERT_HIT = insert(Base.metadata.tables[ConflictHit.__tablename__])


@dataclass(frozen=True, slots=True)
class KeyQuery:
    """Candidates for one name: any of its keys, a normalised length within [low, high], and
    for lead names the role of the stored name."""

    keys: frozenset[str]
    low: int
    high: int
    role: str | None = None


# A stored name in the block of query number 0, 1…: (query, owner id as the driver returns it
# (see as_uuid), normalised name, role, name as written; role and name for lead names only).
# Plain rows, not objects: a block can hold hundreds, and most are dropped at once.
Candidate = tuple[int, Any, str, str | None, str | None]


def as_uuid(value: Any) -> uuid.UUID:
    # The driver's own value: a UUID from psycopg, 32 hex digits from SQLite.
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _candidates(
    connection: Connection, table: str, columns: str, queries: Sequence[KeyQuery]
) -> list[Candidate]:
    """One statement for all the names, each name's block DISTINCT (a close name shares
    several keys) and tagged with the name's number. Driver SQL: built per call with a varying
    shape, an SQLAlchemy statement would be compiled anew each time, which costs more than the
    lookup."""
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    selects: list[str] = []
    params: list[Any] = []
    for number, query in enumerate(queries):
        if not query.keys:
            continue
        keys = sorted(query.keys)
        where = f"key IN ({', '.join([mark] * len(keys))})"
        params.extend(keys)
        if query.role is not None:
            where += f" AND role = {mark}"
            params.append(query.role)
        where += f" AND name_length BETWEEN {mark} AND {mark}"
        params.extend((query.low, query.high))
        # Only placeholders, numbers and our own identifiers go into the text.
        selects.append(f"SELECT DISTINCT {number}, {columns} FROM {table} WHERE {where}")  # noqa: S608
    if not selects:
        return []
    sql = f"{' UNION ALL '.join(selects)} LIMIT {MAX_CANDIDATES}"
    rows: list[Candidate] = connection.exec_driver_sql(sql, tuple(params)).fetchall()  # type: ignore[assignment]
    return rows


def party_candidates(session: Session, queries: Sequence[KeyQuery]) -> list[Candidate]:
    columns = "party_id, name_key, NULL, NULL"
    return _candidates(session.connection(), "party_name_keys", columns, queries)


def lead_candidates(session: Session, queries: Sequence[KeyQuery]) -> list[Candidate]:
    columns = "lead_id, name_key, role, name"
    return _candidates(session.connection(), "lead_name_keys", columns, queries)


def add_lead_keys(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(_INSERT_LEAD_KEY, rows)


_PARTIES = Base.metadata.tables[Party.__tablename__]
_PARTY_COLUMNS = (_PARTIES.c.id, _PARTIES.c.name, _PARTIES.c.kind)
# Built once: these run on every submission.
_BY_EMAIL_KEY = select(*_PARTY_COLUMNS).where(_PARTIES.c.email_key == bindparam("key")).limit(50)
_BY_IDS = select(*_PARTY_COLUMNS).where(_PARTIES.c.id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True, slots=True)
class PartySummary:
    id: uuid.UUID
    name: str
    kind: str


def parties_by_email_key(session: Session, email_key: str) -> list[PartySummary]:
    rows = session.connection().execute(_BY_EMAIL_KEY, {"key": email_key}).all()
    return [PartySummary(*row) for row in rows]


def parties_by_id(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, PartySummary]:
    wanted = list(ids)
    if not wanted:
        return {}
    rows = session.connection().execute(_BY_IDS, {"ids": wanted}).all()
    return {row[0]: PartySummary(*row) for row in rows}


def add_parties(
    session: Session, parties: list[dict[str, Any]], keys: list[dict[str, Any]]
) -> None:
    """Parties and their name keys, two executemany statements however many rows."""
    connection = session.connection()
    if parties:
        connection.execute(_INSERT_PARTY, parties)
    if keys:
        connection.execute(_INSERT_PARTY_KEY, keys)


def get_party(session: Session, party_id: uuid.UUID) -> Party | None:
    return session.get(Party, party_id)


def delete_party(session: Session, party_id: uuid.UUID) -> None:
    session.execute(delete(PartyNameKey).where(PartyNameKey.party_id == party_id))
    session.execute(delete(Party).where(Party.id == party_id))


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def page_parties(
    session: Session, q: str | None, limit: int, after: Cursor | None
) -> Sequence[Party]:
    stmt = select(Party).order_by(Party.created_at.desc(), Party.id.desc()).limit(limit + 1)
    if q:
        pattern = _like_pattern(q)
        stmt = stmt.where(
            or_(
                Party.name.ilike(pattern, escape="\\"),
                Party.email.ilike(pattern, escape="\\"),
                Party.matter.ilike(pattern, escape="\\"),
            )
        )
    if after is not None:
        stmt = stmt.where(tuple_(Party.created_at, Party.id) < after)
    return session.scalars(stmt).all()


def count_parties(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Party)) or 0


def add_hits(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(_INSERT_HIT, rows)


def hits_of(session: Session, lead_id: uuid.UUID) -> Sequence[ConflictHit]:
    return session.scalars(
        select(ConflictHit).where(ConflictHit.lead_id == lead_id).order_by(ConflictHit.position)
    ).all()


def count_hits(session: Session, lead_id: uuid.UUID) -> int:
    stmt = select(func.count()).select_from(ConflictHit).where(ConflictHit.lead_id == lead_id)
    return session.scalar(stmt) or 0


def forget_leads(session: Session, lead_ids: Sequence[uuid.UUID]) -> None:
    """Erasure: the leads' name keys and conflict hits go, and hits of other leads that found
    them keep the fact but not the name (`(erased)`)."""
    ids = list(lead_ids)
    for statement in (
        delete(LeadNameKey).where(LeadNameKey.lead_id.in_(ids)),
        delete(ConflictHit).where(ConflictHit.lead_id.in_(ids)),
        update(ConflictHit)
        .where(ConflictHit.source == "lead", ConflictHit.ref_id.in_(ids))
        .values(name="(erased)"),
    ):
        session.execute(statement.execution_options(synchronize_session=False))
