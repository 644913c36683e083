"""The worker's counters: the snapshot and the Prometheus registry agree."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import generate_latest

from probes.stats import ProbeStats
from sla.model import CheckResult, Outcome

SLOT = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)


def result(outcome: Outcome, error_kind: str | None = None) -> CheckResult:
    return CheckResult(
        site="s",
        client="c",
        region="r",
        worker="w",
        scheduled_at=SLOT,
        started_at=SLOT,
        outcome=outcome,
        error_kind=error_kind,
    )


def test_counters_and_percentiles() -> None:
    stats = ProbeStats()
    for i in range(98):
        stats.checked(result(Outcome.UP), lateness_s=0.001 * (i + 1))
    stats.checked(result(Outcome.DOWN, "timeout"), lateness_s=0.5)
    stats.checked(result(Outcome.DOWN, "timeout"), lateness_s=0.9)
    stats.skipped(3)
    stats.was_published(100)
    value = stats.registry.get_sample_value
    assert value("slawatch_probe_checks_total", {"outcome": "up"}) == 98
    assert value("slawatch_probe_checks_total", {"outcome": "down"}) == 2
    assert value("slawatch_probe_errors_total", {"kind": "timeout"}) == 2
    assert value("slawatch_probe_skipped_slots_total") == 3
    assert value("slawatch_probe_results_published_total") == 100
    assert value("slawatch_probe_lateness_seconds_count") == 100
    assert value("slawatch_probe_lateness_seconds_bucket", {"le": "0.1"}) == 98
    snapshot = stats.snapshot()
    assert snapshot["checks"] == 100 and snapshot["errors"] == {"timeout": 2}
    assert snapshot["lateness_p50_ms"] == 51.0 and snapshot["lateness_p99_ms"] == 500.0
    assert b"slawatch_probe_results_shed_total 0.0" in generate_latest(stats.registry)


def test_each_stats_object_has_its_own_registry() -> None:
    first, second = ProbeStats(), ProbeStats()
    first.checked(result(Outcome.UP), 0.0)
    assert (
        second.registry.get_sample_value("slawatch_probe_checks_total", {"outcome": "up"}) is None
    )
