"""Maintenance announcement rules, backup freshness and the month's projection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sla.alerts import (
    MAINTENANCE_BUSINESS_HOURS,
    MAINTENANCE_EMERGENCY,
    MAINTENANCE_TOO_FREQUENT,
    MONTH_PROJECTION,
    AlertBook,
    maintenance_findings,
    month_projection,
)
from sla.backup import BACKUP_STALE, BackupState, snapshot_age, stale_backups
from sla.calendar import BusinessCalendar, month_interval
from sla.contract import Contract
from sla.model import AlertState, LedgerRow, MaintenanceEvent, SnapshotEvent

CALENDAR = BusinessCalendar.from_contract(Contract())


def window(
    ident: str, start: datetime, hours: float, announced: datetime, **kw
) -> MaintenanceEvent:
    return MaintenanceEvent(
        id=ident,
        sites=kw.pop("sites", ["shop"]),
        start=start,
        end=start + timedelta(hours=hours),
        announced_at=announced,
        **kw,
    )


def rules_of(event: MaintenanceEvent, others=()) -> set[str]:
    return {f.rule for f in maintenance_findings(event, others, CALENDAR, 5)}


# Saturday 25 April 2026, 10:00 UTC (05:00 EST): outside business hours.
SATURDAY_NIGHT = datetime(2026, 4, 25, 10, tzinfo=UTC)


def test_a_well_announced_night_window_is_fine() -> None:
    event = window("m1", SATURDAY_NIGHT, 2, announced=datetime(2026, 4, 16, 12, tzinfo=UTC))
    assert rules_of(event) == set()


def test_short_notice_is_an_emergency() -> None:
    # Announced Monday 20 April: Tue..Fri = 4 business days before Saturday, 5 required.
    event = window("m1", SATURDAY_NIGHT, 2, announced=datetime(2026, 4, 20, 12, tzinfo=UTC))
    findings = maintenance_findings(event, [], CALENDAR, 5)
    assert [f.rule for f in findings] == [MAINTENANCE_EMERGENCY]
    assert findings[0].details["notice_business_days"] == 4


def test_a_holiday_does_not_count_as_notice() -> None:
    # Announced Thu 30 April for Fri 8 May: 1 May is Labour Day, so 4 business days between.
    event = window(
        "m1",
        datetime(2026, 5, 9, 2, tzinfo=UTC),
        1,
        announced=datetime(2026, 4, 30, 12, tzinfo=UTC),
    )
    assert rules_of(event) == {MAINTENANCE_EMERGENCY}


def test_a_window_in_business_hours_is_flagged() -> None:
    # Wednesday 22 April 15:00-16:00 UTC is 10:00-11:00 EST.
    event = window(
        "m1",
        datetime(2026, 4, 22, 15, tzinfo=UTC),
        1,
        announced=datetime(2026, 4, 1, tzinfo=UTC),
    )
    assert rules_of(event) == {MAINTENANCE_BUSINESS_HOURS}


def test_two_regular_windows_in_one_week() -> None:
    announced = datetime(2026, 4, 1, tzinfo=UTC)
    first = window("m1", datetime(2026, 4, 21, 2, tzinfo=UTC), 1, announced, regular=True)
    second = window("m2", SATURDAY_NIGHT, 1, announced, regular=True)
    next_week = window("m3", SATURDAY_NIGHT + timedelta(days=7), 1, announced, regular=True)
    cancelled = window("m4", SATURDAY_NIGHT, 1, announced, regular=True, cancelled=True)
    assert rules_of(second, [first]) == {MAINTENANCE_TOO_FREQUENT}
    assert rules_of(first, [second]) == set()  # the earlier window is the allowed one
    assert rules_of(next_week, [first, second]) == set()
    assert rules_of(second, [cancelled]) == set()
    assert rules_of(cancelled, [first]) == set()


NOW = datetime(2026, 4, 20, 12, tzinfo=UTC)


def snapshot(ident: str, hours_ago: float, ok: bool = True) -> SnapshotEvent:
    return SnapshotEvent(id=ident, taken_at=NOW - timedelta(hours=hours_ago), ok=ok)


def test_backup_freshness_alerts_after_24_hours_and_resolves_on_a_fresh_snapshot() -> None:
    state, book, day = BackupState(), AlertBook(), timedelta(hours=24)
    state.observe(snapshot("s1", 23))
    assert snapshot_age(state, "primary", NOW) == timedelta(hours=23)
    assert stale_backups(state, NOW, day) == []
    state.observe(snapshot("s2", 1, ok=False))  # a failure does not refresh anything
    later = NOW + timedelta(hours=2)
    stale = stale_backups(state, later, day)
    assert [f.rule for f in stale] == [BACKUP_STALE]
    assert stale[0].details["failures_since_ok"] == 1
    fired = book.reconcile(stale, rules={BACKUP_STALE}, now=later, hold_down=timedelta(0))
    state.observe(snapshot("s3", -1.5))
    fresh = stale_backups(state, later, day)
    resolved = book.reconcile(fresh, rules={BACKUP_STALE}, now=later, hold_down=timedelta(0))
    assert [a.state for a in fired + resolved] == [AlertState.FIRING, AlertState.RESOLVED]


def test_a_system_that_never_succeeded_alerts_24_hours_after_its_first_attempt() -> None:
    state = BackupState()
    state.observe(snapshot("s1", 25, ok=False))
    assert snapshot_age(state, "primary", NOW) is None
    assert [f.rule for f in stale_backups(state, NOW, timedelta(hours=24))] == [BACKUP_STALE]


def ledger(downtime: float) -> LedgerRow:
    return LedgerRow(
        site="shop",
        month="2026-04",
        total_minutes=43200,
        maintenance_minutes=0,
        downtime_minutes=downtime,
        excluded_minutes=0,
        availability_pct=None,
        target_pct=99.9,
        met=None,
        budget_left_minutes=None,
        version=1,
        computed_at=NOW,
    )


def test_month_projection() -> None:
    span = month_interval("2026-04", "Europe/Brussels")
    kw = {"client": "acme", "month_start": span.start, "month_end": span.end, "now": NOW}
    # 20 min so far, quiet lately: within the 43.2-minute budget.
    assert month_projection(ledger(20), recent_bad_fraction=0.0, **kw) is None
    # 20 min so far and 0.2 % bad lately over the ~10.5 days left: about 50 min.
    finding = month_projection(ledger(20), recent_bad_fraction=0.002, **kw)
    assert finding is not None and finding.rule == MONTH_PROJECTION
    assert finding.details["already_missed"] is False
    assert month_projection(ledger(50), recent_bad_fraction=0.0, **kw) is not None
