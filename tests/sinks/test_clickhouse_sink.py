"""ClickHouseSink against the embedded engine: idempotent writes, rollups counted once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sinks.batching import Batch, Record
from sinks.clickhouse import ClickHouseSink, apply_results_ttl, record_contract_terms
from sinks.rows import Received, table_specs
from sla.contract import Contract
from sla.model import Outage, OutageState, Segment
from tests.sinks.fixtures import T0, results

SPECS = {spec.topic: spec for spec in table_specs(Contract())}


def as_records(topic: str, messages: list[Any], first_offset: int = 0) -> list[Record]:
    spec = SPECS[topic]
    return [
        Record(
            topic,
            0,
            first_offset + i,
            spec.table,
            spec.decode(m.model_dump_json().encode(), Received(topic, 1000 + i)),
        )
        for i, m in enumerate(messages)
    ]


def scalar(store: Any, sql: str) -> Any:
    return store.query(sql).result_rows[0][0]


def test_results_written_twice_are_stored_once_in_table_and_rollups(store: Any) -> None:
    sink = ClickHouseSink(store, max_rows=1000, max_seconds=1)
    data = results(sites=4, slots=6)  # 48 results, 6 down
    records = as_records("probe-results", data)
    sink.extend(records[:30], now=0)
    sink.flush()
    # a crash before the commit: the consumer re-reads from offset 0, with more behind it
    sink.extend(records + records[40:], now=0)
    sink.flush()
    assert scalar(store, "SELECT count() FROM probe_results") == 48  # raw, without FINAL
    assert scalar(store, "SELECT count() FROM probe_results FINAL") == 48
    assert scalar(store, "SELECT countMerge(checks) FROM probe_results_1m") == 48
    assert scalar(store, "SELECT countIfMerge(failures) FROM probe_results_1m") == sum(
        r.outcome == "down" for r in data
    )
    assert scalar(store, "SELECT countMerge(checks) FROM probe_results_1d") == 48


def test_rollup_quantiles_and_columns(store: Any) -> None:
    sink = ClickHouseSink(store, max_rows=1000, max_seconds=1)
    sink.extend(as_records("probe-results", results(sites=1, slots=4, regions=("eu",))), now=0)
    sink.flush()
    # slots 0..3 of site-000: slot 0 down (no total), slots 1..3 total 101, 102, 103 ms
    rows = store.query(
        "SELECT minute, countMerge(checks), countIfMerge(failures), countIfMerge(degraded),"
        " quantilesMerge(0.5, 0.9, 0.95, 0.99)(total_ms_q)[1]"
        " FROM probe_results_1m GROUP BY minute ORDER BY minute"
    ).result_rows
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [(2, 1, 0, 101.0), (2, 0, 0, 102.5)]
    stored = store.query(
        "SELECT dns_ms, error_kind, outcome FROM probe_results WHERE total_ms IS NULL"
    ).result_rows
    assert stored == [(1.0, "timeout", "down")]


def test_versioned_rows_read_deduplicated_latest_wins(store: Any) -> None:
    sink = ClickHouseSink(store, max_rows=1000, max_seconds=1)
    start = T0
    opened = Outage(id="a|1", site="a", state=OutageState.OPENED, start=start, version=1)
    closed = opened.model_copy(
        update={"state": OutageState.CLOSED, "end": start + timedelta(minutes=7), "version": 2}
    )
    seg = Segment(
        id="a|s1",
        site="a",
        outage_id="a|1",
        label="downtime",
        start=start,
        end=start + timedelta(minutes=7),
        version=1,
    )
    gone = seg.model_copy(update={"version": 2, "deleted": True})
    # written twice, out of order: versions decide, not arrival
    for batch in ([closed, opened], [opened, closed]):
        sink.extend(as_records("outages", batch), now=0)
        sink.flush()
    sink.extend(as_records("segments", [seg, gone, seg]), now=0)
    sink.flush()
    assert store.query("SELECT state, version FROM outages FINAL").result_rows == [("closed", 2)]
    assert store.query("SELECT deleted FROM segments FINAL").result_rows == [(1,)]


def test_ttl_and_contract_terms(store: Any) -> None:
    assert apply_results_ttl(store, 400) is False  # the migration's default
    assert apply_results_ttl(store, 30) is True
    assert apply_results_ttl(store, 30) is False
    engine = scalar(
        store,
        "SELECT engine_full FROM system.tables WHERE database = "
        "currentDatabase() AND name = 'probe_results'",
    )
    assert "toIntervalDay(30)" in engine
    sink = ClickHouseSink(store, max_rows=10, max_seconds=1)
    sink.extend(as_records("probe-results", results(sites=1, slots=1, regions=("eu",))), now=0)
    sink.flush()
    assert scalar(store, "SELECT target_pct FROM sla_monthly") == 99.9  # no terms yet
    record_contract_terms(store, Decimal("99.5"), "Europe/Brussels", datetime.now(UTC))
    assert scalar(store, "SELECT target_pct FROM sla_monthly") == 99.5


def test_empty_batch_writes_nothing(store: Any) -> None:
    sink = ClickHouseSink(store, max_rows=10, max_seconds=1)
    assert sink.flush().records == []
    sink.write(Batch([Record("outages", 0, 0, None, error="bad")]))
    assert sink.rows_written == 0


def test_support_and_snapshot_messages_reach_their_tables(store: Any) -> None:
    from sla.model import SnapshotEvent, SupportEvent

    at = datetime(2026, 1, 12, 9, 30, tzinfo=UTC)
    support = SupportEvent(
        request_id="r1",
        step="received",
        at=at,
        priority="high",
        client="acme",
        impact="checkout down",
    )
    snapshot = SnapshotEvent(id="s1", taken_at=at, ok=True, size_bytes=1024)
    sink = ClickHouseSink(store, max_rows=10, max_seconds=1)
    sink.extend(as_records("support", [support]) + as_records("snapshots", [snapshot], 5), now=0)
    sink.flush()
    assert store.query(
        "SELECT request_id, step, priority FROM support_events FINAL"
    ).result_rows == [("r1", "received", "high")]
    assert store.query("SELECT id, ok, size_bytes FROM snapshots FINAL").result_rows == [
        ("s1", True, 1024)
    ]
