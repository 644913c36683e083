"""Prometheus metrics of the stream worker (``slawatch stream --metrics-port``)."""

from __future__ import annotations

import json

from prometheus_client import Counter, Histogram

RESULTS = Counter("slawatch_stream_results", "Probe results taken from probe-results")
BATCHES = Counter("slawatch_stream_batches", "Batches of results processed")
BATCH_SIZE = Histogram(
    "slawatch_stream_batch_size",
    "Results per batch",
    buckets=(1, 10, 50, 100, 500, 1000, 2500, 5000, 10000),
)
PROCESSING_SECONDS = Histogram(
    "slawatch_stream_processing_seconds",
    "Time to process one batch (decode, confirm, write state, hand outputs to the producer)",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
LATE_RESULTS = Counter(
    "slawatch_stream_late_results", "Results too late for their window (sent to late-results)"
)
DEAD_LETTERS = Counter(
    "slawatch_stream_dead_letters", "Undecodable messages sent to the dead-letter topic"
)
OUTAGES = Counter(
    "slawatch_stream_outages", "Outage events published, by state (open, closed)", ["state"]
)
MESSAGES_PRODUCED = Counter(
    "slawatch_stream_messages_produced", "Messages handed to the producer, per topic", ["topic"]
)


def count_outages(values: list[bytes]) -> None:
    """Count outage events by their state (outage events are few: decoding them is cheap)."""
    for value in values:
        try:
            state = str(json.loads(value).get("state", "unknown"))
        except (ValueError, AttributeError):
            state = "unknown"
        OUTAGES.labels(state).inc()
