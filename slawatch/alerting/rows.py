"""Rows of the ``support_events`` and ``snapshots`` tables (migration 0050_support.sql).

Decoders with the sink's signature (:data:`sinks.rows.Decoder`): the sink registers them
as ``TableSpec(topics.SUPPORT, "support_events", support_row)`` and
``TableSpec(topics.SNAPSHOTS, "snapshots", snapshot_row)``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from sinks.rows import MalformedMessage, Received, Row
from sla.model import SnapshotEvent, SupportEvent


def _parse(model: type[BaseModel], value: bytes | None) -> Any:
    if value is None:
        raise MalformedMessage("empty message (tombstone): nothing to store")
    try:
        return model.model_validate_json(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "message"
        raise MalformedMessage(f"{model.__name__}: {where}: {first['msg']}") from exc


def support_row(value: bytes | None, received: Received) -> Row:
    """A support event as a support_events row (the record timestamp is the version)."""
    event: SupportEvent = _parse(SupportEvent, value)
    row = event.model_dump(exclude={"type"})
    row["version"] = received.timestamp_ms
    return row


def snapshot_row(value: bytes | None, received: Received) -> Row:
    """A snapshot attempt as a snapshots row."""
    event: SnapshotEvent = _parse(SnapshotEvent, value)
    row = event.model_dump(exclude={"type"})
    row["version"] = received.timestamp_ms
    return row
