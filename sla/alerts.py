"""Alert life cycle: conditions in, typed alerts out, with hold-down against flapping.

Rules produce :class:`Finding` objects — "this condition holds at ``now``". An
:class:`AlertBook` (explicit, JSON-serialisable state) turns them into :class:`Alert`
messages: a new condition fires once; a condition that stops holding resolves only after
it has stayed away for the hold-down, and if it comes back within the hold-down the same
alert simply keeps firing (no resolve/re-fire flapping). One-shot findings (an emergency
maintenance, a support breach) fire exactly once and never resolve.

Alert ids are deterministic: ``rule|subject|start`` where start is the start of the
condition (an outage's start, a request's id, a window's start), so a recomputation
yields the same id and every consumer can deduplicate.

Pure: no I/O, no clock; ``now`` is always passed in.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from sla.burnrate import BurnReading
from sla.calendar import BusinessCalendar
from sla.maintenance import MaintenanceKind, assess_maintenance
from sla.model import (
    Alert,
    AlertSeverity,
    AlertState,
    LedgerRow,
    MaintenanceEvent,
    UtcDatetime,
)

DetailValue = str | int | float | bool | None


@dataclass(frozen=True)
class Finding:
    """A condition that holds at the time of evaluation."""

    rule: str
    severity: AlertSeverity
    subject: str
    since: datetime
    summary: str
    site: str | None = None
    client: str | None = None
    region: str | None = None
    details: dict[str, DetailValue] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """One open alert per rule and subject."""
        return f"{self.rule}|{self.subject}"


def alert_id(rule: str, subject: str, since: datetime) -> str:
    """The deterministic alert id: rule, subject and the start of the condition."""
    return f"{rule}|{subject}|{since.isoformat()}"


class Episode(BaseModel):
    """An alert that fired and has not been resolved yet."""

    model_config = ConfigDict(extra="forbid")

    id: str
    rule: str
    severity: AlertSeverity
    subject: str
    site: str | None = None
    client: str | None = None
    region: str | None = None
    summary: str
    details: dict[str, DetailValue] = {}
    starts_at: UtcDatetime
    last_seen: UtcDatetime
    version: int = 1


class AlertBook(BaseModel):
    """Open episodes and the ids of one-shot alerts already sent (engine state)."""

    model_config = ConfigDict(extra="forbid")

    open: dict[str, Episode] = {}
    sent: dict[str, UtcDatetime] = {}

    def reconcile(
        self,
        findings: Iterable[Finding],
        *,
        rules: Collection[str],
        now: datetime,
        hold_down: timedelta,
    ) -> list[Alert]:
        """Fire new conditions, resolve the ones of ``rules`` gone for ``hold_down``.

        ``rules`` names the rules that were evaluated: only their episodes may resolve
        (an evaluation of burn rates says nothing about a region's health).
        """
        alerts: list[Alert] = []
        seen: set[str] = set()
        for finding in findings:
            seen.add(finding.key)
            episode = self.open.get(finding.key)
            if episode is None:
                episode = _open_episode(finding, now)
                self.open[finding.key] = episode
                alerts.append(_alert(episode, AlertState.FIRING, now))
            else:
                episode.last_seen = now
                episode.details = dict(finding.details)
        for key, episode in list(self.open.items()):
            if episode.rule in rules and key not in seen and now - episode.last_seen >= hold_down:
                episode.version += 1
                alerts.append(_alert(episode, AlertState.RESOLVED, now, ends_at=episode.last_seen))
                del self.open[key]
        return alerts

    def once(self, finding: Finding, now: datetime) -> Alert | None:
        """A one-shot alert for ``finding``, or None if it was already sent."""
        ident = alert_id(finding.rule, finding.subject, finding.since)
        if ident in self.sent:
            return None
        self.sent[ident] = finding.since
        return _alert(_open_episode(finding, now), AlertState.FIRING, now)

    def prune(self, now: datetime, keep: timedelta) -> None:
        """Forget one-shot ids whose condition started more than ``keep`` ago."""
        for ident in [i for i, since in self.sent.items() if now - since > keep]:
            del self.sent[ident]


def _open_episode(finding: Finding, now: datetime) -> Episode:
    return Episode(
        id=alert_id(finding.rule, finding.subject, finding.since),
        rule=finding.rule,
        severity=finding.severity,
        subject=finding.subject,
        site=finding.site,
        client=finding.client,
        region=finding.region,
        summary=finding.summary,
        details=dict(finding.details),
        starts_at=finding.since,
        last_seen=now,
    )


def _alert(
    episode: Episode, state: AlertState, now: datetime, ends_at: datetime | None = None
) -> Alert:
    summary = episode.summary if state is AlertState.FIRING else f"resolved: {episode.summary}"
    return Alert(
        id=episode.id,
        rule=episode.rule,
        severity=episode.severity,
        state=state,
        site=episode.site,
        client=episode.client,
        region=episode.region,
        summary=summary[:500],
        details=episode.details,
        starts_at=episode.starts_at,
        ends_at=ends_at,
        version=episode.version,
        emitted_at=now,
    )


# --- rules: each returns the findings that hold at ``now`` ---

SITE_DOWN = "site-down"
MONTH_PROJECTION = "month-projected-miss"
REGION_IMPAIRED = "region-impaired"


def site_down(site: str, client: str | None, start: datetime, regions: list[str]) -> Finding:
    """A confirmed outage is open: page (the alert's id carries the outage's start)."""
    where = ", ".join(regions) if regions else "the probe regions"
    return Finding(
        rule=SITE_DOWN,
        severity=AlertSeverity.PAGE,
        subject=site,
        since=start,
        summary=f"{site} is down since {start:%Y-%m-%d %H:%M} UTC (seen from {where})",
        site=site,
        client=client or None,
        details={"regions_down": ",".join(regions)},
    )


def burn_findings(
    site: str, client: str | None, readings: Iterable[BurnReading], now: datetime
) -> list[Finding]:
    """One finding per burn-rate rule whose long and short windows both burn too fast."""
    minute = now.replace(second=0, microsecond=0)
    findings = []
    for reading in readings:
        if not reading.firing:
            continue
        rule = reading.rule
        findings.append(
            Finding(
                rule=rule.name,
                severity=rule.severity,
                subject=site,
                since=minute,
                summary=(
                    f"{site} burns its error budget at {reading.long_rate:.1f}x over "
                    f"{_span(rule.long)} and {reading.short_rate:.1f}x over {_span(rule.short)} "
                    f"(threshold {reading.threshold:.1f}x)"
                ),
                site=site,
                client=client or None,
                details={
                    "long_window": _span(rule.long),
                    "short_window": _span(rule.short),
                    "long_burn_rate": round(reading.long_rate, 3),
                    "short_burn_rate": round(reading.short_rate, 3),
                    "threshold": round(reading.threshold, 3),
                    "budget_share": rule.budget_share,
                },
            )
        )
    return findings


def month_projection(
    row: LedgerRow,
    *,
    client: str | None,
    month_start: datetime,
    month_end: datetime,
    now: datetime,
    recent_bad_fraction: float,
) -> Finding | None:
    """The month will miss its target if the recent downtime rate goes on.

    Projected downtime = downtime so far + remaining minutes × the bad fraction of the
    recent past (the slow burn window); the budget is ``(T − M) × (1 − target)``.
    """
    budget = (row.total_minutes - row.maintenance_minutes) * (1 - row.target_pct / 100)
    remaining = max(0.0, (month_end - now).total_seconds() / 60)
    projected = row.downtime_minutes + remaining * recent_bad_fraction
    if projected <= budget:
        return None
    return Finding(
        rule=MONTH_PROJECTION,
        severity=AlertSeverity.TICKET,
        subject=f"{row.site}|{row.month}",
        since=month_start,
        summary=(
            f"{row.site} is projected to miss {row.target_pct}% in {row.month}: "
            f"{projected:.1f} downtime minutes against a budget of {budget:.1f}"
        ),
        site=row.site,
        client=client or None,
        details={
            "month": row.month,
            "downtime_minutes": round(row.downtime_minutes, 3),
            "projected_downtime_minutes": round(projected, 3),
            "budget_minutes": round(budget, 3),
            "already_missed": row.downtime_minutes > budget,
        },
    )


class RegionHealth(BaseModel):
    """A probe region's reference checks: consecutive failures and since when."""

    model_config = ConfigDict(extra="forbid")

    failures: int = 0
    since: UtcDatetime | None = None
    last_at: UtcDatetime | None = None

    def observe(self, ok: bool, at: datetime) -> None:
        """Count one reference verdict of the region (out-of-order results are ignored)."""
        if self.last_at is not None and at < self.last_at:
            return
        self.last_at = at
        if ok:
            self.failures, self.since = 0, None
        else:
            self.failures += 1
            self.since = self.since or at


def region_impaired(region: str, health: RegionHealth, threshold: int) -> Finding | None:
    """The region's own reference targets fail: its verdicts on client sites are suspect."""
    if health.failures < threshold or health.since is None:
        return None
    return Finding(
        rule=REGION_IMPAIRED,
        severity=AlertSeverity.TICKET,
        subject=region,
        since=health.since,
        summary=(
            f"probe region {region} is impaired: {health.failures} reference checks "
            f"failed in a row since {health.since:%Y-%m-%d %H:%M} UTC"
        ),
        region=region,
        details={"consecutive_failures": health.failures},
    )


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


MAINTENANCE_EMERGENCY = "maintenance-emergency"
MAINTENANCE_BUSINESS_HOURS = "maintenance-business-hours"
MAINTENANCE_TOO_FREQUENT = "maintenance-too-frequent"


def maintenance_findings(
    event: MaintenanceEvent,
    others: Iterable[MaintenanceEvent],
    calendar: BusinessCalendar,
    notice_business_days: int,
) -> list[Finding]:
    """One-shot findings about a maintenance announcement (contract art. 2.1).

    The classification is :func:`sla.maintenance.assess_maintenance`'s: an emergency
    (less notice than ``notice_business_days`` business days), a scheduled or regular
    window overlapping business hours, a second regular window in an ISO week.
    ``others`` are the other known windows (needed for the weekly limit).
    """
    if event.cancelled:
        return []
    windows = [w for w in others if w.id != event.id] + [event]
    assessment = next(
        a for a in assess_maintenance(calendar, notice_business_days, windows) if a.window is event
    )
    notice = assessment.notice_business_days
    findings = []
    if assessment.kind is MaintenanceKind.EMERGENCY:
        findings.append(
            _maintenance_finding(
                event,
                MAINTENANCE_EMERGENCY,
                f"maintenance {event.id} announced with {notice} business days of notice "
                f"(the contract requires {notice_business_days}): emergency maintenance",
                {"notice_business_days": notice, "required": notice_business_days},
            )
        )
    if "business_hours" in assessment.violations:
        inside = float(calendar.business_seconds_between(event.start, event.end)) / 60
        findings.append(
            _maintenance_finding(
                event,
                MAINTENANCE_BUSINESS_HOURS,
                f"{assessment.kind} maintenance {event.id} overlaps business hours by "
                f"{inside:.0f} min",
                {"business_minutes": round(inside, 1), "kind": str(assessment.kind)},
            )
        )
    if "weekly_limit" in assessment.violations:
        year, week, _ = calendar.local_date(event.start).isocalendar()
        findings.append(
            _maintenance_finding(
                event,
                MAINTENANCE_TOO_FREQUENT,
                f"maintenance {event.id} is a second regular window in week {year}-W{week:02d}; "
                "the contract allows one per week",
                {"week": f"{year}-W{week:02d}"},
            )
        )
    return findings


def _maintenance_finding(
    event: MaintenanceEvent, rule: str, summary: str, details: dict[str, DetailValue]
) -> Finding:
    sites = "*" if event.sites == "*" else ",".join(event.sites)
    return Finding(
        rule=rule,
        severity=AlertSeverity.TICKET,
        subject=event.id,
        since=event.start,
        summary=summary,
        details={
            **details,
            "maintenance_id": event.id,
            "sites": sites,
            "start": event.start.isoformat(),
            "end": event.end.isoformat(),
            "announced_at": event.announced_at.isoformat(),
        },
    )
