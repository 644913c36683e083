"""The ClickHouse backend of the sink: ``write(batch)`` through clickhouse-connect.

Idempotence, table by table:

* outages, segments, ledger, site_status, maintenance, exclusions, alerts are
  ReplacingMergeTree(version) on their deterministic key: writing a row twice is harmless
  once readers use FINAL (every query in this repository does).
* probe_results is a ReplacingMergeTree whose sorting key is the result's id (site,
  region, scheduled_at), and its materialized views count every inserted row. So the
  sink inserts only the results the table does not hold yet: it looks their keys up
  first (a primary-key range read) and drops duplicates within the batch. With one
  writer per partition (Kafka's consumer group guarantees it; results are keyed by site)
  the raw table and the rollups hold every result exactly once, even after a crash
  between the insert and the offset commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sinks.batching import Batch, BatchingSink
from sinks.metrics import DUPLICATES_SKIPPED, ROWS_WRITTEN
from sla.calendar import BusinessCalendar

ResultKey = tuple[str, str, int]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ms(value: datetime) -> int:
    return (value - _EPOCH) // timedelta(milliseconds=1)


def result_key(row: dict[str, Any]) -> ResultKey:
    """A probe result's id as (site, region, scheduled_at in ms)."""
    return (row["site"], row["region"], _ms(row["scheduled_at"]))


def unique_results(rows: Iterable[dict[str, Any]]) -> dict[ResultKey, dict[str, Any]]:
    """Results by id, keeping the first of duplicates (a slot's result never changes)."""
    unique: dict[ResultKey, dict[str, Any]] = {}
    for row in rows:
        unique.setdefault(result_key(row), row)
    return unique


class ClickHouseSink(BatchingSink):
    """Writes batches to the tables of deploy/clickhouse/migrations with one client.

    ``client`` is a clickhouse-connect client on the slawatch database. Not thread-safe:
    call ``flush()`` from one thread at a time (the runner holds a lock).
    """

    def __init__(self, client: Any, max_rows: int, max_seconds: float) -> None:
        super().__init__(max_rows, max_seconds)
        self.client = client
        self.rows_written = 0

    def write(self, batch: Batch) -> None:
        """Insert the batch's rows table by table (probe results first, deduplicated)."""
        grouped = batch.rows_by_table()
        if "probe_results" in grouped:
            self._insert("probe_results", self._new_results(grouped.pop("probe_results")))
        for table, rows in grouped.items():  # in the order the batch first met them
            self._insert(table, rows)

    def _new_results(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        unique = unique_results(rows)
        stored = self._stored_result_keys(unique.keys())
        new = [row for key, row in unique.items() if key not in stored]
        DUPLICATES_SKIPPED.inc(len(rows) - len(new))
        return new

    def _stored_result_keys(self, keys: Iterable[ResultKey]) -> set[ResultKey]:
        keys = list(keys)
        if not keys:
            return set()
        query = (
            "SELECT site, region, toUnixTimestamp64Milli(scheduled_at) FROM probe_results"
            " WHERE site IN {sites:Array(String)}"
            " AND scheduled_at >= fromUnixTimestamp64Milli({lo:Int64}, 'UTC')"
            " AND scheduled_at <= fromUnixTimestamp64Milli({hi:Int64}, 'UTC')"
        )
        parameters = {
            "sites": sorted({k[0] for k in keys}),
            "lo": min(k[2] for k in keys),
            "hi": max(k[2] for k in keys),
        }
        rows = self.client.query(query, parameters=parameters).result_rows
        return {(site, region, int(ms)) for site, region, ms in rows}

    def _insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        columns = list(rows[0])
        data = [[row[c] for c in columns] for row in rows]
        self.client.insert(table, data, column_names=columns)
        self.rows_written += len(rows)
        ROWS_WRITTEN.labels(table).inc(len(rows))


def apply_results_ttl(client: Any, days: int) -> bool:
    """Make the raw results' and per-minute rollup's TTL ``days``; returns whether it changed."""
    changed = False
    for table, column in (("probe_results", "scheduled_at"), ("probe_results_1m", "minute")):
        engine = client.query(
            "SELECT engine_full FROM system.tables WHERE database = currentDatabase()"
            " AND name = {table:String}",
            parameters={"table": table},
        ).result_rows
        if not engine:
            raise LookupError(f"table {table} is missing: run the migrations first")
        if f"toIntervalDay({days})" in engine[0][0]:
            continue
        client.command(
            f"ALTER TABLE {table} MODIFY TTL toDateTime({column}) + INTERVAL {int(days)} DAY",
            settings={"materialize_ttl_after_modify": 0},
        )
        changed = True
    return changed


def record_contract_terms(client: Any, target_pct: Decimal, timezone: str, now: datetime) -> None:
    """Store the contract's target for the SQL views (sla_monthly, sla_availability)."""
    client.insert(
        "contract_terms",
        [[1, float(target_pct), timezone, now]],
        column_names=["key", "target_pct", "timezone", "updated_at"],
    )


# Years of business days the store's ``business_hours`` table covers: SQL counts no business
# hours outside them (support requests are recent; 21 years is a few thousand rows).
BUSINESS_HOURS_YEARS = (2020, 2040)


def record_business_hours(
    client: Any,
    calendar: BusinessCalendar,
    now: datetime,
    years: tuple[int, int] = BUSINESS_HOURS_YEARS,
) -> int:
    """Fill ``business_hours`` with the calendar's business days of ``years`` (both included).

    Returns the number of rows written: 0 when the table already holds exactly these days and
    windows (start-ups do not rewrite it), else every day of the range. A changed calendar
    (country, hours, zone, years, or the holidays package's tables) replaces the old rows:
    the new ones are inserted with ``seeded_at = now`` (winning under FINAL) before the
    others are deleted, so readers never see an empty calendar.
    """
    first, last = years
    if last < first:
        raise ValueError(f"business_hours years: {first}..{last} is empty")
    days = calendar.business_days(date(first, 1, 1), date(last, 12, 31))
    params = (
        calendar.country,
        calendar.hours_start.strftime("%H:%M:%S"),
        calendar.hours_end.strftime("%H:%M:%S"),
        calendar.zone.key,
    )
    wanted = [(day, _ms(hours.start), _ms(hours.end), *params) for day, hours in days]
    held = client.query(
        "SELECT day, toUnixTimestamp64Milli(window_start), toUnixTimestamp64Milli(window_end), "
        "country, hours_start, hours_end, timezone FROM business_hours FINAL ORDER BY day"
    ).result_rows
    if [tuple(row) for row in held] == wanted:
        return 0
    client.insert(
        "business_hours",
        [[day, hours.start, hours.end, *params, now] for day, hours in days],
        column_names=[
            "day",
            "window_start",
            "window_end",
            "country",
            "hours_start",
            "hours_end",
            "timezone",
            "seeded_at",
        ],
    )
    client.command(
        "ALTER TABLE business_hours DELETE WHERE seeded_at != {now:DateTime64(3, 'UTC')}",
        parameters={"now": now},
        settings={"mutations_sync": 2},
    )
    return len(days)
