"""Counters of one probe worker, as Prometheus metrics and as a plain snapshot.

Metric names (all prefixed ``slawatch_probe_``): ``checks_total{outcome}``,
``errors_total{kind}``, ``results_published_total``, ``results_shed_total``,
``publish_retries_total``, ``skipped_slots_total``, ``lateness_seconds`` (histogram),
``buffered_results``, ``assigned_sites``, ``reference_ok``.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections import deque
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from sla.model import CheckResult

_LATENESS_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class ProbeStats:
    """What a worker did; ``slawatch run``, ``slawatch status`` and ``/metrics`` read it."""

    def __init__(self, registry: CollectorRegistry | None = None, samples: int = 100_000) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.outcomes: Tally[str] = Tally()
        self.errors: Tally[str] = Tally()
        self.published = 0
        self.shed = 0
        self.publish_retries = 0
        self.skipped_slots = 0
        self.lateness_s: deque[float] = deque(maxlen=samples)  # recent, for percentiles
        self._children: dict[tuple[int, str], Any] = {}
        self._declare_metrics()

    def _declare_metrics(self) -> None:
        r, p = self.registry, "slawatch_probe_"
        self._checks = Counter(p + "checks", "Checks completed", ["outcome"], registry=r)
        self._errors = Counter(p + "errors", "Failed checks by error kind", ["kind"], registry=r)
        self._published = Counter(
            p + "results_published", "Results acknowledged by Kafka", registry=r
        )
        self._shed = Counter(p + "results_shed", "Results dropped (only at shutdown)", registry=r)
        self._retries = Counter(p + "publish_retries", "Results sent again", registry=r)
        self._skipped = Counter(
            p + "skipped_slots", "Schedule slots skipped (overrun/backpressure)", registry=r
        )
        self._lateness = Histogram(
            p + "lateness_seconds",
            "Check start minus its scheduled slot",
            buckets=_LATENESS_BUCKETS,
            registry=r,
        )
        self.buffered = Gauge(p + "buffered_results", "Results waiting for Kafka", registry=r)
        self.assigned_sites = Gauge(p + "assigned_sites", "Sites this worker checks", registry=r)
        self.reference_ok = Gauge(
            p + "reference_ok", "1 when the region's reference targets answer", registry=r
        )

    def checked(self, result: CheckResult, lateness_s: float) -> None:
        """Count one completed check."""
        outcome = result.outcome.value
        self.outcomes[outcome] += 1
        self._child(self._checks, outcome).inc()
        if result.error_kind:
            self.errors[result.error_kind] += 1
            self._child(self._errors, result.error_kind).inc()
        self.lateness_s.append(lateness_s)
        self._lateness.observe(max(lateness_s, 0.0))

    def _child(self, metric: Counter, label: str) -> Any:
        """The labelled child, cached: ``labels()`` costs a lock and a lookup per check."""
        key = (id(metric), label)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(label)
        return child

    def skipped(self, slots: int) -> None:
        """Slots a site missed because its previous check (or the buffer) held it up."""
        self.skipped_slots += slots
        self._skipped.inc(slots)

    def was_published(self, count: int = 1) -> None:
        """Results Kafka acknowledged."""
        self.published += count
        self._published.inc(count)

    def was_shed(self, count: int) -> None:
        """Results given up on (shutdown with Kafka away)."""
        self.shed += count
        self._shed.inc(count)

    def retried(self) -> None:
        """A result whose delivery failed and that is sent again."""
        self.publish_retries += 1
        self._retries.inc()

    @property
    def checks(self) -> int:
        """Checks completed so far."""
        return sum(self.outcomes.values())

    def lateness_percentile(self, pct: float) -> float | None:
        """The ``pct`` percentile (0-100) of recent lateness, in seconds."""
        if not self.lateness_s:
            return None
        ordered = sorted(self.lateness_s)
        index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
        return ordered[index]

    def snapshot(self) -> dict[str, Any]:
        """Plain figures (for logs, tests and ``slawatch run``)."""
        p50, p99 = self.lateness_percentile(50), self.lateness_percentile(99)
        return {
            "checks": self.checks,
            "outcomes": dict(self.outcomes),
            "errors": dict(self.errors),
            "published": self.published,
            "shed": self.shed,
            "publish_retries": self.publish_retries,
            "skipped_slots": self.skipped_slots,
            "lateness_p50_ms": None if p50 is None else round(p50 * 1000, 2),
            "lateness_p99_ms": None if p99 is None else round(p99 * 1000, 2),
        }
