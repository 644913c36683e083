"""The contract's formula, for one site and one calendar month, in exact arithmetic.

    A = (T − M − D) / (T − M) × 100

* T: length of the month in the contract's time zone (DST months are an hour shorter or
  longer);
* M: length of the union of the site's non-cancelled maintenance windows, clipped to T;
* D: the site's outages (union, clipped to the month) minus maintenance minus exclusions;
* excluded: the outage time outside maintenance that an exclusion covers.

Lengths are exact ``Fraction`` seconds and the target is compared as a ``Fraction`` of the
contract's ``Decimal``: 43.2 minutes of downtime in a 30-day month is exactly 99.90 %, which
meets 99.9. A is None (undefined) when T − M = 0, and so are ``met`` and the budget.

:func:`compute_site_month` is the only implementation; the stream's ledger and
``slawatch sla report`` both call it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from sla.calendar import month_interval
from sla.contract import Contract
from sla.intervals import (
    clip,
    intersect_normalized,
    seconds_of_normalized,
    subtract_normalized,
)
from sla.model import LedgerRow

_HUNDRED = Fraction(100)


def availability_pct(total: Fraction, maintenance: Fraction, downtime: Fraction) -> Fraction | None:
    """``(T − M − D) / (T − M) × 100`` exactly, or None when ``T − M`` is 0."""
    measured = total - maintenance
    if measured <= 0:
        return None
    return (measured - downtime) / measured * _HUNDRED


def meets_target(availability: Fraction | None, target_pct: Decimal | Fraction) -> bool | None:
    """``availability >= target`` compared exactly; None when availability is None."""
    if availability is None:
        return None
    return availability >= Fraction(target_pct)


def budget_left_seconds(
    total: Fraction, maintenance: Fraction, downtime: Fraction, target_pct: Decimal | Fraction
) -> Fraction | None:
    """Downtime the month can still absorb while meeting the target: ``(T−M)(1−t) − D``.

    Negative when the target is already missed (by that much); None when ``T − M`` is 0.
    """
    measured = total - maintenance
    if measured <= 0:
        return None
    return measured * (1 - Fraction(target_pct) / _HUNDRED) - downtime


def _minutes(seconds: Fraction | None) -> float | None:
    return None if seconds is None else float(seconds / 60)


@dataclass(frozen=True)
class SiteMonth:
    """One site's figures for one month (exact seconds; ``*_minutes`` give floats)."""

    site: str
    month: str
    total_seconds: Fraction
    maintenance_seconds: Fraction
    downtime_seconds: Fraction
    excluded_seconds: Fraction
    target_pct: Decimal

    @property
    def availability(self) -> Fraction | None:
        """A in percent, exactly; None when T − M = 0."""
        return availability_pct(self.total_seconds, self.maintenance_seconds, self.downtime_seconds)

    @property
    def met(self) -> bool | None:
        """Whether A ≥ target, exactly; None when A is None."""
        return meets_target(self.availability, self.target_pct)

    @property
    def budget_left(self) -> Fraction | None:
        """Seconds of downtime left before missing the target (negative: missed by that)."""
        return budget_left_seconds(
            self.total_seconds, self.maintenance_seconds, self.downtime_seconds, self.target_pct
        )

    @property
    def total_minutes(self) -> float:
        """T in minutes."""
        return float(self.total_seconds / 60)

    @property
    def maintenance_minutes(self) -> float:
        """M in minutes."""
        return float(self.maintenance_seconds / 60)

    @property
    def downtime_minutes(self) -> float:
        """D in minutes."""
        return float(self.downtime_seconds / 60)

    @property
    def excluded_minutes(self) -> float:
        """Excluded outage minutes (outside maintenance, covered by an exclusion)."""
        return float(self.excluded_seconds / 60)

    @property
    def availability_float(self) -> float | None:
        """A as a float, for JSON and the ledger."""
        value = self.availability
        return None if value is None else float(value)

    @property
    def budget_left_minutes(self) -> float | None:
        """The budget left in minutes (see :attr:`budget_left`)."""
        return _minutes(self.budget_left)

    def to_ledger_row(self, version: int, computed_at: datetime) -> LedgerRow:
        """This month as a row of the ``ledger`` topic (floats; the latest version wins)."""
        return LedgerRow(
            site=self.site,
            month=self.month,
            total_minutes=self.total_minutes,
            maintenance_minutes=self.maintenance_minutes,
            downtime_minutes=self.downtime_minutes,
            excluded_minutes=self.excluded_minutes,
            availability_pct=self.availability_float,
            target_pct=float(self.target_pct),
            met=self.met,
            budget_left_minutes=self.budget_left_minutes,
            version=version,
            computed_at=computed_at,
        )


Spans = Iterable[tuple[datetime, datetime]]


def compute_site_month(
    contract: Contract,
    site: str,
    month: str,
    outages: Spans,
    maintenance: Spans,
    exclusions: Spans,
) -> SiteMonth:
    """The month's figures for ``site``.

    ``outages``, ``maintenance`` and ``exclusions`` are ``(start, end)`` pairs already
    selected for this site: its outages, its non-cancelled maintenance windows (those
    listing it or ``"*"``), its exclusions (its own and ``"*"``). They may overlap, be
    unsorted and extend beyond the month: they are united and clipped here.
    ``month`` is ``"YYYY-MM"`` in the contract's time zone (``ValueError`` otherwise).
    """
    bounds = month_interval(month, contract.timezone)
    down = clip(outages, *bounds)
    maintained = clip(maintenance, *bounds)
    excluded = clip(exclusions, *bounds)
    # Every list is normalised from here on: the cheaper *_normalized forms apply.
    outside_maintenance = subtract_normalized(down, maintained)
    return SiteMonth(
        site=site,
        month=month,
        total_seconds=bounds.seconds,
        maintenance_seconds=seconds_of_normalized(maintained),
        downtime_seconds=seconds_of_normalized(subtract_normalized(outside_maintenance, excluded)),
        excluded_seconds=seconds_of_normalized(intersect_normalized(outside_maintenance, excluded)),
        target_pct=contract.target_pct,
    )
