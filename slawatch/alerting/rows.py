"""Rows of the ``support_events`` and ``snapshots`` tables (migration 0050_support.sql).

Decoders with the sink's signature (:data:`sinks.rows.Decoder`): the sink registers them
as ``TableSpec(topics.SUPPORT, "support_events", support_row)`` and
``TableSpec(topics.SNAPSHOTS, "snapshots", snapshot_row)``.
"""

from __future__ import annotations

from sinks.rows import Received, Row, parse_message
from sla.model import SnapshotEvent, SupportEvent


def support_row(value: bytes | None, received: Received) -> Row:
    """A support event as a support_events row (the record timestamp is the version)."""
    event: SupportEvent = parse_message(SupportEvent, value)
    row = event.model_dump(exclude={"type"})
    row["version"] = received.timestamp_ms
    return row


def snapshot_row(value: bytes | None, received: Received) -> Row:
    """A snapshot attempt as a snapshots row."""
    event: SnapshotEvent = parse_message(SnapshotEvent, value)
    row = event.model_dump(exclude={"type"})
    row["version"] = received.timestamp_ms
    return row
