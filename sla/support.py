"""Support requests (contract art. 2.2, 3 and 4.2): response and resolution in business hours.

A request is a sequence of :class:`~sla.model.SupportEvent` steps (received, acknowledged,
resolved). Response time runs from *received* to the first of *acknowledged*/*resolved*,
resolution time from *received* to *resolved*, both counted in business hours of the
contract's calendar (nights, weekends and public holidays do not count). Targets come
from ``Contract.support`` per priority. A request received more than
``Contract.late_report_days`` days after the incident it reports is flagged as reported
too late (art. 3). Pure: ``now`` is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from sla.alerts import Finding
from sla.calendar import BusinessCalendar, month_interval
from sla.contract import Contract
from sla.model import AlertSeverity, SupportEvent, SupportPriority, UtcDatetime

SUPPORT_RESPONSE_BREACH = "support-response-breach"
SUPPORT_RESOLUTION_BREACH = "support-resolution-breach"
SUPPORT_LATE_REPORT = "support-late-report"
_SEARCH_LIMIT = timedelta(days=400)  # no business-hours target spans more than this


class SupportRequest(BaseModel):
    """One request with the instants of its steps (folded from its events)."""

    model_config = ConfigDict(extra="forbid")

    request_id: str
    priority: SupportPriority | None = None
    client: str = ""
    project_id: str = ""
    owner_email: str = ""
    form_name: str = ""
    impact: str = ""
    incident_at: UtcDatetime | None = None
    received_at: UtcDatetime | None = None
    acknowledged_at: UtcDatetime | None = None
    resolved_at: UtcDatetime | None = None

    def apply(self, event: SupportEvent) -> None:
        """Fold one step in; the earliest instant of a repeated step wins."""
        for name in ("priority", "client", "project_id", "owner_email", "form_name", "impact"):
            value = getattr(event, name)
            if value:
                setattr(self, name, value)
        if event.incident_at is not None:
            self.incident_at = event.incident_at
        field = f"{event.step}_at"
        current = getattr(self, field)
        if current is None or event.at < current:
            setattr(self, field, event.at)


def fold(events: Iterable[SupportEvent]) -> dict[str, SupportRequest]:
    """Requests by id, from their events in any order."""
    requests: dict[str, SupportRequest] = {}
    for event in events:
        request = requests.setdefault(event.request_id, SupportRequest(request_id=event.request_id))
        request.apply(event)
    return requests


def add_business_hours(calendar: BusinessCalendar, start: datetime, hours: Decimal) -> datetime:
    """The instant at which ``hours`` business hours have elapsed since ``start``."""
    left = timedelta(seconds=float(hours) * 3600)
    for span in calendar.business_hours_between(start, start + _SEARCH_LIMIT):
        length = span.end - span.start
        if left <= length:
            return span.start + left
        left -= length
    raise ValueError(f"{hours} business hours do not fit in {_SEARCH_LIMIT.days} days")


@dataclass(frozen=True)
class SupportMeasure:
    """A request measured against its priority's targets at ``now``."""

    request: SupportRequest
    response_hours: float | None  # business hours; None while unanswered
    resolution_hours: float | None
    response_target: Decimal | None
    resolution_target: Decimal | None
    response_due: datetime | None
    resolution_due: datetime | None
    response_breached: bool
    resolution_breached: bool
    late_report: bool


def measure(
    request: SupportRequest, contract: Contract, calendar: BusinessCalendar, now: datetime
) -> SupportMeasure:
    """Response/resolution business hours, deadlines and breaches of one request.

    An unanswered request is breached as soon as ``now`` passes its deadline, so the
    alert comes when the promise is broken, not when the answer finally arrives.
    """
    received = request.received_at
    targets = contract.support.get(request.priority or "")
    responded = _first(request.acknowledged_at, request.resolved_at)
    response_hours = _business_hours(calendar, received, responded)
    resolution_hours = _business_hours(calendar, received, request.resolved_at)
    response_target = targets.response_hours if targets else None
    resolution_target = targets.resolution_hours if targets else None
    response_due = _due(calendar, received, response_target)
    resolution_due = _due(calendar, received, resolution_target)
    late = (
        received is not None
        and request.incident_at is not None
        and received - request.incident_at > timedelta(days=contract.late_report_days)
    )
    return SupportMeasure(
        request=request,
        response_hours=response_hours,
        resolution_hours=resolution_hours,
        response_target=response_target,
        resolution_target=resolution_target,
        response_due=response_due,
        resolution_due=resolution_due,
        response_breached=_breached(response_due, responded, now),
        resolution_breached=_breached(resolution_due, request.resolved_at, now),
        late_report=late,
    )


def _first(a: datetime | None, b: datetime | None) -> datetime | None:
    present = [x for x in (a, b) if x is not None]
    return min(present) if present else None


def _business_hours(
    calendar: BusinessCalendar, start: datetime | None, end: datetime | None
) -> float | None:
    if start is None or end is None:
        return None
    return float(calendar.business_seconds_between(start, end)) / 3600


def _due(
    calendar: BusinessCalendar, start: datetime | None, hours: Decimal | None
) -> datetime | None:
    if start is None or hours is None:
        return None
    return add_business_hours(calendar, start, hours)


def _breached(due: datetime | None, done: datetime | None, now: datetime) -> bool:
    if due is None:
        return False
    return done > due if done is not None else now > due


def findings(result: SupportMeasure) -> list[Finding]:
    """One-shot findings for a measured request: breaches and a late report."""
    request = result.request
    out = []
    if result.response_breached and result.response_due is not None:
        out.append(
            _finding(
                result,
                SUPPORT_RESPONSE_BREACH,
                AlertSeverity.PAGE if request.priority == "high" else AlertSeverity.TICKET,
                f"support request {request.request_id} ({request.priority}) not answered within "
                f"{result.response_target} business hours "
                f"(due {result.response_due:%Y-%m-%d %H:%M} UTC)",
            )
        )
    if result.resolution_breached and result.resolution_due is not None:
        out.append(
            _finding(
                result,
                SUPPORT_RESOLUTION_BREACH,
                AlertSeverity.TICKET,
                f"support request {request.request_id} ({request.priority}) not resolved within "
                f"{result.resolution_target} business hours "
                f"(due {result.resolution_due:%Y-%m-%d %H:%M} UTC)",
            )
        )
    if result.late_report:
        out.append(
            _finding(
                result,
                SUPPORT_LATE_REPORT,
                AlertSeverity.INFO,
                f"support request {request.request_id} reports an incident of "
                f"{request.incident_at:%Y-%m-%d}, reported more than the contract's limit after it",
            )
        )
    return out


def _finding(result: SupportMeasure, rule: str, severity: AlertSeverity, summary: str) -> Finding:
    request = result.request
    assert request.received_at is not None  # only measured requests produce findings
    return Finding(
        rule=rule,
        severity=severity,
        subject=request.request_id,
        since=request.received_at,
        summary=summary,
        client=request.client or None,
        details={
            "request_id": request.request_id,
            "priority": request.priority,
            "project_id": request.project_id,
            "owner_email": request.owner_email,
            "form_name": request.form_name,
            "response_hours": _round(result.response_hours),
            "resolution_hours": _round(result.resolution_hours),
        },
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass(frozen=True)
class PrioritySummary:
    """A month's figures for one priority."""

    priority: str
    requests: int
    responded: int
    response_breaches: int
    resolution_breaches: int
    mean_response_hours: float | None
    max_response_hours: float | None


def month_requests(
    requests: Iterable[SupportRequest], month: str, contract: Contract
) -> list[SupportRequest]:
    """The requests received in ``month`` (the contract's time zone), by reception time."""
    span = month_interval(month, contract.timezone)
    chosen = [r for r in requests if r.received_at and span.start <= r.received_at < span.end]
    return sorted(chosen, key=lambda r: (r.received_at, r.request_id))


def summarise(results: Iterable[SupportMeasure]) -> list[PrioritySummary]:
    """Per-priority counts and response times (high, medium, low, then unknown)."""
    by_priority: dict[str, list[SupportMeasure]] = {}
    for result in results:
        by_priority.setdefault(result.request.priority or "unknown", []).append(result)
    order = ["high", "medium", "low", "unknown"]
    summaries = []
    for priority in sorted(by_priority, key=lambda p: order.index(p) if p in order else 9):
        group = by_priority[priority]
        times = [r.response_hours for r in group if r.response_hours is not None]
        summaries.append(
            PrioritySummary(
                priority=priority,
                requests=len(group),
                responded=len(times),
                response_breaches=sum(r.response_breached for r in group),
                resolution_breaches=sum(r.resolution_breached for r in group),
                mean_response_hours=sum(times) / len(times) if times else None,
                max_response_hours=max(times) if times else None,
            )
        )
    return summaries
