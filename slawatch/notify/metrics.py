"""Prometheus metrics of the notifier (``slawatch notify --metrics-port``)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

DELIVERED = Counter(
    "slawatch_notify_delivered", "Notices delivered, per channel and kind", ["channel", "kind"]
)
RETRIED = Counter(
    "slawatch_notify_retried", "Failed sends that were tried again, per channel", ["channel"]
)
DEAD_LETTERED = Counter(
    "slawatch_notify_dead_lettered",
    "Notices given up on after notify.max_attempts, per channel",
    ["channel"],
)
BAD_RECORDS = Counter(
    "slawatch_notify_bad_records",
    "Input records that did not decode (sent to notify-dead-letter), per kind",
    ["kind"],
)
SEND_SECONDS = Histogram(
    "slawatch_notify_send_seconds",
    "Time of one send attempt, per channel",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
