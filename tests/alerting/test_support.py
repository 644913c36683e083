"""Support response/resolution times in business hours of the contract calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sla.calendar import BusinessCalendar
from sla.contract import Contract
from sla.model import SupportEvent
from sla.support import (
    SUPPORT_LATE_REPORT,
    SUPPORT_RESPONSE_BREACH,
    add_business_hours,
    findings,
    fold,
    measure,
    month_requests,
    summarise,
)

CONTRACT = Contract()  # business hours 09:00-17:30 EST (UTC-5), Belgian holidays
CALENDAR = BusinessCalendar.from_contract(CONTRACT)


def est(day: int, hour: int, minute: int = 0, month: int = 4) -> datetime:
    """A 2026 instant given in EST (UTC-5), returned in UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC) + timedelta(hours=5)


def event(step: str, at: datetime, request_id: str = "R1", **extra) -> SupportEvent:
    base = {"priority": "high", "client": "acme", "project_id": "P-7"} if step == "received" else {}
    return SupportEvent(request_id=request_id, step=step, at=at, **{**base, **extra})


def test_response_across_a_weekend_and_labour_day() -> None:
    # Thursday 30 April 17:00 EST: 30 business minutes left. Friday 1 May is Labour Day
    # in Belgium, then the weekend; the answer comes Monday 4 May 09:45 EST.
    received, answered = est(30, 17), est(4, 9, 45, month=5)
    request = fold([event("received", received), event("acknowledged", answered)])["R1"]
    result = measure(request, CONTRACT, CALENDAR, now=answered)
    assert result.response_hours == pytest.approx(1.25)
    assert result.response_due == est(4, 9, 30, month=5)
    assert result.response_breached
    assert [f.rule for f in findings(result)] == [SUPPORT_RESPONSE_BREACH]


def test_response_over_the_weekend_within_target() -> None:
    # Friday 24 April 17:15 EST, answered Monday 27 April 09:30 EST: 0.25 h + 0.5 h.
    received, answered = est(24, 17, 15), est(27, 9, 30)
    request = fold([event("acknowledged", answered), event("received", received)])["R1"]
    result = measure(request, CONTRACT, CALENDAR, now=answered)
    assert result.response_hours == pytest.approx(0.75)
    assert not result.response_breached
    assert findings(result) == []


def test_resolution_counts_business_hours_over_easter_monday() -> None:
    # Medium: 24 business hours to resolve. Received Friday 3 April 09:00 EST; Monday 6
    # April is Easter Monday. Fri 8.5 h + Tue 8.5 h + Wed 7 h = 24 h: due Wed 8 April 16:00.
    received = est(3, 9)
    assert add_business_hours(CALENDAR, received, Decimal(24)) == est(8, 16)
    events = [
        event("received", received, priority="medium"),
        event("acknowledged", est(3, 10)),
        event("resolved", est(8, 17)),
    ]
    result = measure(fold(events)["R1"], CONTRACT, CALENDAR, now=est(9, 9))
    assert result.resolution_hours == pytest.approx(25.0)
    assert result.resolution_breached and not result.response_breached


def test_an_unanswered_request_breaches_once_its_deadline_passes() -> None:
    request = fold([event("received", est(21, 10))])["R1"]
    assert not measure(request, CONTRACT, CALENDAR, now=est(21, 10, 59)).response_breached
    late = measure(request, CONTRACT, CALENDAR, now=est(21, 11, 1))
    assert late.response_breached and late.response_hours is None


def test_requests_about_incidents_older_than_30_days_are_flagged() -> None:
    events = [event("received", est(21, 10), incident_at=est(21, 10) - timedelta(days=31))]
    result = measure(fold(events)["R1"], CONTRACT, CALENDAR, now=est(21, 10, 30))
    assert result.late_report
    assert SUPPORT_LATE_REPORT in {f.rule for f in findings(result)}
    fresh = [event("received", est(21, 10), incident_at=est(21, 10) - timedelta(days=29))]
    assert not measure(fold(fresh)["R1"], CONTRACT, CALENDAR, now=est(21, 11)).late_report


def test_monthly_summary_per_priority() -> None:
    events = [
        event("received", est(21, 10), "A"),
        event("acknowledged", est(21, 10, 30), "A"),
        event("received", est(22, 10), "B", priority="low"),
        event("acknowledged", est(22, 19), "B"),  # after hours: 7.5 h
        event("received", est(1, 10, month=5), "C"),  # May: not in the April report
    ]
    chosen = month_requests(fold(events).values(), "2026-04", CONTRACT)
    assert [r.request_id for r in chosen] == ["A", "B"]
    summary = summarise(measure(r, CONTRACT, CALENDAR, now=est(30, 12)) for r in chosen)
    assert [(s.priority, s.requests, s.response_breaches) for s in summary] == [
        ("high", 1, 0),
        ("low", 1, 0),
    ]
    assert summary[1].mean_response_hours == pytest.approx(7.5)
