"""The `from`/`to` days of the statistics, the dashboard and the CSV export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from lead_manager.core.dates import DateRange, DateRangeError, parse_range
from lead_manager.core.dependencies import SettingsDep
from lead_manager.core.pagination import query_error

_DAY = {"format": "date"}
FromQuery = Annotated[
    str | None,
    Query(
        alias="from",
        max_length=10,
        description="First day, YYYY-MM-DD, in FIRM_TIMEZONE",
        json_schema_extra=_DAY,
    ),
]
ToQuery = Annotated[
    str | None,
    Query(
        max_length=10,
        description="Last day (included), YYYY-MM-DD, in FIRM_TIMEZONE",
        json_schema_extra=_DAY,
    ),
]


async def stats_days(
    settings: SettingsDep, first: FromQuery = None, to: ToQuery = None
) -> DateRange:
    """Default the last 30 days up to today; at most two years; 422 naming the parameter."""
    try:
        days = parse_range(first, to, settings.timezone)
    except DateRangeError as exc:
        raise query_error(exc.field, exc.message, first if exc.field == "from" else to) from None
    assert days is not None
    return days


StatsDays = Annotated[DateRange, Depends(stats_days)]


async def export_days(
    settings: SettingsDep, first: FromQuery = None, to: ToQuery = None
) -> DateRange | None:
    """Optional: without `from` and `to`, every lead; otherwise as for the statistics, but any
    length."""
    try:
        return parse_range(first, to, settings.timezone, default_days=None, max_days=None)
    except DateRangeError as exc:
        raise query_error(exc.field, exc.message, first if exc.field == "from" else to) from None


ExportDays = Annotated[DateRange | None, Depends(export_days)]


@dataclass(frozen=True, slots=True)
class DashboardDays:
    """The dashboard's range: the one asked for, or the default with a message saying why."""

    days: DateRange
    asked_from: str
    asked_to: str
    error: str | None


async def dashboard_days(
    settings: SettingsDep, first: FromQuery = None, to: ToQuery = None
) -> DashboardDays:
    try:
        days = parse_range(first or None, to or None, settings.timezone)
        error = None
    except DateRangeError as exc:
        days = parse_range(None, None, settings.timezone)
        error = f"`{exc.field}` {exc.message}; showing the last 30 days instead."
    assert days is not None
    return DashboardDays(days, first or "", to or "", error)


DashboardDaysDep = Annotated[DashboardDays, Depends(dashboard_days)]
