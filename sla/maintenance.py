"""Maintenance windows: classification (emergency / regular / scheduled) and compliance.

Rules (dates are taken in the business-hours time zone, ``EST`` in the contract):

* ``notice_business_days`` = business days strictly after the announcement's date and
  strictly before the start's date;
* ``kind`` = ``emergency`` when that is below the contract's ``notice_business_days``,
  else ``regular`` when the window says ``regular: true``, else ``scheduled``;
* violations: ``business_hours`` when a scheduled or regular window overlaps business hours
  on a business day (emergency windows may); ``weekly_limit`` when a regular window starts
  in the same ISO week as an earlier regular window. Windows are ordered by start, then by
  id, so of two regular windows starting at the same instant the one with the greater id
  is the violation.

Cancelled windows are neither classified nor counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from sla.calendar import BusinessCalendar
from sla.model import MaintenanceEvent

Violation = Literal["business_hours", "weekly_limit"]


class MaintenanceKind(StrEnum):
    """How the contract treats a maintenance window."""

    EMERGENCY = "emergency"
    REGULAR = "regular"
    SCHEDULED = "scheduled"


@dataclass(frozen=True)
class MaintenanceAssessment:
    """A window's classification and the contract rules it breaks."""

    window: MaintenanceEvent
    notice_business_days: int
    kind: MaintenanceKind
    violations: tuple[Violation, ...]

    @property
    def compliant(self) -> bool:
        """True when the window breaks no rule."""
        return not self.violations


def notice_business_days(calendar: BusinessCalendar, window: MaintenanceEvent) -> int:
    """Business days strictly between the announcement's date and the start's date."""
    return calendar.business_days_strictly_between(
        calendar.local_date(window.announced_at), calendar.local_date(window.start)
    )


def classify(notice_days: int, required_notice_days: int, regular: bool) -> MaintenanceKind:
    """The window's kind from the notice it was given and its ``regular`` flag."""
    if notice_days < required_notice_days:
        return MaintenanceKind.EMERGENCY
    return MaintenanceKind.REGULAR if regular else MaintenanceKind.SCHEDULED


def overlaps_business_hours(calendar: BusinessCalendar, window: MaintenanceEvent) -> bool:
    """Whether any instant of the window falls in business hours on a business day."""
    return bool(calendar.business_hours_between(window.start, window.end))


def assess_maintenance(
    calendar: BusinessCalendar,
    required_notice_days: int,
    windows: Iterable[MaintenanceEvent],
) -> list[MaintenanceAssessment]:
    """Classify every non-cancelled window and find its violations, ordered by start.

    Pass *all* the windows known (not only one month's): the weekly limit looks at earlier
    regular windows, which may lie in the previous month.
    """
    active = sorted((w for w in windows if not w.cancelled), key=lambda w: (w.start, w.id))
    regular_weeks: set[tuple[int, int]] = set()
    assessed: list[MaintenanceAssessment] = []
    for window in active:
        notice = notice_business_days(calendar, window)
        kind = classify(notice, required_notice_days, window.regular)
        violations: list[Violation] = []
        if kind is not MaintenanceKind.EMERGENCY and overlaps_business_hours(calendar, window):
            violations.append("business_hours")
        if kind is MaintenanceKind.REGULAR:
            week = calendar.local_date(window.start).isocalendar()[:2]
            if week in regular_weeks:
                violations.append("weekly_limit")
            regular_weeks.add(week)
        assessed.append(MaintenanceAssessment(window, notice, kind, tuple(violations)))
    return assessed
