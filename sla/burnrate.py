"""Multi-window, multi-burn-rate error-budget rules (Google SRE workbook, ch. 5).

The month's error budget is ``(T − M) × (1 − target)``. A rule fires when *both* its
long and its short window burn the budget faster than its factor: the long window
proves the burn is significant, the short one that it is still happening (so the
alert resolves quickly once the site is back).

The workbook's factors are stated for a 30-day period: 14.4× over 1 h spends 2 % of the
budget, 6× over 6 h spends 5 %, 1× over 3 days spends 10 %. Months are not 30 days and
maintenance shrinks the budget, so a rule here is defined by the *share of the month's
budget* its long window may spend, and the factor is derived from the month's ``T − M``;
for a 30-day month without maintenance it is exactly 14.4 / 6 / 1.

State is compact and explicit: the site's downtime intervals of the last three days,
keyed by outage id (an updated outage replaces its interval, so replays are
idempotent). Nothing here reads the clock: ``now`` is passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from sla import intervals as intervals_
from sla.model import AlertSeverity, UtcDatetime

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class BurnRule:
    """One alerting rule: ``budget_share`` of the month's budget spent within ``long``."""

    name: str
    severity: AlertSeverity
    long: timedelta
    short: timedelta
    budget_share: float

    def factor(self, budget_period: timedelta) -> float:
        """The burn-rate threshold for a budget period of ``budget_period`` (T − M)."""
        return self.budget_share * (budget_period / self.long)


_PAGE, _TICKET = AlertSeverity.PAGE, AlertSeverity.TICKET
_H, _M = timedelta(hours=1), timedelta(minutes=1)
DEFAULT_RULES: tuple[BurnRule, ...] = (
    BurnRule("burn-rate-fast", _PAGE, long=1 * _H, short=5 * _M, budget_share=0.02),
    BurnRule("burn-rate-medium", _PAGE, long=6 * _H, short=30 * _M, budget_share=0.05),
    BurnRule("burn-rate-slow", _TICKET, long=72 * _H, short=6 * _H, budget_share=0.10),
)
LONGEST_WINDOW = max(rule.long for rule in DEFAULT_RULES)


class DowntimeSpan(BaseModel):
    """One outage's downtime; ``end`` is None while the outage is open."""

    model_config = ConfigDict(extra="forbid")

    start: UtcDatetime
    end: UtcDatetime | None = None


class BurnState(BaseModel):
    """A site's recent downtime, enough for the longest window (JSON-serialisable)."""

    model_config = ConfigDict(extra="forbid")

    spans: dict[str, DowntimeSpan] = {}

    def observe(self, outage_id: str, start: datetime, end: datetime | None) -> None:
        """Record (or replace) the downtime of outage ``outage_id``."""
        self.spans[outage_id] = DowntimeSpan(start=start, end=end)

    def forget(self, outage_id: str) -> None:
        """Drop an outage (re-classified as not being downtime, e.g. internet-systemic)."""
        self.spans.pop(outage_id, None)

    def prune(self, now: datetime, keep: timedelta = LONGEST_WINDOW) -> None:
        """Drop closed spans that ended before the longest window."""
        horizon = now - keep
        for key in [k for k, s in self.spans.items() if s.end is not None and s.end < horizon]:
            del self.spans[key]

    def intervals(self, now: datetime) -> list[Interval]:
        """The spans as closed intervals, open ones cut at ``now``."""
        return [(s.start, min(s.end or now, now)) for s in self.spans.values() if s.start < now]


@dataclass(frozen=True)
class BurnReading:
    """One rule's evaluation: both windows' burn rates and the threshold they face."""

    rule: BurnRule
    long_rate: float
    short_rate: float
    threshold: float

    @property
    def firing(self) -> bool:
        """Both windows at or above the threshold (and something actually burned)."""
        # the tolerance keeps a burn of exactly the threshold (float rounding) firing
        return self.short_rate > 0 and min(self.long_rate, self.short_rate) >= self.threshold * (
            1 - 1e-9
        )


def overlap_seconds(intervals: Sequence[Interval], start: datetime, end: datetime) -> float:
    """Seconds of ``intervals`` (any order, overlaps counted once) within ``[start, end)``."""
    return float(intervals_.total_seconds(intervals_.clip(intervals, start, end)))


def burn_rate(bad_seconds: float, window: timedelta, target_pct: float) -> float:
    """Bad fraction of the window divided by the allowed fraction ``1 − target``."""
    allowed = 1.0 - target_pct / 100.0
    return (bad_seconds / window.total_seconds()) / allowed


def evaluate(
    state: BurnState,
    now: datetime,
    *,
    target_pct: float,
    budget_period: timedelta,
    maintenance: Sequence[Interval] = (),
    rules: Sequence[BurnRule] = DEFAULT_RULES,
) -> list[BurnReading]:
    """Every rule's reading at ``now``; downtime inside ``maintenance`` does not burn."""
    downtime = intervals_.subtract(state.intervals(now), maintenance)
    readings = []
    for rule in rules:
        long_bad = overlap_seconds(downtime, now - rule.long, now)
        short_bad = overlap_seconds(downtime, now - rule.short, now)
        readings.append(
            BurnReading(
                rule=rule,
                long_rate=burn_rate(long_bad, rule.long, target_pct),
                short_rate=burn_rate(short_bad, rule.short, target_pct),
                threshold=rule.factor(budget_period),
            )
        )
    return readings
