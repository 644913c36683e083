"""Migration 0050: support and snapshot rows in the real ClickHouse engine, and their views."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sinks.rows import MalformedMessage, Received
from sla.model import SnapshotEvent, SupportEvent
from slawatch.alerting.rows import snapshot_row, support_row

T0 = datetime(2026, 4, 21, 14, 0, tzinfo=UTC)


def insert(client, table: str, rows: list[dict]) -> None:
    columns = list(rows[0])
    client.insert(table, [[row[c] for c in columns] for row in rows], column_names=columns)


def test_support_and_snapshot_views(migrated_clickhouse) -> None:
    got = Received(topic="support", timestamp_ms=1)
    events = [
        SupportEvent(request_id="R1", step="received", at=T0, priority="high", client="acme"),
        SupportEvent(request_id="R1", step="acknowledged", at=T0 + timedelta(minutes=90)),
        SupportEvent(request_id="R2", step="received", at=T0, priority="low"),
    ]
    rows = [support_row(e.model_dump_json().encode(), got) for e in events]
    insert(migrated_clickhouse, "support_events", rows)
    insert(migrated_clickhouse, "support_events", rows[:1])  # redelivered: replaced
    result = migrated_clickhouse.query(
        "SELECT request_id, priority, client, response_wall_hours, resolved_at "
        "FROM support_requests ORDER BY request_id"
    ).result_rows
    assert result == [("R1", "high", "acme", 1.5, None), ("R2", "low", "", None, None)]

    snaps = [
        SnapshotEvent(id="s1", taken_at=T0 - timedelta(hours=30), ok=True),
        SnapshotEvent(id="s2", taken_at=T0 - timedelta(hours=2), ok=False),
    ]
    got = Received(topic="snapshots", timestamp_ms=1)
    insert(
        migrated_clickhouse,
        "snapshots",
        [snapshot_row(s.model_dump_json().encode(), got) for s in snaps],
    )
    ((system, newest, failures),) = migrated_clickhouse.query(
        "SELECT system, newest_ok, failures_since_ok FROM snapshot_age"
    ).result_rows
    assert (system, newest.replace(tzinfo=UTC), failures) == (
        "primary",
        T0 - timedelta(hours=30),
        1,
    )


def test_bad_rows_are_refused_with_the_field() -> None:
    with pytest.raises(MalformedMessage, match="SupportEvent: step: Input should be"):
        support_row(
            b'{"request_id": "R", "step": "closed", "at": "2026-04-01T00:00:00Z"}',
            Received(topic="support", timestamp_ms=1),
        )
