"""Lead statistics over a range of days in the firm's time zone."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lead_manager.core.dates import DateRange
from lead_manager.core.db import utcnow
from lead_manager.leads.models import LeadStatus
from lead_manager.stats import repository
from lead_manager.stats.repository import MEDIAN, P90
from lead_manager.stats.schemas import (
    AttorneyStats,
    DayCount,
    FirstResponse,
    SourceCount,
    Stats,
)
from lead_manager.users import repository as users

# The largest sources by name; the rest are added up under OTHER_SOURCES (a form anyone can
# post to must not be able to make the answer arbitrarily long).
MAX_SOURCES = 50
OTHER_SOURCES = "(other)"


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def statistics(
    session: Session, days: DateRange, *, sla_minutes: float, now: datetime | None = None
) -> Stats:
    now = now or utcnow()
    start, end = days.start, days.end
    per_day = dict(repository.counts_by_day(session, days.bounds))
    by_status = {status.value: 0 for status in LeadStatus}
    by_source: Counter[str] = Counter()
    for status, source, count in repository.counts_by_status_and_source(session, start, end):
        by_status[status] = by_status.get(status, 0) + count
        by_source[source] += count
    responses = repository.response_counts(session, start, end, sla_minutes=sla_minutes, now=now)
    percentiles = repository.response_percentiles(
        session, start, end, {row.assigned_to: row.responded for row in responses}
    )
    return Stats(
        from_=days.first,
        to=days.last,
        total=sum(by_status.values()),
        by_status=by_status,
        by_day=[DayCount(date=day, count=per_day.get(day, 0)) for day in days.days],
        by_source=_top_sources(by_source),
        first_response=FirstResponse(
            median_minutes=_minutes(percentiles.overall[MEDIAN]),
            p90_minutes=_minutes(percentiles.overall[P90]),
            within_sla_percent=_within_sla(responses, sla_minutes),
        ),
        by_attorney=_by_attorney(session, responses, percentiles.median_by_assignee),
    )


def _top_sources(counts: Counter[str]) -> list[SourceCount]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    top = [SourceCount(source=source, count=count) for source, count in ranked[:MAX_SOURCES]]
    rest = sum(count for _source, count in ranked[MAX_SOURCES:])
    if rest:
        top.append(SourceCount(source=OTHER_SOURCES, count=rest))
    return top


def _within_sla(responses: list[repository.ResponseCounts], sla_minutes: float) -> float | None:
    if sla_minutes <= 0:
        return None
    known = sum(row.responded + row.overdue for row in responses)
    if not known:
        return None
    return round(100 * sum(row.within_sla for row in responses) / known, 1)


def _by_attorney(
    session: Session,
    responses: list[repository.ResponseCounts],
    medians: dict[uuid.UUID | None, float],
) -> list[AttorneyStats]:
    """Every user with leads in the range, and every active attorney (with zeros)."""
    counted = {row.assigned_to: row for row in responses if row.assigned_to is not None}
    people = {user.id: user for user in users.attorneys_and(session, counted.keys())}
    result = []
    for user_id, user in people.items():
        row = counted.get(user_id)
        result.append(
            AttorneyStats(
                user_id=user_id,
                full_name=user.full_name or user.email,
                assigned=row.leads if row else 0,
                responded=row.responded if row else 0,
                median_first_response_minutes=_minutes(medians.get(user_id)),
            )
        )
    return sorted(result, key=lambda item: (-item.assigned, item.full_name.lower()))


@dataclass(frozen=True, slots=True)
class HistogramBar:
    label: str
    count: int


HISTOGRAM_LABELS = (
    "Under 15 min",
    "15 to 60 min",
    "1 to 4 hours",
    "4 to 24 hours",
    "1 to 3 days",
    "Over 3 days",
)


def response_histogram(session: Session, days: DateRange) -> list[HistogramBar]:
    """How many responded leads were answered within each band of time (the dashboard)."""
    counts = dict(repository.response_histogram(session, days.start, days.end))
    return [
        HistogramBar(label, counts.get(index, 0)) for index, label in enumerate(HISTOGRAM_LABELS)
    ]
