"""Prometheus metrics of the sink (served on ``/metrics`` with ``slawatch sink --metrics-port``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ROWS_WRITTEN = Counter(
    "slawatch_sink_rows_written", "Rows inserted into ClickHouse, per table", ["table"]
)
DUPLICATES_SKIPPED = Counter(
    "slawatch_sink_duplicate_results_skipped",
    "Probe results already stored (a replay after a crash) or repeated within a batch",
)
BATCHES = Counter("slawatch_sink_batches", "Batches stored and committed")
FLUSH_FAILURES = Counter(
    "slawatch_sink_flush_failures", "Failed writes (the store away); the batch is retried"
)
DEAD_LETTERS = Counter(
    "slawatch_sink_dead_letters", "Malformed messages sent to the dead-letter topic", ["topic"]
)
BUFFERED = Gauge("slawatch_sink_buffered_records", "Records waiting in the current batch")
PAUSED = Gauge("slawatch_sink_paused", "1 while consumption is paused for a failing store")
FLUSH_SECONDS = Histogram(
    "slawatch_sink_flush_seconds",
    "Time to store a batch (dead letters, ClickHouse insert)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
