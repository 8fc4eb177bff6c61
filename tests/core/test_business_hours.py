"""Business-hours arithmetic: weekends, arrival outside hours, long SLAs, DST, parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lead_manager.core.business_hours import (
    BusinessHours,
    ResponseClock,
    parse_time_of_day,
    parse_zone,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE = BusinessHours.parse("mon-fri 09:00-17:30")


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


def due(schedule: BusinessHours, start: datetime, zone: ZoneInfo, **sla: float) -> datetime:
    return schedule.add(start, timedelta(**sla), zone).astimezone(zone)


def test_the_issue_example_friday_evening_is_due_monday_morning() -> None:
    # Friday 27 Nov 2026, 17:00: half an hour left on Friday, 90 minutes on Monday.
    friday = local(BERLIN, 2026, 11, 27, 17, 0)
    assert due(OFFICE, friday, BERLIN, hours=2) == local(BERLIN, 2026, 11, 30, 10, 30)


@pytest.mark.parametrize(
    ("arrival", "expected"),
    [
        # Saturday noon: the clock starts Monday 09:00.
        ((2026, 11, 28, 12, 0), (2026, 11, 30, 11, 0)),
        # Before opening on a weekday: from 09:00 that day.
        ((2026, 12, 1, 7, 15), (2026, 12, 1, 11, 0)),
        # After closing: from 09:00 the next day.
        ((2026, 12, 1, 20, 0), (2026, 12, 2, 11, 0)),
        # Exactly at closing: nothing left today.
        ((2026, 12, 1, 17, 30), (2026, 12, 2, 11, 0)),
        # Inside hours, all on the same day.
        ((2026, 12, 1, 10, 0), (2026, 12, 1, 12, 0)),
    ],
)
def test_arrival_outside_and_inside_hours(
    arrival: tuple[int, ...], expected: tuple[int, ...]
) -> None:
    assert due(OFFICE, local(BERLIN, *arrival), BERLIN, hours=2) == local(BERLIN, *expected)


def test_overnight_and_multi_day_slas() -> None:
    monday_afternoon = local(BERLIN, 2026, 11, 30, 16, 0)
    # 1.5 h on Monday, 1.5 h on Tuesday.
    assert due(OFFICE, monday_afternoon, BERLIN, hours=3) == local(BERLIN, 2026, 12, 1, 10, 30)
    monday_morning = local(BERLIN, 2026, 11, 30, 9, 0)
    # 20 h = 8.5 (Mon) + 8.5 (Tue) + 3 (Wed).
    assert due(OFFICE, monday_morning, BERLIN, hours=20) == local(BERLIN, 2026, 12, 2, 12, 0)
    # Two weeks of office hours (85 h) end at the close of the second Friday.
    assert due(OFFICE, monday_morning, BERLIN, hours=85) == local(BERLIN, 2026, 12, 11, 17, 30)
    # Thursday afternoon with 12 h: Thu 1.5, Fri 8.5, Mon 2: over the weekend.
    thursday = local(BERLIN, 2026, 12, 3, 16, 0)
    assert due(OFFICE, thursday, BERLIN, hours=12) == local(BERLIN, 2026, 12, 7, 11, 0)


def test_spring_forward_counts_the_real_length_of_a_night_window() -> None:
    # Berlin's clocks go from 02:00 to 03:00 on Sunday 29 March 2026: the 00:00-06:00 window of
    # that night lasts five real hours, not six.
    nights = BusinessHours.parse("sat-sun 00:00-06:00")
    saturday = local(BERLIN, 2026, 3, 28, 5, 0)
    # 1 h left on Saturday, then the whole 5-hour Sunday window.
    assert due(nights, saturday, BERLIN, hours=6) == local(BERLIN, 2026, 3, 29, 6, 0)
    # And half an hour into Sunday's window is 00:30 whatever the gap later in the night...
    assert due(nights, saturday, BERLIN, hours=1.5) == local(BERLIN, 2026, 3, 29, 0, 30)
    # ...while three hours in is 04:00 local (02:00-03:00 never happened).
    assert due(nights, saturday, BERLIN, hours=4) == local(BERLIN, 2026, 3, 29, 4, 0)


def test_fall_back_counts_the_repeated_hour() -> None:
    # New York's clocks go from 02:00 back to 01:00 on Sunday 1 November 2026: the 00:00-06:00
    # window lasts seven real hours.
    nights = BusinessHours.parse("sun 00:00-06:00")
    start = local(NEW_YORK, 2026, 10, 31, 23, 0)
    assert due(nights, start, NEW_YORK, hours=7) == local(NEW_YORK, 2026, 11, 1, 6, 0)
    end = nights.add(start, timedelta(hours=6), NEW_YORK)
    assert end.astimezone(NEW_YORK).hour == 5


def test_office_hours_across_a_dst_change_stay_at_the_same_wall_time() -> None:
    # Friday 23 Oct 2026 before New York's fall-back weekend of 1 November: same wall clock.
    friday = local(NEW_YORK, 2026, 10, 30, 17, 0)
    assert due(OFFICE, friday, NEW_YORK, hours=2) == local(NEW_YORK, 2026, 11, 2, 10, 30)
    friday_berlin = local(BERLIN, 2026, 3, 27, 17, 0)
    assert due(OFFICE, friday_berlin, BERLIN, hours=2) == local(BERLIN, 2026, 3, 30, 10, 30)


def test_without_business_hours_every_hour_counts_in_real_time() -> None:
    every_hour = BusinessHours.parse("")
    assert every_hour.always_open
    night = local(BERLIN, 2026, 3, 29, 1, 30)
    # Real elapsed time: an hour after 01:30 CET is 03:30 CEST (the clocks jumped at 02:00).
    assert due(every_hour, night, BERLIN, hours=1) == local(BERLIN, 2026, 3, 29, 3, 30)


def test_several_windows_a_day_and_weekend_hours() -> None:
    hours = BusinessHours.parse("Mon-Fri 09:00-12:00 13:00-17:00; sat 10:00-14:00")
    # Friday 11:00: 1 h before lunch, 4 h after, then 2 h on Saturday.
    friday = local(BERLIN, 2026, 12, 4, 11, 0)
    assert due(hours, friday, BERLIN, hours=7) == local(BERLIN, 2026, 12, 5, 12, 0)
    # Arriving at lunch: the clock starts at 13:00.
    assert due(hours, local(BERLIN, 2026, 12, 4, 12, 30), BERLIN, minutes=30) == local(
        BERLIN, 2026, 12, 4, 13, 30
    )


def test_parsing_merges_overlaps_and_wraps_round_the_week() -> None:
    hours = BusinessHours.parse("fri-mon 08:00-10:00, mon 09:00-11:00, wed 00:00-24:00")
    assert hours.days[0] == ((8 * 60, 11 * 60),)
    assert hours.days[4] == hours.days[5] == hours.days[6] == ((8 * 60, 10 * 60),)
    assert hours.days[1] == ()
    assert hours.days[2] == ((0, 24 * 60),)


@pytest.mark.parametrize(
    "spec",
    [
        "mon-fri",
        "9-5",
        "mon-fri 9-17",
        "mon-fri 09:00",
        "mon-fri 17:30-09:00",
        "mon-fri 09:00-09:00",
        "mon-fri 09:00-25:00",
        "mon-fri 09:60-10:00",
        "funday 09:00-17:00",
        "mon-fri 09:00-17:30,",
        "mon-fri 09:00-17:30 extra",
    ],
)
def test_bad_business_hours_are_refused_with_a_reason(spec: str) -> None:
    with pytest.raises(ValueError, match=r"'.+'"):
        BusinessHours.parse(spec)


def test_zones_and_times_of_day() -> None:
    assert parse_zone(" Europe/Berlin ") == BERLIN
    for bad in ("Mars/Olympus", "", "../../etc/passwd", "Europe/"):
        with pytest.raises(ValueError, match="IANA"):
            parse_zone(bad)
    assert parse_time_of_day("08:00").hour == 8
    for bad in ("24:00", "8", "08:00:00", "noon", "07:61"):
        with pytest.raises(ValueError, match="time of day"):
            parse_time_of_day(bad)


def test_response_clock_without_sla_has_no_deadline() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    off = ResponseClock(BERLIN, OFFICE, None)
    assert not off.enabled and off.respond_by(now) is None
    short = ResponseClock(BERLIN, BusinessHours(), timedelta(minutes=0.02))
    assert short.respond_by(now) == now + timedelta(seconds=1.2)
