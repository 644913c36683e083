"""Alert life cycle: fire once, hold-down before resolve, no flapping, deterministic ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sla.alerts import (
    REGION_IMPAIRED,
    SITE_DOWN,
    AlertBook,
    RegionHealth,
    region_impaired,
    site_down,
)
from sla.model import AlertSeverity, AlertState

T0 = datetime(2026, 4, 20, 12, 0, tzinfo=UTC)
HOLD = timedelta(minutes=5)


def step(book: AlertBook, down: bool, at: datetime, start: datetime = T0):
    findings = [site_down("shop", "acme", start, ["eu", "us"])] if down else []
    return book.reconcile(findings, rules={SITE_DOWN}, now=at, hold_down=HOLD)


def test_down_fires_once_and_resolves_after_the_hold_down() -> None:
    book = AlertBook()
    fired = step(book, True, T0)
    assert [(a.state, a.severity, a.version) for a in fired] == [
        (AlertState.FIRING, AlertSeverity.PAGE, 1)
    ]
    assert fired[0].id == f"site-down|shop|{T0.isoformat()}"
    assert fired[0].client == "acme" and "eu, us" in fired[0].summary
    assert step(book, True, T0 + timedelta(minutes=1)) == []
    assert step(book, False, T0 + timedelta(minutes=2)) == []  # recovered, within hold-down
    assert step(book, False, T0 + timedelta(minutes=5)) == []
    resolved = step(book, False, T0 + timedelta(minutes=6))
    assert [(a.id, a.state, a.version) for a in resolved] == [(fired[0].id, AlertState.RESOLVED, 2)]
    assert resolved[0].ends_at == T0 + timedelta(minutes=1)
    assert book.open == {}


def test_flapping_within_the_hold_down_keeps_one_alert() -> None:
    book = AlertBook()
    alerts = []
    for minute in range(12):
        down = minute % 2 == 0  # down, up, down, up ... every minute
        start = T0 + timedelta(minutes=minute)
        alerts += step(book, down, start, start=start)
    assert [a.state for a in alerts] == [AlertState.FIRING]
    alerts += step(book, False, T0 + timedelta(minutes=30))
    assert [a.state for a in alerts] == [AlertState.FIRING, AlertState.RESOLVED]
    assert alerts[0].id == alerts[1].id


def test_other_rules_evaluations_do_not_resolve_an_alert() -> None:
    book = AlertBook()
    step(book, True, T0)
    later = T0 + timedelta(hours=1)
    assert book.reconcile([], rules={REGION_IMPAIRED}, now=later, hold_down=HOLD) == []
    assert len(book.open) == 1


def test_state_survives_a_json_round_trip() -> None:
    book = AlertBook()
    step(book, True, T0)
    restored = AlertBook.model_validate_json(book.model_dump_json())
    assert step(restored, True, T0 + timedelta(minutes=1)) == []
    assert step(restored, False, T0 + timedelta(minutes=10))[0].state is AlertState.RESOLVED


def test_one_shot_alerts_fire_once() -> None:
    book = AlertBook()
    finding = site_down("shop", None, T0, [])
    assert book.once(finding, T0) is not None
    assert book.once(finding, T0 + timedelta(minutes=1)) is None
    book.prune(T0 + timedelta(days=40), keep=timedelta(days=35))
    assert book.sent == {}


def test_region_impaired_after_consecutive_reference_failures() -> None:
    health = RegionHealth()
    for n in range(2):
        health.observe(False, T0 + timedelta(seconds=30 * n))
    assert region_impaired("eu", health, threshold=3) is None
    health.observe(False, T0 + timedelta(seconds=60))
    finding = region_impaired("eu", health, threshold=3)
    assert finding is not None and finding.since == T0 and finding.region == "eu"
    health.observe(True, T0 - timedelta(seconds=1))  # late, out of order: ignored
    assert health.failures == 3
    health.observe(True, T0 + timedelta(seconds=90))
    assert region_impaired("eu", health, threshold=3) is None
