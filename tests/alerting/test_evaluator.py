"""The engine's evaluation on plain messages and a hand-moved clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sla.contract import Contract
from sla.model import AlertState, MaintenanceEvent, Outage, OutageState, SnapshotEvent
from slawatch.alerting.evaluator import AlertEvaluator, EngineState
from slawatch.alerting.settings import AlertingSettings

T0 = datetime(2026, 4, 20, 12, 0, tzinfo=UTC)  # a Monday


def evaluator() -> AlertEvaluator:
    return AlertEvaluator(Contract(), AlertingSettings(hold_down_seconds=300), {"shop": "acme"})


def outage(state: OutageState, end: datetime | None = None, version: int = 1) -> bytes:
    return (
        Outage(
            id="shop|o1",
            site="shop",
            state=state,
            start=T0,
            end=end,
            regions_down=["eu"],
            version=version,
        )
        .model_dump_json()
        .encode()
    )


def names(alerts) -> list[tuple[str, str]]:
    return [(a.rule, a.state.value) for a in alerts]


def test_an_outage_pages_escalates_and_resolves_after_the_hold_down() -> None:
    # Ticks every 15 s for an hour; the outage opens at T0 and closes at 4:00.
    engine = evaluator()
    engine.apply("outage", outage(OutageState.OPENED), T0)
    seen = []
    for step in range(0, 4 * 60, 1):
        at = T0 + timedelta(seconds=15 * step)
        if at == T0 + timedelta(minutes=4):
            engine.apply("outage", outage(OutageState.CLOSED, at, 2), at)
        seen += [
            (f"{(at - T0).seconds // 60}:{(at - T0).seconds % 60:02d}", *n)
            for n in names(engine.tick(at))
        ]
    assert seen == [
        ("0:00", "site-down", "firing"),
        ("1:00", "burn-rate-fast", "firing"),  # 52 s = 2 % of the 43.2-minute budget
        ("2:15", "burn-rate-medium", "firing"),  # 130 s = 5 % over 6 h
        ("8:45", "site-down", "resolved"),  # last seen down at 3:45, 5 min hold-down
        ("13:45", "burn-rate-fast", "resolved"),  # 5-minute window clear after 9:00
        ("38:45", "burn-rate-medium", "resolved"),  # 30-minute window clear after 34:00
    ]


def test_state_survives_a_snapshot_round_trip() -> None:
    engine = evaluator()
    engine.apply("outage", outage(OutageState.OPENED), T0)
    engine.tick(T0 + timedelta(minutes=2))
    restored = AlertEvaluator(
        Contract(),
        AlertingSettings(),
        {"shop": "acme"},
        EngineState.model_validate_json(engine.state.model_dump_json()),
    )
    assert restored.tick(T0 + timedelta(minutes=2, seconds=5)) == []


def test_no_site_down_page_inside_an_announced_maintenance() -> None:
    engine = evaluator()
    window = MaintenanceEvent(
        id="m1",
        sites=["shop"],
        start=T0 - timedelta(minutes=30),
        end=T0 + timedelta(hours=1),
        announced_at=T0 - timedelta(days=14),
    )
    engine.apply("maintenance", window.model_dump_json().encode(), T0)
    first = engine.tick(T0)
    assert first == []  # 06:30-08:00 EST, announced two weeks before: compliant
    engine.apply("outage", outage(OutageState.OPENED), T0)
    assert engine.tick(T0 + timedelta(minutes=5)) == []


def test_stale_backups_page() -> None:
    engine = evaluator()
    snap = SnapshotEvent(id="s1", taken_at=T0, ok=True)
    engine.apply("snapshot", snap.model_dump_json().encode(), T0)
    assert engine.tick(T0 + timedelta(hours=23)) == []
    alerts = engine.tick(T0 + timedelta(hours=25))
    assert names(alerts) == [("backup-stale", "firing")]
    assert alerts[0].state is AlertState.FIRING
