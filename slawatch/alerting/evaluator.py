"""The alert engine's state and its evaluation, without I/O (``now`` is passed in).

Messages are applied as they come (:meth:`AlertEvaluator.apply`); :meth:`tick` evaluates
every condition at ``now`` and returns the alerts to publish. The whole state is one
pydantic model, so the engine snapshots it as JSON and a test builds it from plain data.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from sla import burnrate
from sla.alerts import (
    MONTH_PROJECTION,
    REGION_IMPAIRED,
    SITE_DOWN,
    AlertBook,
    Finding,
    RegionHealth,
    burn_findings,
    maintenance_findings,
    month_projection,
    region_impaired,
    site_down,
)
from sla.backup import BACKUP_STALE, BackupState, stale_backups
from sla.calendar import BusinessCalendar, month_interval, months_touching
from sla.contract import Contract
from sla.intervals import subtract
from sla.model import (
    Alert,
    CheckResult,
    LedgerRow,
    MaintenanceEvent,
    Outage,
    OutageState,
    SnapshotEvent,
    SupportEvent,
    UtcDatetime,
)
from sla.support import SupportRequest, measure
from sla.support import findings as support_findings
from slawatch.alerting.settings import AlertingSettings

Kind = Literal["outage", "ledger", "maintenance", "probe", "snapshot", "support"]
CONDITION_RULES = frozenset(
    {SITE_DOWN, MONTH_PROJECTION, REGION_IMPAIRED, BACKUP_STALE}
    | {rule.name for rule in burnrate.DEFAULT_RULES}
)
_KEEP_ONE_SHOTS = timedelta(days=62)
_KEEP_MAINTENANCE = timedelta(days=8)  # the weekly limit looks a week back
_KEEP_SUPPORT = timedelta(days=120)


class OpenOutage(BaseModel):
    """A confirmed outage that has not closed yet."""

    model_config = ConfigDict(extra="forbid")

    start: UtcDatetime
    client: str = ""
    regions: list[str] = []


class EngineState(BaseModel):
    """Everything the engine remembers (snapshotted as JSON with the input offsets)."""

    model_config = ConfigDict(extra="forbid")

    book: AlertBook = AlertBook()
    burn: dict[str, burnrate.BurnState] = {}
    open_outages: dict[str, dict[str, OpenOutage]] = {}
    maintenance: dict[str, MaintenanceEvent] = {}
    ledger: dict[str, LedgerRow] = {}
    regions: dict[str, RegionHealth] = {}
    backups: BackupState = BackupState()
    support: dict[str, SupportRequest] = {}
    offsets: dict[str, int] = {}  # "topic:partition" -> next offset to read


class AlertEvaluator:
    """Applies messages to an :class:`EngineState` and evaluates the rules."""

    def __init__(
        self,
        contract: Contract,
        settings: AlertingSettings,
        site_clients: dict[str, str] | None = None,
        state: EngineState | None = None,
    ) -> None:
        self.contract = contract
        self.settings = settings
        self.calendar = BusinessCalendar.from_contract(contract)
        self.site_clients = site_clients or {}
        self.state = state or EngineState()
        self._pending: list[Alert] = []

    # ------------------------------------------------------------------ input

    def apply(self, kind: Kind, raw: bytes, now: datetime) -> None:
        """Decode and apply one message; raises ``ValidationError`` for a bad one."""
        if kind == "outage":
            self._outage(Outage.model_validate_json(raw))
        elif kind == "ledger":
            row = LedgerRow.model_validate_json(raw)
            known = self.state.ledger.get(row.site)
            if known is None or (row.month, row.version) >= (known.month, known.version):
                self.state.ledger[row.site] = row
        elif kind == "maintenance":
            self._maintenance(MaintenanceEvent.model_validate_json(raw), now)
        elif kind == "probe":
            result = CheckResult.model_validate_json(raw)
            if result.reference_ok is not None:
                health = self.state.regions.setdefault(result.region, RegionHealth())
                health.observe(result.reference_ok, result.started_at)
        elif kind == "snapshot":
            self.state.backups.observe(SnapshotEvent.model_validate_json(raw))
        elif kind == "support":
            event = SupportEvent.model_validate_json(raw)
            request = self.state.support.setdefault(
                event.request_id, SupportRequest(request_id=event.request_id)
            )
            request.apply(event)

    def _outage(self, outage: Outage) -> None:
        opened = self.state.open_outages.setdefault(outage.site, {})
        burn = self.state.burn.setdefault(outage.site, burnrate.BurnState())
        if outage.classification != "downtime":  # internet-systemic: not the vendor's
            opened.pop(outage.id, None)
            burn.forget(outage.id)
            return
        if outage.state is OutageState.CLOSED:
            opened.pop(outage.id, None)
        else:
            client = outage.client or self.site_clients.get(outage.site, "")
            opened[outage.id] = OpenOutage(
                start=outage.start, client=client, regions=outage.regions_down
            )
        end = outage.end if outage.state is OutageState.CLOSED else None
        burn.observe(outage.id, outage.start, end)

    def _maintenance(self, event: MaintenanceEvent, now: datetime) -> None:
        self.state.maintenance[event.id] = event
        others = [m for m in self.state.maintenance.values() if m.id != event.id]
        for finding in maintenance_findings(
            event, others, self.calendar, self.contract.notice_business_days
        ):
            alert = self.state.book.once(finding, now)
            if alert is not None:
                self._pending.append(alert)

    # ------------------------------------------------------------------ evaluation

    def tick(self, now: datetime) -> list[Alert]:
        """Evaluate every rule at ``now``: the alerts to publish, in order."""
        findings = [*self._site_down(now), *self._burn(now), *self._projection(now)]
        findings += self._regions() + stale_backups(
            self.state.backups, now, timedelta(hours=float(self.contract.max_data_loss_hours))
        )
        alerts, self._pending = self._pending, []
        alerts += self.state.book.reconcile(
            findings,
            rules=CONDITION_RULES,
            now=now,
            hold_down=timedelta(seconds=self.settings.hold_down_seconds),
        )
        alerts += self._support(now)
        self._prune(now)
        return alerts

    def _site_down(self, now: datetime) -> list[Finding]:
        """Open outages page, except inside an announced maintenance window of the site."""
        findings = []
        for site, opened in self.state.open_outages.items():
            in_maintenance = any(a <= now < b for a, b in self._maintenance_intervals(site))
            if opened and not in_maintenance:
                first = min(opened.values(), key=lambda o: o.start)
                regions = sorted({r for o in opened.values() for r in o.regions})
                findings.append(site_down(site, first.client, first.start, regions))
        return findings

    def _maintenance_intervals(self, site: str) -> list[burnrate.Interval]:
        return [
            (m.start, m.end)
            for m in self.state.maintenance.values()
            if not m.cancelled and m.covers(site)
        ]

    def _budget_period(self, site: str, now: datetime) -> timedelta:
        month = months_touching(now, now, self.contract.timezone)[0]
        span = month_interval(month, self.contract.timezone)
        row = self.state.ledger.get(site)
        maintenance = row.maintenance_minutes if row is not None and row.month == month else 0.0
        return (span.end - span.start) - timedelta(minutes=maintenance)

    def _burn(self, now: datetime) -> list[Finding]:
        findings = []
        target = float(self.contract.target_pct)
        for site, state in self.state.burn.items():
            readings = burnrate.evaluate(
                state,
                now,
                target_pct=target,
                budget_period=self._budget_period(site, now),
                maintenance=self._maintenance_intervals(site),
            )
            findings += burn_findings(site, self.site_clients.get(site), readings, now)
        return findings

    def _projection(self, now: datetime) -> list[Finding]:
        month = months_touching(now, now, self.contract.timezone)[0]
        span = month_interval(month, self.contract.timezone)
        window = burnrate.LONGEST_WINDOW
        findings = []
        for site, row in self.state.ledger.items():
            if row.month != month:
                continue
            burn = self.state.burn.get(site, burnrate.BurnState())
            downtime = subtract(burn.intervals(now), self._maintenance_intervals(site))
            recent = burnrate.overlap_seconds(downtime, now - window, now) / window.total_seconds()
            finding = month_projection(
                row,
                client=self.site_clients.get(site),
                month_start=span.start,
                month_end=span.end,
                now=now,
                recent_bad_fraction=recent,
            )
            if finding is not None:
                findings.append(finding)
        return findings

    def _regions(self) -> list[Finding]:
        found = (
            region_impaired(region, health, self.settings.region_failures)
            for region, health in sorted(self.state.regions.items())
        )
        return [f for f in found if f is not None]

    def _support(self, now: datetime) -> list[Alert]:
        alerts = []
        for request in self.state.support.values():
            if request.received_at is None:
                continue
            result = measure(request, self.contract, self.calendar, now)
            for finding in support_findings(result):
                alert = self.state.book.once(finding, now)
                if alert is not None:
                    alerts.append(alert)
        return alerts

    def _prune(self, now: datetime) -> None:
        self.state.book.prune(now, _KEEP_ONE_SHOTS)
        for burn in self.state.burn.values():
            burn.prune(now)
        self.state.burn = {s: b for s, b in self.state.burn.items() if b.spans}
        self.state.maintenance = {
            i: m for i, m in self.state.maintenance.items() if now - m.end < _KEEP_MAINTENANCE
        }
        self.state.support = {
            i: r
            for i, r in self.state.support.items()
            if r.received_at is None or now - r.received_at < _KEEP_SUPPORT
        }


__all__ = ["AlertEvaluator", "EngineState", "Kind", "ValidationError"]
