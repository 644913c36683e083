"""Prometheus metrics of the alert engine (``slawatch alerts --metrics-port``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

INPUTS = Counter(
    "slawatch_alerts_inputs", "Input records applied to the evaluator, per input kind", ["input"]
)
INPUTS_REJECTED = Counter(
    "slawatch_alerts_inputs_rejected",
    "Input records refused (undecodable or empty) and sent to the dead-letter topic",
    ["input"],
)
PUBLISHED = Counter(
    "slawatch_alerts_published",
    "Alerts published to the alerts topic, by rule, severity and state",
    ["rule", "severity", "state"],
)
SNAPSHOTS = Counter("slawatch_alerts_snapshots", "State snapshots written to alert-engine-state")
EVALUATION_SECONDS = Histogram(
    "slawatch_alerts_evaluation_seconds",
    "Time to evaluate every rule once (one tick)",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
SNAPSHOT_FAILURES = Counter(
    "slawatch_alerts_snapshot_failures",
    "State snapshots that could not be written (logged; retried; the previous one stays valid)",
)
SNAPSHOT_BYTES = Gauge(
    "slawatch_alerts_snapshot_bytes", "Compressed size of the latest state snapshot"
)
