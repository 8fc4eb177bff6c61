"""All SQL of the statistics: grouped queries over the leads of a time range.

Every query reads a range of `ix_leads_stats` (created_at first, then every column the
statistics group or count by: no table row is read) and groups in the database; Python only
adds up the few grouped rows. The databases differ in one thing, percentiles, written here so
that both give the same numbers.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Row,
    SQLColumnExpression,
    and_,
    case,
    column,
    func,
    literal,
    literal_column,
    select,
    type_coerce,
    values,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from lead_manager.core.db import UTCDateTime
from lead_manager.leads.attribution import DIRECT
from lead_manager.leads.models import Lead


def _in_range(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(Lead.created_at >= start, Lead.created_at < end)


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _grouping(session: Session, column: InstrumentedAttribute[Any]) -> SQLColumnExpression[Any]:
    """`column` to group or partition by. On SQLite written `+column` (a no-op there): SQLite
    would otherwise read the range through the index already ordered by it
    (ix_leads_assignee_created) and fetch each lead's row from the table, where ix_leads_stats
    alone holds every column the statistics need."""
    if not _is_sqlite(session):
        return column
    return type_coerce(literal_column(f"+{Lead.__tablename__}.{column.key}"), column.type)


def source_expression() -> ColumnElement[str]:
    """The contract's source of a lead: `source`, else `utm_source`, else the referring host
    the form saw, else "direct" (leads.attribution.source_of says the same in Python)."""
    return func.coalesce(Lead.source, Lead.utm_source, Lead.referrer_host, literal(DIRECT))


def counts_by_day(
    session: Session, days: Sequence[tuple[date, datetime, datetime]]
) -> Sequence[Row[date, int]]:
    """Leads per day, each day given as (date, first instant, instant after) in UTC: one
    statement, one count of an index range per day (no date arithmetic per lead)."""
    # A CTE, not `(VALUES …) AS days (columns)`, which SQLite cannot parse.
    bounds = (
        values(
            column("day", Date()),
            column("start", UTCDateTime()),
            column("end", UTCDateTime()),
            name="days",
        )
        .data(list(days))
        .cte("days")
    )
    count = (
        select(func.count())
        .select_from(Lead)
        .where(Lead.created_at >= bounds.c.start, Lead.created_at < bounds.c.end)
        .scalar_subquery()
    )
    return session.execute(select(bounds.c.day, count)).all()


def counts_by_status_and_source(
    session: Session, start: datetime, end: datetime
) -> Sequence[Row[str, str, int]]:
    source = source_expression().label("source")
    return session.execute(
        select(Lead.status, source, func.count())
        .where(_in_range(start, end))
        .group_by(Lead.status, source)
    ).all()


@dataclass(frozen=True, slots=True)
class ResponseCounts:
    assigned_to: uuid.UUID | None
    leads: int
    responded: int
    within_sla: int
    # Not responded and already past the SLA: missed, though not yet answered.
    overdue: int


def response_counts(
    session: Session, start: datetime, end: datetime, *, sla_minutes: float, now: datetime
) -> list[ResponseCounts]:
    """Per assignee (None: unassigned): leads, responded, within the SLA, overdue."""
    elapsed = Lead.first_response_seconds
    deadline = now - timedelta(minutes=sla_minutes)
    responded_in_time = case((elapsed <= sla_minutes * 60, 1), else_=0)
    unanswered_late = case((and_(elapsed.is_(None), Lead.created_at < deadline), 1), else_=0)
    rows = session.execute(
        select(
            Lead.assigned_to,
            func.count(),
            func.count(elapsed),
            func.coalesce(func.sum(responded_in_time), 0),
            func.coalesce(func.sum(unanswered_late), 0),
        )
        .where(_in_range(start, end))
        .group_by(_grouping(session, Lead.assigned_to))
    ).all()
    return [ResponseCounts(row[0], row[1], row[2], int(row[3]), int(row[4])) for row in rows]


# Response-time buckets of the dashboard's histogram: upper bounds in minutes (the last open).
HISTOGRAM_BOUNDS = (15, 60, 4 * 60, 24 * 60, 3 * 24 * 60)


def response_histogram(session: Session, start: datetime, end: datetime) -> Sequence[Row[int, int]]:
    """(bucket index, leads) of the responded leads, by HISTOGRAM_BOUNDS."""
    elapsed = Lead.first_response_seconds
    bucket = case(
        *[(elapsed < bound * 60, index) for index, bound in enumerate(HISTOGRAM_BOUNDS)],
        else_=len(HISTOGRAM_BOUNDS),
    ).label("bucket")
    return session.execute(
        select(bucket, func.count())
        .where(_in_range(start, end), elapsed.is_not(None))
        .group_by(bucket)
    ).all()


MEDIAN = Fraction(1, 2)
P90 = Fraction(9, 10)


@dataclass(frozen=True, slots=True)
class Percentiles:
    """Response times in seconds (None: no lead responded): overall, and the median per
    assignee."""

    overall: dict[Fraction, float | None]
    median_by_assignee: dict[uuid.UUID | None, float]


def response_percentiles(
    session: Session, start: datetime, end: datetime, responded: Mapping[uuid.UUID | None, int]
) -> Percentiles:
    """Median and 90th percentile as PostgreSQL's percentile_cont defines them (linear
    interpolation between the two nearest ranks). SQLite has no percentile function: there the
    values at those ranks (known from `responded`, the responded leads per assignee) are picked
    from one sorted pass each, by row_number(), and interpolated here."""
    if _is_sqlite(session):
        return _percentiles_by_rank(session, start, end, responded)
    elapsed = Lead.first_response_seconds
    in_range = and_(_in_range(start, end), elapsed.is_not(None))
    median, p90 = session.execute(
        select(
            func.percentile_cont(float(MEDIAN)).within_group(elapsed),
            func.percentile_cont(float(P90)).within_group(elapsed),
        ).where(in_range)
    ).one()
    by_assignee = session.execute(
        select(Lead.assigned_to, func.percentile_cont(float(MEDIAN)).within_group(elapsed))
        .where(in_range)
        .group_by(Lead.assigned_to)
    ).all()
    return Percentiles(
        {MEDIAN: median, P90: p90}, {assignee: value for assignee, value in by_assignee}
    )


def _ranks(count: int, fraction: Fraction) -> tuple[int, Fraction]:
    """The 0-based rank at or below `fraction` of the way through `count` sorted values, and
    how far towards the next one the percentile lies."""
    position = fraction * (count - 1)
    low = position.numerator // position.denominator
    return low, position - low


def _interpolate(values: Mapping[int, float], count: int, fraction: Fraction) -> float:
    low, weight = _ranks(count, fraction)
    if not weight:
        return values[low]
    return values[low] + (values[low + 1] - values[low]) * float(weight)


def _values_at_ranks(
    session: Session, start: datetime, end: datetime, ranks: set[int], *, by_assignee: bool
) -> dict[uuid.UUID | None, dict[int, float]]:
    """The response times at `ranks` in sorted order: of all responded leads, or of each
    assignee's (then keyed by assignee)."""
    elapsed = Lead.first_response_seconds
    partition = _grouping(session, Lead.assigned_to) if by_assignee else None
    ranked = (
        select(
            Lead.assigned_to.label("assignee"),
            elapsed.label("elapsed"),
            (func.row_number().over(partition_by=partition, order_by=elapsed) - 1).label("rank"),
        )
        .where(_in_range(start, end), elapsed.is_not(None))
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.assignee, ranked.c.rank, ranked.c.elapsed).where(
            ranked.c.rank.in_(sorted(ranks))
        )
    ).all()
    values: dict[uuid.UUID | None, dict[int, float]] = {}
    for assignee, rank, value in rows:
        values.setdefault(assignee if by_assignee else None, {})[rank] = value
    return values


def _percentiles_by_rank(
    session: Session, start: datetime, end: datetime, responded: Mapping[uuid.UUID | None, int]
) -> Percentiles:
    def needed(count: int, fractions: Sequence[Fraction]) -> set[int]:
        return {low + step for f in fractions for low, _ in [_ranks(count, f)] for step in (0, 1)}

    overall: dict[Fraction, float | None] = {MEDIAN: None, P90: None}
    total = sum(responded.values())
    if total:
        values = _values_at_ranks(
            session, start, end, needed(total, (MEDIAN, P90)), by_assignee=False
        )[None]
        overall = {fraction: _interpolate(values, total, fraction) for fraction in overall}
    counts = {assignee: count for assignee, count in responded.items() if count}
    wanted = set().union(*(needed(count, (MEDIAN,)) for count in counts.values()))
    per_assignee = _values_at_ranks(session, start, end, wanted, by_assignee=True) if counts else {}
    medians = {
        assignee: _interpolate(per_assignee[assignee], count, MEDIAN)
        for assignee, count in counts.items()
    }
    return Percentiles(overall, medians)
