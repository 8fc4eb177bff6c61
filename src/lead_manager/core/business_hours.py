"""Business hours in the firm's time zone, and the first-response deadline they give (speed to lead).

Time counts in real elapsed time inside the opening windows, so a window that a DST change makes
shorter (or longer) counts for what it really is; every computation is done on UTC instants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from math import ceil
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EXAMPLE = "mon-fri 09:00-17:30"
_TIME = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
_DAY = r"[a-z]+"
_GROUP = re.compile(rf"^({_DAY})(?:-({_DAY}))?\s+(\S+(?:\s+\S+)*)$")
MINUTES_PER_DAY = 24 * 60

# (opens, closes) in minutes after local midnight; closes may be 1440 (24:00).
Window = tuple[int, int]


def parse_zone(name: str) -> ZoneInfo:
    """An IANA zone such as `Europe/Berlin`; ValueError naming the value otherwise."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone such as 'Europe/Berlin'") from None


def parse_time_of_day(text: str) -> time:
    """`HH:MM` on a 24-hour clock, 00:00 to 23:59."""
    match = _TIME.match(text.strip())
    if not match or int(match.group(1)) > 23:
        raise ValueError(f"{text!r} is not a time of day like '08:00'")
    return time(int(match.group(1)), int(match.group(2)))


def _minutes(text: str) -> int:
    match = _TIME.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a time like '09:00'")
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if minutes > MINUTES_PER_DAY:
        raise ValueError(f"{text!r} is past 24:00")
    return minutes


def _day(text: str) -> int:
    if text in DAYS:
        return DAYS.index(text)
    if text in _FULL_DAYS:
        return _FULL_DAYS.index(text)
    raise ValueError(f"{text!r} is not a day (mon, tue, wed, thu, fri, sat, sun)")


def _merge(windows: list[Window]) -> tuple[Window, ...]:
    merged: list[Window] = []
    for opens, closes in sorted(windows):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return tuple(merged)


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Opening windows per weekday (Monday first). No windows at all: every hour counts."""

    days: tuple[tuple[Window, ...], ...] = ((),) * 7

    @classmethod
    def parse(cls, spec: str) -> BusinessHours:
        """`mon-fri 09:00-17:30`; groups separated by `,` or `;`, several ranges per group
        (`mon-fri 09:00-12:00 13:00-17:30, sat 10:00-14:00`). Empty: every hour counts."""
        spec = spec.strip().lower()
        if not spec:
            return cls()
        found: list[list[Window]] = [[] for _ in DAYS]
        for group in re.split(r"[,;]", spec):
            group = group.strip()
            match = _GROUP.match(group)
            if not match:
                raise ValueError(f"{group!r} is not like {EXAMPLE!r}")
            first = _day(match.group(1))
            last = _day(match.group(2)) if match.group(2) else first
            ranges = []
            for span in match.group(3).split():
                opens, sep, closes = span.partition("-")
                if not sep:
                    raise ValueError(f"{span!r} is not a range of hours like '09:00-17:30'")
                window = (_minutes(opens), _minutes(closes))
                if window[0] >= window[1]:
                    raise ValueError(f"{span!r} must end after it starts (and by 24:00)")
                ranges.append(window)
            # A range of days may wrap round the week: `fri-mon` is fri, sat, sun, mon.
            count = (last - first) % 7 + 1
            for offset in range(count):
                found[(first + offset) % 7].extend(ranges)
        return cls(tuple(_merge(windows) for windows in found))

    @property
    def always_open(self) -> bool:
        return not any(self.days)

    @property
    def minutes_per_week(self) -> int:
        return sum(closes - opens for windows in self.days for opens, closes in windows)

    def add(self, start: datetime, duration: timedelta, zone: ZoneInfo) -> datetime:
        """The instant at which `duration` of open time has passed since `start` (aware)."""
        start = start.astimezone(UTC)
        if duration <= timedelta(0):
            return start
        if self.always_open:
            return start + duration
        remaining = duration
        first_day = start.astimezone(zone).date()
        # Enough weeks for the duration, plus slack for DST making a week an hour shorter.
        weeks = ceil(duration / timedelta(minutes=self.minutes_per_week)) + 2
        for offset in range(weeks * 7):
            day = first_day + timedelta(days=offset)
            for opens, closes in self.days[day.weekday()]:
                window_end = _instant(day, closes, zone)
                begin = max(_instant(day, opens, zone), start)
                if begin >= window_end:
                    continue
                available = window_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        raise AssertionError("business hours ran out")  # pragma: no cover - bounded above


def _instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """Local `day` at `minute` after midnight (1440: the next midnight), as a UTC instant.

    A wall time that does not exist (in the hour a clock springs forward) maps past the gap; an
    ambiguous one (when it falls back) is its first occurrence.
    """
    if minute == MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), 0
    local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)
    return local.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ResponseClock:
    """When a new (or escalated) lead must have its first response: the SLA, counted in
    business hours in the firm's zone. Without an SLA there is no deadline."""

    zone: ZoneInfo
    hours: BusinessHours
    sla: timedelta | None

    @property
    def enabled(self) -> bool:
        return self.sla is not None

    def respond_by(self, received: datetime) -> datetime | None:
        if self.sla is None:
            return None
        return self.hours.add(received, self.sla, self.zone)
