"""Backup freshness (contract art. 2.3): data lost on a restore is bounded by 24 hours.

The newest *successful* snapshot of each system bounds the data a restore would lose;
when it is older than the contract's ``max_data_loss_hours`` an alert fires (and it
resolves when a fresh snapshot succeeds). Failed attempts are counted for the details.
Pure: ``now`` is passed in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from sla.alerts import Finding
from sla.model import AlertSeverity, SnapshotEvent, UtcDatetime

BACKUP_STALE = "backup-stale"


class SystemBackups(BaseModel):
    """What is known about one system's snapshots."""

    model_config = ConfigDict(extra="forbid")

    newest_ok: UtcDatetime | None = None
    first_seen: UtcDatetime
    failures_since_ok: int = 0


class BackupState(BaseModel):
    """Every system's snapshot history, reduced to what freshness needs."""

    model_config = ConfigDict(extra="forbid")

    systems: dict[str, SystemBackups] = {}

    def observe(self, event: SnapshotEvent) -> None:
        """Take one snapshot attempt into account (any order)."""
        known = self.systems.get(event.system)
        if known is None:
            known = self.systems[event.system] = SystemBackups(first_seen=event.taken_at)
        known.first_seen = min(known.first_seen, event.taken_at)
        if event.ok:
            if known.newest_ok is None or event.taken_at > known.newest_ok:
                known.newest_ok = event.taken_at
                known.failures_since_ok = 0
        elif known.newest_ok is None or event.taken_at > known.newest_ok:
            known.failures_since_ok += 1


def snapshot_age(state: BackupState, system: str, now: datetime) -> timedelta | None:
    """Age of the newest successful snapshot of ``system`` (None: never succeeded)."""
    known = state.systems.get(system)
    if known is None or known.newest_ok is None:
        return None
    return now - known.newest_ok


def stale_backups(state: BackupState, now: datetime, max_age: timedelta) -> list[Finding]:
    """A page for every system whose newest good snapshot is older than ``max_age``."""
    findings = []
    for system, known in sorted(state.systems.items()):
        reference = known.newest_ok or known.first_seen
        age = now - reference
        if age <= max_age:
            continue
        hours = age.total_seconds() / 3600
        what = "newest successful snapshot" if known.newest_ok else "no successful snapshot since"
        findings.append(
            Finding(
                rule=BACKUP_STALE,
                severity=AlertSeverity.PAGE,
                subject=system,
                since=reference + max_age,
                summary=(
                    f"backups of {system}: {what} {reference:%Y-%m-%d %H:%M} UTC is "
                    f"{hours:.1f} h old (contract bound {max_age.total_seconds() / 3600:g} h)"
                ),
                details={
                    "system": system,
                    "newest_ok": known.newest_ok.isoformat() if known.newest_ok else None,
                    "age_hours": round(hours, 2),
                    "failures_since_ok": known.failures_since_ok,
                },
            )
        )
    return findings
