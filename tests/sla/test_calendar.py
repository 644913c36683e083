"""Calendar months in the contract's zone and the business calendar (BE holidays, EST hours)."""

from __future__ import annotations

from datetime import date, time

import pytest

from sla.calendar import BusinessCalendar, month_interval, months_touching, parse_month
from tests.sla.fixtures import CONTRACT, span, utc

CAL = BusinessCalendar.from_contract(CONTRACT)


@pytest.mark.parametrize(
    ("month", "start", "end", "hours"),
    [
        # Brussels is UTC+1 in winter: the month starts at 23:00 UTC the day before.
        ("2026-01", "2025-12-31T23:00", "2026-01-31T23:00", 31 * 24),
        ("2026-02", "2026-01-31T23:00", "2026-02-28T23:00", 28 * 24),
        # DST starts on 2026-03-29: March is one hour short.
        ("2026-03", "2026-02-28T23:00", "2026-03-31T22:00", 31 * 24 - 1),
        ("2026-04", "2026-03-31T22:00", "2026-04-30T22:00", 30 * 24),
        # DST ends on 2026-10-25: October is one hour long.
        ("2026-10", "2026-09-30T22:00", "2026-10-31T23:00", 31 * 24 + 1),
        ("2026-12", "2026-11-30T23:00", "2026-12-31T23:00", 31 * 24),
        ("2028-02", "2028-01-31T23:00", "2028-02-29T23:00", 29 * 24),  # leap year
    ],
)
def test_month_interval_in_brussels(month: str, start: str, end: str, hours: int) -> None:
    bounds = month_interval(month, "Europe/Brussels")
    assert bounds == span(start, end)
    assert bounds.seconds == hours * 3600


def test_month_interval_in_utc() -> None:
    assert month_interval("2026-01", "UTC") == span("2026-01-01T00:00", "2026-02-01T00:00")


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "2026-1", "26-01", "2026/01", "", "0000-01"])
def test_malformed_months_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(bad)


def test_months_touching() -> None:
    tz = "Europe/Brussels"
    # 2026-01-31T23:00Z is already February in Brussels.
    assert months_touching(utc("2026-01-31T22:00"), utc("2026-01-31T23:30"), tz) == [
        "2026-01",
        "2026-02",
    ]
    # The end is excluded: an interval ending on the month's first instant stays in January.
    assert months_touching(utc("2026-01-31T22:00"), utc("2026-01-31T23:00"), tz) == ["2026-01"]
    assert months_touching(utc("2025-12-15T00:00"), utc("2026-03-01T00:00"), tz) == [
        "2025-12",
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    assert months_touching(utc("2026-05-01T00:00"), utc("2026-05-01T00:00"), tz) == ["2026-05"]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 5, 14), False),  # Ascension
        (date(2026, 5, 25), False),  # Whit Monday
        (date(2026, 7, 21), False),  # National Day
        (date(2026, 1, 1), False),  # New Year
        (date(2026, 1, 10), False),  # Saturday
        (date(2026, 1, 11), False),  # Sunday
        (date(2026, 4, 7), True),  # the Tuesday after Easter
        (date(2026, 5, 15), True),  # the Friday after Ascension (not a BE holiday)
    ],
)
def test_business_days_in_belgium(day: date, expected: bool) -> None:
    assert CAL.is_business_day(day) is expected


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        # Thu 2 Apr -> Mon 13 Apr: Fri 3, Tue 7 .. Fri 10 (Easter Monday 6 is a holiday) = 5
        (date(2026, 4, 2), date(2026, 4, 13), 5),
        # Mon 11 May -> Mon 18 May: Tue 12, Wed 13, Fri 15 (Ascension Thu 14) = 3
        (date(2026, 5, 11), date(2026, 5, 18), 3),
        # Wed 20 May -> Wed 27 May: Thu 21, Fri 22, Tue 26 (Whit Monday 25) = 3
        (date(2026, 5, 20), date(2026, 5, 27), 3),
        (date(2026, 1, 5), date(2026, 1, 6), 0),  # consecutive days: nothing strictly between
        (date(2026, 1, 5), date(2026, 1, 5), 0),
        (date(2026, 1, 9), date(2026, 1, 5), 0),  # reversed
        (date(2026, 1, 9), date(2026, 1, 12), 0),  # Fri -> Mon: only a weekend between
    ],
)
def test_business_days_strictly_between(first: date, last: date, expected: int) -> None:
    assert CAL.business_days_strictly_between(first, last) == expected


def test_business_hours_are_in_est_the_fixed_utc_minus_5_zone() -> None:
    # 09:00-17:30 EST = 14:00-22:30 UTC all year round (EST has no DST).
    assert CAL.business_hours_on(date(2026, 1, 5)) == span("2026-01-05T14:00", "2026-01-05T22:30")
    assert CAL.business_hours_on(date(2026, 7, 6)) == span("2026-07-06T14:00", "2026-07-06T22:30")
    assert CAL.business_hours_on(date(2026, 7, 4)) is None  # Saturday


def test_local_date_is_taken_in_the_business_zone() -> None:
    # 03:00 UTC on Saturday is still Friday 22:00 in EST.
    assert CAL.local_date(utc("2026-01-10T03:00")) == date(2026, 1, 9)


def test_business_hours_between_clips_to_the_interval() -> None:
    got = CAL.business_hours_between(utc("2026-01-09T20:00"), utc("2026-01-12T15:00"))
    assert got == [
        span("2026-01-09T20:00", "2026-01-09T22:30"),  # Friday, from 15:00 EST
        span("2026-01-12T14:00", "2026-01-12T15:00"),  # Monday, until 10:00 EST
    ]


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        # Fri 16:00 EST -> Mon 10:00 EST: 1.5 h on Friday, 1 h on Monday.
        ("2026-01-09T21:00", "2026-01-12T15:00", 2.5),
        # Wed 13 May 17:00 EST -> Fri 15 May 10:00 EST, Thursday is Ascension: 0.5 h + 1 h.
        ("2026-05-13T22:00", "2026-05-15T15:00", 1.5),
        # Thu 2 Apr 17:00 EST -> Tue 7 Apr 10:00 EST across Easter: 0.5 + 8.5 (Fri) + 1 h.
        ("2026-04-02T22:00", "2026-04-07T15:00", 10.0),
        # Entirely outside business hours (Saturday).
        ("2026-01-10T12:00", "2026-01-10T20:00", 0.0),
        # A full working week Mon 00:00 -> next Mon 00:00 UTC: 5 days x 8.5 h.
        ("2026-01-05T00:00", "2026-01-12T00:00", 42.5),
        # Reversed interval: nothing.
        ("2026-01-12T15:00", "2026-01-09T21:00", 0.0),
    ],
)
def test_business_seconds_between(start: str, end: str, hours: float) -> None:
    assert CAL.business_seconds_between(utc(start), utc(end)) == int(hours * 3600)


def test_calendar_rejects_business_hours_ending_before_they_start() -> None:
    with pytest.raises(ValueError, match="end after"):
        BusinessCalendar("BE", time(17, 0), time(9, 0), "EST")


def test_business_hours_in_a_zone_with_dst() -> None:
    brussels = BusinessCalendar("BE", time(9, 0), time(17, 30), "Europe/Brussels")
    # Friday before the change (CET, UTC+1) and Monday after it (CEST, UTC+2).
    assert brussels.business_hours_on(date(2026, 3, 27)) == span(
        "2026-03-27T08:00", "2026-03-27T16:30"
    )
    assert brussels.business_hours_on(date(2026, 3, 30)) == span(
        "2026-03-30T07:00", "2026-03-30T15:30"
    )
    # Across the DST weekend: two full days of 8.5 h, the lost hour is not business time.
    assert (
        brussels.business_seconds_between(utc("2026-03-27T00:00"), utc("2026-03-31T00:00"))
        == 2 * 8.5 * 3600
    )
