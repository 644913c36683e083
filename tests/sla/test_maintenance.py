"""Maintenance classification (notice in BE business days, EST dates) and compliance."""

from __future__ import annotations

import pytest

from sla.calendar import BusinessCalendar
from sla.maintenance import MaintenanceKind, assess_maintenance, classify
from sla.model import MaintenanceEvent
from tests.sla.fixtures import CONTRACT, utc

CAL = BusinessCalendar.from_contract(CONTRACT)
NOTICE = CONTRACT.notice_business_days  # 5


def window(
    announced: str,
    start: str,
    end: str,
    *,
    id: str = "m",
    regular: bool = False,
    cancelled: bool = False,
) -> MaintenanceEvent:
    return MaintenanceEvent(
        id=id,
        sites="*",
        announced_at=utc(announced),
        start=utc(start),
        end=utc(end),
        regular=regular,
        cancelled=cancelled,
    )


def assess(*windows: MaintenanceEvent):  # type: ignore[no-untyped-def]
    return assess_maintenance(CAL, NOTICE, windows)


@pytest.mark.parametrize(
    ("announced", "start", "notice", "kind"),
    [
        # Thu 2 Apr 10:00 EST -> Fri 10 Apr 21:00 EST. Between: Fri 3, Tue 7, Wed 8, Thu 9;
        # Easter Monday (6 Apr) is a holiday: 4 < 5, emergency (5 without the holiday).
        ("2026-04-02T15:00", "2026-04-11T02:00", 4, "emergency"),
        # Thu 7 May -> Fri 15 May 02:00Z = Thu 14 May 21:00 EST (Ascension, the start date).
        # Between 7 and 14 May: Fri 8, Mon 11, Tue 12, Wed 13 = 4: emergency.
        ("2026-05-07T15:00", "2026-05-15T02:00", 4, "emergency"),
        # Thu 7 May -> Fri 15 May 21:00 EST. Between: 8, 11, 12, 13 (14 Ascension) = 4.
        ("2026-05-07T15:00", "2026-05-16T02:00", 4, "emergency"),
        # Mon 18 May -> Tue 26 May 21:00 EST. Between: 19, 20, 21, 22 (25 Whit Monday) = 4.
        ("2026-05-18T15:00", "2026-05-27T02:00", 4, "emergency"),
        # Fri 15 May -> Tue 26 May: 18..22 (5) and Whit Monday skipped = 5: scheduled.
        ("2026-05-15T15:00", "2026-05-27T02:00", 5, "scheduled"),
        # Dates are EST dates: announced Fri 2 Jan 21:00 EST (Sat 3 Jan in UTC), start Fri 9
        # Jan 21:00 EST. Between 2 and 9 Jan: Mon 5 .. Thu 8 = 4 (UTC dates would give 5).
        ("2026-01-03T02:00", "2026-01-10T02:00", 4, "emergency"),
        # Plenty of notice: Mon 5 Jan -> Sat 17 Jan: 6..9 and 12..16 = 9.
        ("2026-01-05T15:00", "2026-01-17T15:00", 9, "scheduled"),
        # Announced after the start: no notice at all.
        ("2026-01-20T15:00", "2026-01-17T15:00", 0, "emergency"),
    ],
)
def test_notice_and_kind(announced: str, start: str, notice: int, kind: str) -> None:
    (got,) = assess(window(announced, start, start))
    assert (got.notice_business_days, got.kind) == (notice, kind)


def test_regular_needs_the_notice_too() -> None:
    (regular,) = assess(
        window("2026-01-05T15:00", "2026-01-17T15:00", "2026-01-17T16:00", regular=True)
    )
    assert regular.kind is MaintenanceKind.REGULAR
    (late,) = assess(
        window("2026-01-14T15:00", "2026-01-17T15:00", "2026-01-17T16:00", regular=True)
    )
    assert late.kind is MaintenanceKind.EMERGENCY


def test_classify_at_the_boundary() -> None:
    assert classify(4, 5, regular=False) is MaintenanceKind.EMERGENCY
    assert classify(5, 5, regular=False) is MaintenanceKind.SCHEDULED
    assert classify(5, 5, regular=True) is MaintenanceKind.REGULAR
    assert classify(0, 0, regular=False) is MaintenanceKind.SCHEDULED


EARLY = "2026-01-01T15:00"  # announcement well ahead of every window below


@pytest.mark.parametrize(
    ("start", "end", "violates"),
    [
        ("2026-01-13T20:00", "2026-01-13T23:00", True),  # Tue 15:00-18:00 EST
        ("2026-01-13T22:30", "2026-01-14T02:00", False),  # Tue from 17:30 EST: outside
        ("2026-01-13T02:00", "2026-01-13T14:00", False),  # ends at 09:00 EST sharp
        ("2026-01-13T02:00", "2026-01-13T14:01", True),  # one minute into business hours
        ("2026-01-17T15:00", "2026-01-17T20:00", False),  # Saturday
        ("2026-04-06T15:00", "2026-04-06T16:00", False),  # Easter Monday 10:00 EST: holiday
        ("2026-01-16T22:00", "2026-01-19T15:00", True),  # Fri 17:00 EST -> Mon 10:00 EST
    ],
)
def test_business_hours_violation(start: str, end: str, violates: bool) -> None:
    for regular in (False, True):
        (got,) = assess(window(EARLY, start, end, regular=regular))
        assert got.kind is not MaintenanceKind.EMERGENCY
        assert ("business_hours" in got.violations) is violates
        assert got.compliant is not violates


def test_emergency_windows_may_overlap_business_hours() -> None:
    (got,) = assess(window("2026-01-12T15:00", "2026-01-13T20:00", "2026-01-13T23:00"))
    assert got.kind is MaintenanceKind.EMERGENCY
    assert got.violations == () and got.compliant


def test_weekly_limit_on_the_second_regular_window_of_an_iso_week() -> None:
    got = assess(
        # Input order does not matter: the earlier window by start is the first.
        window(EARLY, "2026-01-17T02:00", "2026-01-17T03:00", id="b", regular=True),  # Fri 16 EST
        window(EARLY, "2026-01-14T02:00", "2026-01-14T03:00", id="a", regular=True),  # Tue 13 EST
        window(EARLY, "2026-01-20T02:00", "2026-01-20T03:00", id="c", regular=True),  # next week
    )
    assert [(a.window.id, a.violations) for a in got] == [
        ("a", ()),
        ("b", ("weekly_limit",)),
        ("c", ()),
    ]


def test_weekly_limit_uses_iso_weeks_in_the_business_zone() -> None:
    # Mon 12 Jan 03:00 UTC is Sun 11 Jan 22:00 EST: the same ISO week as Fri 9 Jan.
    got = assess(
        window(EARLY, "2026-01-10T02:00", "2026-01-10T03:00", id="fri", regular=True),
        window(EARLY, "2026-01-12T03:00", "2026-01-12T04:00", id="sun", regular=True),
    )
    assert [a.violations for a in got] == [(), ("weekly_limit",)]


def test_weekly_limit_ignores_scheduled_emergency_and_cancelled_windows() -> None:
    got = assess(
        window(EARLY, "2026-01-13T02:00", "2026-01-13T03:00", id="scheduled"),
        window(
            EARLY,
            "2026-01-13T04:00",
            "2026-01-13T05:00",
            id="cancelled",
            regular=True,
            cancelled=True,
        ),
        window(
            "2026-01-12T15:00", "2026-01-14T02:00", "2026-01-14T03:00", id="emergency", regular=True
        ),
        window(EARLY, "2026-01-15T02:00", "2026-01-15T03:00", id="regular", regular=True),
    )
    assert [(a.window.id, a.kind, a.violations) for a in got] == [
        ("scheduled", "scheduled", ()),
        ("emergency", "emergency", ()),
        ("regular", "regular", ()),
    ]


def test_both_violations_at_once_and_ties_broken_by_id() -> None:
    got = assess(
        window(EARLY, "2026-01-13T20:00", "2026-01-13T21:00", id="y", regular=True),
        window(EARLY, "2026-01-13T20:00", "2026-01-13T21:00", id="x", regular=True),
    )
    assert [(a.window.id, a.violations) for a in got] == [
        ("x", ("business_hours",)),
        ("y", ("business_hours", "weekly_limit")),
    ]
