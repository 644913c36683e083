"""A store with a little of everything, January 2026: what dashboards and the cookbook read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sinks.batching import Record
from sinks.clickhouse import ClickHouseSink
from sinks.rows import Received, table_specs
from sla.contract import Contract
from sla.model import (
    ExclusionEvent,
    LedgerRow,
    MaintenanceEvent,
    Outage,
    OutageState,
    Outcome,
    SiteState,
    SiteStatus,
)
from sla.segmentation import ClosedOutage, reconcile, segment
from tests.sinks.fixtures import T0, check_result, results

SPECS = {spec.topic: spec for spec in table_specs(Contract())}
RANGE = (datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 1, 31, tzinfo=UTC))


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


MAINTENANCE = [
    MaintenanceEvent(
        id="m-upgrade",
        sites="*",
        announced_at=_utc("2025-12-15T09:00:00Z"),
        start=_utc("2026-01-10T12:20:00Z"),
        end=_utc("2026-01-10T13:00:00Z"),
        title="database upgrade",
    ),
    MaintenanceEvent(
        id="m-patch-1",
        sites=["site-001"],
        regular=True,
        announced_at=_utc("2025-12-15T09:00:00Z"),
        start=_utc("2026-01-13T02:00:00Z"),
        end=_utc("2026-01-13T03:00:00Z"),
    ),
    MaintenanceEvent(
        id="m-patch-2",
        sites=["site-001"],
        regular=True,
        announced_at=_utc("2025-12-15T09:00:00Z"),
        start=_utc("2026-01-15T02:00:00Z"),
        end=_utc("2026-01-15T03:00:00Z"),
    ),
    MaintenanceEvent(
        id="m-hotfix",
        sites=["site-002"],
        announced_at=_utc("2026-01-19T08:00:00Z"),
        start=_utc("2026-01-20T15:00:00Z"),
        end=_utc("2026-01-20T15:30:00Z"),
        impact="checkout down",
    ),
]
EXCLUSIONS = [
    ExclusionEvent(
        id="x-isp",
        site="site-002",
        reason="client_isp",
        start=_utc("2026-01-10T12:05:00Z"),
        end=_utc("2026-01-10T12:08:00Z"),
    ),
]
OUTAGES = [  # (site, start, end)
    ("site-000", _utc("2026-01-10T12:00:00Z"), _utc("2026-01-10T12:40:00Z")),
    ("site-002", _utc("2026-01-10T12:04:00Z"), _utc("2026-01-10T12:10:00Z")),
    ("site-000", _utc("2026-01-22T08:00:00Z"), _utc("2026-01-22T08:30:00Z")),
]


def _records(topic: str, messages: list[Any], first: int) -> list[Record]:
    spec = SPECS[topic]
    return [
        Record(
            topic,
            0,
            first + i,
            spec.table,
            spec.decode(m.model_dump_json().encode(), Received(topic, 1000 + first + i)),
        )
        for i, m in enumerate(messages)
    ]


def probe_data() -> list[Any]:
    data = results(sites=3, slots=40)  # site-000..002 × eu, us every 30 s from T0
    data.append(
        check_result(
            site="site-001",
            region="eu",
            at=T0 + timedelta(seconds=15),
            outcome=Outcome.DEGRADED,
            total_ms=2500.0,
            error_kind="slow",
        )
    )
    data.append(
        check_result(
            site="site-002",
            region="us",
            at=T0 + timedelta(seconds=20),
            outcome=Outcome.DOWN,
            total_ms=None,
            error_kind="connect",
        ).model_copy(update={"reference_ok": False})
    )
    return data


def populate(store: Any) -> None:
    """Write probe results, outages, segments, ledger, status, maintenance and exclusions."""
    outages, segments = [], []
    for site, start, end in OUTAGES:
        oid = f"{site}|{start.isoformat()}"
        outages.append(
            Outage(
                id=oid,
                site=site,
                state=OutageState.CLOSED,
                start=start,
                end=end,
                regions_down=["eu", "us"],
                version=2,
            )
        )
        _, emitted = reconcile(
            ClosedOutage(oid, site, start, end),
            {},
            segment(ClosedOutage(oid, site, start, end), MAINTENANCE, EXCLUSIONS),
        )
        segments += emitted
    statuses = [
        SiteStatus(
            site="site-000", state=SiteState.DOWN, since=_utc("2026-01-30T10:00:00Z"), version=3
        ),
        SiteStatus(site="site-001", state=SiteState.UP, since=T0, version=1),
        SiteStatus(site="site-002", state=SiteState.DEGRADED, since=T0, version=1),
    ]
    ledger = [
        LedgerRow(
            site="site-000",
            month="2026-01",
            total_minutes=44640,
            maintenance_minutes=40,
            downtime_minutes=50,
            excluded_minutes=0,
            availability_pct=99.8879,
            target_pct=99.9,
            met=True,
            budget_left_minutes=21.6,
            version=4,
            computed_at=_utc("2026-01-22T08:04:00Z"),
        ),
    ]
    records: list[Record] = []
    for topic, messages in (
        ("probe-results", probe_data()),
        ("outages", outages),
        ("segments", segments),
        ("site-status", statuses),
        ("ledger", ledger),
        ("maintenance", MAINTENANCE),
        ("exclusions", EXCLUSIONS),
    ):
        records += _records(topic, messages, len(records))
    sink = ClickHouseSink(store, max_rows=10_000, max_seconds=1)
    sink.extend(records, now=0)
    sink.flush()
