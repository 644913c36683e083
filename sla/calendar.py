"""Calendar months and the contract's business calendar (business days and hours).

Months are cut in the contract's time zone: ``month_interval("2026-03", "Europe/Brussels")``
is 31 days minus the hour lost to DST. Business days are Monday to Friday minus the public
holidays of the contract's country (``holidays`` package); business hours are a daily
``[start, end)`` wall-clock range in their own zone (the contract says ``EST``, the fixed
UTC-5 zone of the IANA database). Every instant in or out is timezone-aware; instants
returned are UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from sla.contract import Contract
from sla.intervals import Interval, clip, to_utc, total_seconds

_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
_TICK = timedelta(microseconds=1)


def parse_month(month: str) -> tuple[int, int]:
    """``"YYYY-MM"`` as ``(year, month)``; raises ``ValueError`` for anything else."""
    match = _MONTH.fullmatch(month)
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"expected a month as YYYY-MM, got {month!r}")
    return int(match.group(1)), int(match.group(2))


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def month_interval(month: str, tz: str | ZoneInfo) -> Interval:
    """The month ``"YYYY-MM"`` as ``[first instant, first instant of next month)`` in UTC.

    The bounds are local midnights in ``tz``, so a month containing a DST change is an
    hour shorter (spring) or longer (autumn) than its number of days times 24 hours.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    year, number = parse_month(month)
    next_year, next_number = _next_month(year, number)
    start = datetime(year, number, 1, tzinfo=zone)
    end = datetime(next_year, next_number, 1, tzinfo=zone)
    return Interval(start.astimezone(UTC), end.astimezone(UTC))


def months_touching(start: datetime, end: datetime, tz: str | ZoneInfo) -> list[str]:
    """The months (``"YYYY-MM"`` in ``tz``) that share an instant with ``[start, end)``.

    An empty interval (``end <= start``) touches the month that contains ``start``.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    first = to_utc(start).astimezone(zone)
    # ``end`` is excluded: the last instant inside is just before it.
    last = first if to_utc(end) <= to_utc(start) else (to_utc(end) - _TICK).astimezone(zone)
    months: list[str] = []
    year, number = first.year, first.month
    while (year, number) <= (last.year, last.month):
        months.append(f"{year:04d}-{number:02d}")
        year, number = _next_month(year, number)
    return months


@lru_cache(maxsize=32)
def _country_holidays(country: str) -> holidays.HolidayBase:
    # One lazily expanding holiday table per country, shared by every calendar.
    return holidays.country_holidays(country)


class BusinessCalendar:
    """Business days and hours of a contract.

    Build it with :meth:`from_contract`; it holds no clock and no I/O (the holiday tables
    are computed by the ``holidays`` package, year by year, on first use).
    """

    def __init__(self, country: str, hours_start: time, hours_end: time, tz: str) -> None:
        if hours_end <= hours_start:
            raise ValueError("business hours must end after they start")
        self.country = country
        self.hours_start = hours_start
        self.hours_end = hours_end
        self.zone = ZoneInfo(tz)
        self._holidays = _country_holidays(country)

    @classmethod
    def from_contract(cls, contract: Contract) -> BusinessCalendar:
        """The calendar the contract defines (country holidays, business hours and zone)."""
        hours = contract.business_hours
        return cls(contract.holidays, hours.start, hours.end, hours.timezone)

    def local_date(self, instant: datetime) -> date:
        """The date of ``instant`` in the business-hours time zone."""
        return to_utc(instant).astimezone(self.zone).date()

    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` is a public holiday of the contract's country."""
        return day in self._holidays

    def is_business_day(self, day: date) -> bool:
        """Monday to Friday and not a public holiday."""
        return day.weekday() < 5 and not self.is_holiday(day)

    def business_days_strictly_between(self, first: date, last: date) -> int:
        """How many business days ``d`` satisfy ``first < d < last`` (0 if none)."""
        return sum(1 for day in _days(first + timedelta(days=1), last) if self.is_business_day(day))

    def business_hours_on(self, day: date) -> Interval | None:
        """The business hours of ``day`` in UTC, or None when ``day`` is not a business day."""
        if not self.is_business_day(day):
            return None
        start = datetime.combine(day, self.hours_start, tzinfo=self.zone)
        end = datetime.combine(day, self.hours_end, tzinfo=self.zone)
        return Interval(start.astimezone(UTC), end.astimezone(UTC))

    def business_days(self, first: date, last: date) -> list[tuple[date, Interval]]:
        """Every business day from ``first`` to ``last`` (both included) with its hours in UTC.

        What the store's ``business_hours`` table holds, so SQL can count business hours the
        way :meth:`business_seconds_between` does.
        """
        stop = last + timedelta(days=1)
        days = ((day, self.business_hours_on(day)) for day in _days(first, stop))
        return [(day, hours) for day, hours in days if hours is not None]

    def business_hours_between(self, start: datetime, end: datetime) -> list[Interval]:
        """The business-hours intervals (UTC) inside ``[start, end)``, clipped to it."""
        if to_utc(end) <= to_utc(start):
            return []
        # One day of margin each side: a local day's hours may sit on another UTC date.
        first = self.local_date(start) - timedelta(days=1)
        last = self.local_date(end) + timedelta(days=1)
        days = (self.business_hours_on(day) for day in _days(first, last + timedelta(days=1)))
        return clip((hours for hours in days if hours is not None), start, end)

    def business_seconds_between(self, start: datetime, end: datetime) -> Fraction:
        """Exact seconds of business hours between two instants (0 when ``end <= start``)."""
        return total_seconds(self.business_hours_between(start, end))


def _days(first: date, stop: date) -> Iterator[date]:
    """Every date from ``first`` (included) to ``stop`` (excluded)."""
    for offset in range((stop - first).days):
        yield first + timedelta(days=offset)
