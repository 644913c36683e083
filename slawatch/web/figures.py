"""The contract arithmetic the status page needs, all delegated to :mod:`sla`.

The page never re-implements the formula, the interval arithmetic or the calendar: these
wrappers only convert between the exact ``Fraction`` seconds of :mod:`sla` and the float
minutes that pages and JSON show.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from functools import lru_cache
from zoneinfo import ZoneInfo

from sla.availability import availability_pct as _availability_pct
from sla.availability import budget_left_seconds, meets_target
from sla.calendar import BusinessCalendar, month_interval
from sla.contract import Contract
from sla.intervals import clip, total_seconds
from sla.maintenance import MaintenanceKind, classify, notice_business_days
from sla.model import ExclusionEvent, LedgerRow, MaintenanceEvent, Outage, Segment
from sla.segmentation import ClosedOutage, segment, segment_id

Spans = Iterable[tuple[datetime, datetime]]

__all__ = [
    "LiveMonth",
    "MaintenanceKind",
    "availability_pct",
    "classify_maintenance",
    "clip_minutes",
    "live_month",
    "month_bounds",
    "month_key",
    "provisional_segments",
]


def month_key(instant: datetime, zone: ZoneInfo) -> str:
    """The contract month (``YYYY-MM`` in ``zone``) that contains ``instant``."""
    local = instant.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def month_bounds(instant: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC of the contract month containing ``instant``."""
    start, end = month_interval(month_key(instant, zone), zone)
    return start, end


def clip_minutes(spans: Spans, start: datetime, end: datetime) -> float:
    """Minutes of the union of ``spans`` inside ``[start, end)`` (overlaps counted once)."""
    return float(total_seconds(clip(spans, start, end)) / 60)


@lru_cache(maxsize=4096)  # most days repeat (1440, 0, 0): a pure function, cheap to cache
def availability_pct(total_min: float, maintenance_min: float, downtime_min: float) -> float | None:
    """The contract's ``A`` for the given minutes (None when ``T − M`` is 0)."""
    value = _availability_pct(
        Fraction(total_min), Fraction(maintenance_min), Fraction(downtime_min)
    )
    return None if value is None else float(value)


@dataclass(frozen=True)
class LiveMonth:
    """The month so far: the ledger's figures with the open outages' downtime added."""

    availability_pct: float | None
    met: bool | None
    budget_left_minutes: float | None
    includes_ongoing: bool


def live_month(ledger: LedgerRow | None, ongoing_downtime_min: float) -> LiveMonth | None:
    """The ledger row's A, met and budget with ``ongoing_downtime_min`` more downtime.

    Computed with :mod:`sla.availability`'s formula, target test and budget; exactly the
    ledger's own figures when nothing is ongoing.
    """
    if ledger is None:
        return None
    if ongoing_downtime_min <= 0:
        return LiveMonth(ledger.availability_pct, ledger.met, ledger.budget_left_minutes, False)
    total = Fraction(ledger.total_minutes) * 60
    maintenance = Fraction(ledger.maintenance_minutes) * 60
    downtime = (Fraction(ledger.downtime_minutes) + Fraction(ongoing_downtime_min)) * 60
    target = Fraction(ledger.target_pct).limit_denominator(10_000)
    availability = _availability_pct(total, maintenance, downtime)
    budget = budget_left_seconds(total, maintenance, downtime, target)
    return LiveMonth(
        availability_pct=None if availability is None else float(availability),
        met=meets_target(availability, target),
        budget_left_minutes=None if budget is None else float(budget / 60),
        includes_ongoing=True,
    )


def provisional_segments(
    outage: Outage,
    now: datetime,
    windows: Iterable[MaintenanceEvent],
    exclusions: Iterable[ExclusionEvent],
) -> list[Segment]:
    """An open outage's ``[start, now)`` classified by the stream's rules (version 0)."""
    closed = ClosedOutage(outage.id, outage.site, outage.start, now, outage.classification)
    return [
        Segment(
            id=segment_id(outage.site, piece.start),
            site=outage.site,
            outage_id=outage.id,
            label=piece.label,
            reason=piece.reason,
            maintenance_id=piece.maintenance_id,
            start=piece.start,
            end=piece.end,
            version=0,
        )
        for piece in segment(closed, windows, exclusions)
    ]


def classify_maintenance(
    event: MaintenanceEvent, contract: Contract
) -> tuple[MaintenanceKind, int]:
    """The window's kind and the business days of notice it had (:mod:`sla.maintenance`)."""
    calendar = BusinessCalendar.from_contract(contract)
    notice = notice_business_days(calendar, event)
    return classify(notice, contract.notice_business_days, event.regular), notice
