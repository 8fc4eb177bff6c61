"""Date ranges in the firm's time zone: parsing `from`/`to`, and the UTC instants they span.

A statistics day is a calendar day in FIRM_TIMEZONE. Timestamps are stored in UTC, so a day is
the UTC interval between two local midnights, computed here (zoneinfo knows the daylight-saving
changes: such a day lasts 23 or 25 hours); the databases only count the leads between two
instants, so SQLite and PostgreSQL give the same answer without either knowing time zones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_DAYS = 30
# The longest range asked for at once (two years, a leap day included).
MAX_DAYS = 731


class DateRangeError(ValueError):
    """Names the parameter (`from` or `to`) and says what is wrong, for people."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class DateRange:
    """Calendar days `first` to `last`, both included, in `zone`."""

    first: date
    last: date
    zone: ZoneInfo

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def bounds(self) -> list[tuple[date, datetime, datetime]]:
        """Each day with its first instant and the instant after it, in UTC."""
        midnights = [local_midnight(day, self.zone) for day in self.days]
        midnights.append(self.end)
        return [(day, midnights[n], midnights[n + 1]) for n, day in enumerate(self.days)]

    @property
    def start(self) -> datetime:
        """The first instant of the range, in UTC."""
        return local_midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        """The instant after the range (the next day's midnight), in UTC."""
        return local_midnight(self.last + timedelta(days=1), self.zone)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def today(zone: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone).date()


def parse_day(field: str, value: str) -> date:
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise DateRangeError(field, "must be a date written YYYY-MM-DD") from None


def parse_range(
    first: str | None,
    last: str | None,
    zone: ZoneInfo,
    *,
    now: datetime | None = None,
    default_days: int | None = DEFAULT_DAYS,
    max_days: int | None = MAX_DAYS,
) -> DateRange | None:
    """`from`/`to` as given (either may be left out). Without `to`: today; without `from`:
    `default_days` ending at `to` — or, when `default_days` is None, no range at all if
    neither was given. Reversed, malformed or longer than `max_days`: DateRangeError."""
    if first is None and last is None and default_days is None:
        return None
    end = parse_day("to", last) if last is not None else today(zone, now)
    if first is not None:
        start = parse_day("from", first)
    elif default_days is not None:
        start = end - timedelta(days=default_days - 1)
    else:
        start = date(1970, 1, 1)
    if start > end:
        raise DateRangeError("to", "must not be before `from`")
    if max_days is not None and (end - start).days + 1 > max_days:
        raise DateRangeError("to", f"the range may span at most {max_days} days")
    return DateRange(start, end, zone)
