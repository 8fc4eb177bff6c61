"""The lead list's SQL: filters, search through the substring index, keyset page, count.

Part of the domain's SQL (repository.py holds the rest), on its own for its size.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    String,
    bindparam,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    table,
    tuple_,
    type_coerce,
)
from sqlalchemy.orm import Session

from lead_manager.core.db import utcnow
from lead_manager.core.pagination import Cursor
from lead_manager.leads.models import SEARCH_TABLE, Lead
from lead_manager.leads.repository import NOT_ERASED
from lead_manager.leads.schemas import LeadFilters

# Only the columns a list item shows: no message text, no resume metadata.
LIST_COLUMNS = (
    Lead.id,
    Lead.first_name,
    Lead.last_name,
    Lead.email,
    Lead.status,
    Lead.created_at,
    Lead.assigned_to,
    # Returning prospects and conflicts.
    Lead.duplicate_of,
    Lead.conflict_status,
    # Last: the page swaps it for null when deadlines are off (see `page`).
    Lead.respond_by,
)
ListRow = Row[
    uuid.UUID,
    str,
    str,
    str,
    str,
    datetime,
    uuid.UUID | None,
    uuid.UUID | None,
    str,
    datetime | None,
]
# Without an SLA no lead has a deadline, whatever was stored while there was one.
_NO_DEADLINE = type_coerce(null(), Lead.respond_by.type).label("respond_by")


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# "first last": a substring of either name is a substring of it, so with the email it covers
# every field the search looks at. A literal space, not a bound parameter: PostgreSQL's trigram
# index is on this exact expression, and a parameter would not match it in a generic plan.
_FULL_NAME = Lead.first_name + literal_column("' '", String) + Lead.last_name

# The substring index (SQLite FTS5 trigram, PostgreSQL pg_trgm) has nothing to look up in a
# query shorter than one trigram: those scan the list in order with LIKE, as all queries did.
SEARCH_INDEX_MIN_CHARS = 3
# Up to this many matches the page is built from the index's matches (a sort of at most this
# many rows, a few ms); past it the term is common, and the newest-first scan of the list index
# meets a page of matches within a few thousand rows. Fixed rather than proportional: at 1M
# leads it means 1 % of the table.
SEARCH_INDEX_MAX_MATCHES = 10_000

_SEARCH_TABLE = table(SEARCH_TABLE)
_SEARCH_ROWID: ColumnElement[int] = literal_column(f"{SEARCH_TABLE}.rowid")
_LEAD_ROWID: ColumnElement[int] = literal_column(f"{Lead.__tablename__}.rowid")


def _matches(q: str) -> ColumnElement[bool]:
    """Case-insensitive substring of "first last" or the email, `%` and `_` literal."""
    pattern = _like_pattern(q)
    return or_(_FULL_NAME.ilike(pattern, escape="\\"), Lead.email.ilike(pattern, escape="\\"))


def _filters(
    filters: LeadFilters, columns: Any, page_on_sqlite: bool = False
) -> list[ColumnElement[bool]]:
    """The conditions other than the search, on the table's or a subquery's columns."""
    conditions: list[ColumnElement[bool]] = []
    if filters.status is not None:
        conditions.append(columns.status == filters.status.value)
    if filters.assigned_to is not None:
        conditions.append(columns.assigned_to == filters.assigned_to)
    if filters.unassigned:
        conditions.append(columns.assigned_to.is_(None))
    if filters.overdue:
        # A range of ix_leads_respond_by: respond_by is set only while a lead is PENDING.
        overdue = columns.respond_by < utcnow()
        if page_on_sqlite:
            # SQLite (no statistics) would rather walk ix_leads_created for the ORDER BY, through
            # every lead older than the overdue ones; as a subquery the range drives the page.
            # PostgreSQL weighs both ways by its statistics and picks well as it is.
            overdue = Lead.id.in_(select(Lead.id).where(Lead.respond_by < utcnow()))
        conditions.append(overdue if filters.deadlines else false())
    # Returning prospects and conflicts.
    if filters.exclude_duplicates:
        conditions.append(columns.duplicate_of.is_(None))
    if filters.conflict is not None:
        conditions.append(columns.conflict_status == filters.conflict.value)
    return conditions


def _conditions(filters: LeadFilters, page_on_sqlite: bool = False) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the filters, shared by the page and the count."""
    conditions = [NOT_ERASED, *_filters(filters, Lead.__table__.c, page_on_sqlite)]
    if filters.q:
        conditions.append(_matches(filters.q))
    return conditions


def filter_conditions(filters: LeadFilters) -> list[ColumnElement[bool]]:
    """The list filters' WHERE clauses (erased leads left out), for other readers of the same
    selection: the CSV export."""
    return _conditions(filters)


def _fts_phrase(q: str) -> str:
    # One FTS5 phrase: the trigram tokenizer matches it as a contiguous substring, and inside
    # double quotes nothing of q is query syntax.
    return '"' + q.replace('"', '""') + '"'


def _index_candidates(connection: Connection, q: str) -> Select[*tuple[Any, ...]]:
    """What the substring index finds for q, to narrow the leads before the exact `_matches`.

    On SQLite, the rowids the FTS5 table matches (case-folded trigrams: a superset of what
    `_matches` accepts). On PostgreSQL the `ILIKE` of `_matches` is served by the GIN indexes
    itself.
    """
    if connection.dialect.name == "sqlite":
        phrase = literal_column(SEARCH_TABLE).op("MATCH")(_fts_phrase(q))
        return select(_SEARCH_ROWID).select_from(_SEARCH_TABLE).where(phrase)
    return select(Lead.id).where(_matches(q))


def _few_matches(connection: Connection, q: str) -> bool:
    """Whether the index finds at most SEARCH_INDEX_MAX_MATCHES leads for q (it stops counting
    past that)."""
    if len(q) < SEARCH_INDEX_MIN_CHARS:
        return False
    probe = _index_candidates(connection, q).limit(SEARCH_INDEX_MAX_MATCHES + 1).subquery()
    found = connection.execute(select(func.count()).select_from(probe)).scalar_one()
    return found <= SEARCH_INDEX_MAX_MATCHES


def _search_page(connection: Connection, filters: LeadFilters, q: str) -> Select[*tuple[Any, ...]]:
    """The page of a search with few matches: the matches first, then the filters and the order.

    MATERIALIZED keeps the planners from reading the list index newest-first and testing each
    lead against the search instead (they cannot know how few matches there are): that scans
    every lead when the matches are few or old.
    """
    found = select(*LIST_COLUMNS).where(_matches(q), NOT_ERASED)
    if connection.dialect.name == "sqlite":
        found = found.where(_LEAD_ROWID.in_(_index_candidates(connection, q)))
    matched = found.cte("matched").prefix_with("MATERIALIZED")
    deadline = matched.c.respond_by if filters.deadlines else _NO_DEADLINE
    return (
        select(*list(matched.c)[:-1], deadline)
        .where(*_filters(filters, matched.c))
        .order_by(matched.c.created_at.desc(), matched.c.id.desc())
    )


def _indexed_filters(filters: LeadFilters) -> list[tuple[str, Any]]:
    """The filters given that lead an index of their own, as (name, bound value)."""
    given = [
        ("status", filters.status.value if filters.status is not None else None),
        ("assigned_to", filters.assigned_to),
        ("unassigned", True if filters.unassigned else None),
        ("conflict", filters.conflict.value if filters.conflict is not None else None),
    ]
    return [(name, value) for name, value in given if value is not None]


def one_index_serves(filters: LeadFilters) -> bool:
    """Whether an index gives the page in order: no search, and at most one of the filters
    that lead an index of their own (status, assignee, conflict status). Such a page reads about
    `limit` index entries at any depth and is cheap enough for the event loop (leads/router.py);
    any other page may read far before it fills."""
    return (
        not filters.q
        and not filters.overdue
        and not filters.exclude_duplicates
        and len(_indexed_filters(filters)) <= 1
    )


_INDEXED_CONDITIONS: dict[str | None, ColumnElement[bool] | None] = {
    None: None,
    "status": Lead.status == bindparam("value"),
    "assigned_to": Lead.assigned_to == bindparam("value", type_=Lead.assigned_to.type),
    "unassigned": Lead.assigned_to.is_(None),
    "conflict": Lead.conflict_status == bindparam("value"),
}
_KEYSET = tuple_(Lead.created_at, Lead.id)
_AFTER = tuple_(
    bindparam("after_at", type_=Lead.created_at.type), bindparam("after_id", type_=Lead.id.type)
)


def _indexed_page(filter_name: str | None, deadlines: bool, after: bool) -> Select[Any]:
    deadline = Lead.respond_by if deadlines else _NO_DEADLINE
    stmt = select(*LIST_COLUMNS[:-1], deadline).where(NOT_ERASED)
    condition = _INDEXED_CONDITIONS[filter_name]
    if condition is not None:
        stmt = stmt.where(condition)
    if after:
        stmt = stmt.where(_KEYSET < _AFTER)
    return stmt.order_by(Lead.created_at.desc(), Lead.id.desc()).limit(bindparam("limit"))


# Built once, every shape of them: the list's most frequent statements, which built per request
# cost more CPU (expressions, then their cache key) than the index seeks they run.
_INDEXED_PAGES = {
    (name, deadlines, after): _indexed_page(name, deadlines, after)
    for name in _INDEXED_CONDITIONS
    for deadlines in (True, False)
    for after in (True, False)
}


def _page_one_index_serves(
    connection: Connection, filters: LeadFilters, after: Cursor | None
) -> Sequence[ListRow]:
    indexed = _indexed_filters(filters)
    name, value = indexed[0] if indexed else (None, None)
    params: dict[str, Any] = {"value": value, "limit": filters.limit + 1}
    if after is not None:
        params["after_at"], params["after_id"] = after
    stmt = _INDEXED_PAGES[name, filters.deadlines, after is not None]
    return connection.execute(stmt, params).all()


def page(connection: Connection, filters: LeadFilters, after: Cursor | None) -> Sequence[ListRow]:
    """Newest first, keyset paging on (created_at, id): flat cost at any depth, no OFFSET."""
    if one_index_serves(filters):
        return _page_one_index_serves(connection, filters, after)
    stmt: Select[*tuple[Any, ...]]
    if filters.q and _few_matches(connection, filters.q):
        stmt = _search_page(connection, filters, filters.q)
        keyset = tuple_(stmt.selected_columns.created_at, stmt.selected_columns.id)
    else:
        deadline = Lead.respond_by if filters.deadlines else _NO_DEADLINE
        on_sqlite = filters.overdue and connection.dialect.name == "sqlite"
        stmt = (
            select(*LIST_COLUMNS[:-1], deadline)
            .where(*_conditions(filters, on_sqlite))
            .order_by(Lead.created_at.desc(), Lead.id.desc())
        )
        keyset = tuple_(Lead.created_at, Lead.id)
    if after is not None:
        # A row-value comparison, not `a < x OR (a = x AND b < y)`: SQLite and PostgreSQL seek the
        # index to the cursor with it, where the OR form scans every newer row (300 ms at 1M).
        stmt = stmt.where(keyset < after)
    # Core on the connection: the page is plain rows, and the ORM's execution layer costs more
    # CPU than the query itself.
    return connection.execute(stmt.limit(filters.limit + 1)).all()


def count(session: Session, filters: LeadFilters, at_most: int) -> int:
    """How many leads match, counting no further than `at_most`: a count reads every match
    (and on SQLite each one's row, for `erased_at`), 0.3 s for 750,000 pending leads."""
    matches = select(Lead.id).where(*_conditions(filters)).limit(at_most).subquery()
    return session.scalar(select(func.count()).select_from(matches)) or 0
