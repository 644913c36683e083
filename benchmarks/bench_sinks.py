"""The ClickHouse side on the embedded engine (chDB): how fast the sink writes, and how
long ``sla_monthly`` takes over a month of a 10,000-site fleet.

Runs in a child process with its own engine under a temporary folder (chDB allows one
engine per process; other benchmarks may hold theirs). Figures:

* ``sink_rows_per_s``: probe results decoded from their JSON messages and written by
  ``ClickHouseSink`` (dedup lookup + insert + both rollups' materialized views), in
  batches of ``BATCH`` rows; the same for a replay of already-stored rows (lookup only);
* ``server_insert_rows_per_s``: results generated inside ClickHouse with
  ``INSERT … SELECT FROM numbers()`` (no Python), through the materialized views;
* ``sla_monthly_s``: median of 3 runs of the whole month's statement
  (``SELECT * FROM sla_monthly WHERE month = …``, 10,000 rows) with the month's
  per-day rollup (10,000 sites × 3 regions × 31 days, the shape the views produce from
  one result every 30 s), ~5 outages per site split into segments (with re-emitted
  versions and tombstones), and maintenance windows for all or some sites;
  ``sla_month_s`` the same through ``sla_month(month = …)``, which reads only that month;
  both again ``…_with_history_s`` after 5 more months of rollup and segments are added;
  ``sla_availability_week_s`` a week through the parameterised view.

A month of raw results at that rate is 2.7 billion rows, more than this machine takes in
a benchmark's time; ``sla_monthly`` does not read raw results (it reads the rollup, the
segments and the maintenance), so the raw table is filled for ``RAW_HOURS`` hours only.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SITES = 10_000
REGIONS = ("eu-west", "us-east", "ap-south")
RAW_HOURS = 1
HISTORY_MONTHS = 5
BATCH = 5_000
SINK_ROWS = 60_000
MONTH = "2026-01"


def _sink_rows(client: Any) -> dict[str, Any]:
    from sinks.batching import Record
    from sinks.clickhouse import ClickHouseSink
    from sinks.rows import Received, probe_result_row
    from sla.model import CheckResult, Outcome, Timings

    start = datetime(2026, 2, 1, tzinfo=UTC)
    messages = []
    for i in range(SINK_ROWS):
        at = start + timedelta(seconds=30 * (i // (1000 * len(REGIONS))))
        result = CheckResult(
            site=f"bench-{i % 1000:05d}",
            client="bench",
            region=REGIONS[i % len(REGIONS)],
            worker="w1",
            scheduled_at=at,
            started_at=at,
            outcome=Outcome.UP,
            timings=Timings(dns_ms=1.0, connect_ms=2.0, total_ms=50.0 + i % 100),
        )
        messages.append(result.model_dump_json().encode())
    sink = ClickHouseSink(client, max_rows=BATCH, max_seconds=1.0)

    def run_once() -> float:
        began = time.perf_counter()
        for offset, value in enumerate(messages):
            row = probe_result_row(value, Received("probe-results", 0))
            sink.add(Record("probe-results", 0, offset, "probe_results", row), now=0)
            if sink.due(0):
                sink.flush()
        sink.flush()
        return time.perf_counter() - began

    first = run_once()
    replay = run_once()
    stored = client.query("SELECT count() FROM probe_results WHERE client = 'bench'")
    assert stored.result_rows[0][0] == SINK_ROWS, "the replay must not add rows"
    return {
        "sink_rows": SINK_ROWS,
        "sink_batch_rows": BATCH,
        "sink_rows_per_s": round(SINK_ROWS / first),
        "sink_replay_rows_per_s": round(SINK_ROWS / replay),
    }


def _server_insert(client: Any) -> dict[str, Any]:
    slots = RAW_HOURS * 120
    rows = SITES * len(REGIONS) * slots
    began = time.perf_counter()
    client.command(f"""
        INSERT INTO probe_results (site, client, region, worker, scheduled_at, started_at,
                                   outcome, error_kind, total_ms)
        SELECT concat('site-', leftPad(toString(n % {SITES}), 5, '0')) AS site, 'c',
               ['eu-west', 'us-east', 'ap-south'][1 + intDiv(n, {SITES}) % 3] AS region, 'w',
               toDateTime64('{MONTH}-15 00:00:00', 3, 'UTC')
                   + toIntervalSecond(30 * intDiv(n, {SITES * 3})) AS at, at,
               if(n % 97 = 0, 'down', 'up'), if(n % 97 = 0, 'timeout', NULL),
               if(n % 97 = 0, NULL, 40 + n % 200)
        FROM (SELECT number AS n FROM numbers({rows}))
    """)
    elapsed = time.perf_counter() - began
    return {"server_insert_rows": rows, "server_insert_rows_per_s": round(rows / elapsed)}


def _month_of_fleet(client: Any) -> dict[str, Any]:
    """The month's per-day rollup, segments and maintenance for the whole fleet."""
    began = time.perf_counter()
    client.command(f"""
        INSERT INTO probe_results_1d
        SELECT concat('site-', leftPad(toString(n % {SITES}), 5, '0')),
               ['eu-west', 'us-east', 'ap-south'][1 + intDiv(n, {SITES}) % 3],
               toDate('{MONTH}-01') + intDiv(n, {SITES * 3}),
               countState(), countIfState(false), countIfState(false),
               quantilesState(0.5, 0.9, 0.95, 0.99)(toNullable(toFloat64(40 + n % 200)))
        FROM (SELECT number AS n FROM numbers({SITES * 3 * 31}))
        GROUP BY n
    """)
    # ~5 outages per site: 10-90 minutes; every third one re-emitted in two pieces (v2) with
    # its first version's piece tombstoned, as the stream does after a maintenance arrives.
    outages = SITES * 5
    client.command(f"""
        INSERT INTO segments (id, site, outage_id, label, reason, maintenance_id, start, `end`,
                              version, deleted)
        SELECT concat(site, '|', toString(start)), site, concat(site, '|o', toString(n)),
               multiIf(n % 7 = 0, 'excluded', n % 11 = 0, 'maintenance', 'downtime'),
               if(n % 7 = 0, 'client_isp', NULL), if(n % 11 = 0, 'm-1', NULL),
               start, start + toIntervalMinute(10 + n % 80), 1, 0
        FROM (SELECT n, concat('site-', leftPad(toString(n % {SITES}), 5, '0')) AS site,
                     toDateTime64('{MONTH}-01 00:00:00', 3, 'UTC')
                         + toIntervalSecond(intDiv(n, {SITES}) * 535000 + (n * 7919) % 400000)
                         AS start
              FROM (SELECT number AS n FROM numbers({outages})))
    """)
    client.command("""
        INSERT INTO segments (id, site, outage_id, label, reason, maintenance_id, start, `end`,
                              version, deleted)
        SELECT id, site, outage_id, label, reason, maintenance_id, start, `end`, 2, 1
        FROM segments WHERE cityHash64(id) % 3 = 0
    """)
    client.command(f"""
        INSERT INTO maintenance (id, sites, all_sites, start, `end`, announced_at, regular,
                                 cancelled, title, impact, version)
        SELECT concat('m-', toString(n)),
               if(n % 4 = 0, [], arrayMap(k -> concat('site-', leftPad(toString((n * 37 + k)
                   % {SITES}), 5, '0')), range(50))),
               n % 4 = 0,
               toDateTime64('{MONTH}-02 01:00:00', 3, 'UTC') + toIntervalDay(n),
               toDateTime64('{MONTH}-02 02:00:00', 3, 'UTC') + toIntervalDay(n),
               toDateTime64('2025-12-01 00:00:00', 3, 'UTC'), n % 2 = 0, n = 5, '', '', 1
        FROM (SELECT number AS n FROM numbers(28))
    """)
    counts = client.query(
        "SELECT (SELECT count() FROM probe_results_1d), (SELECT count() FROM segments),"
        " (SELECT count() FROM segments FINAL WHERE deleted = 0),"
        " (SELECT count() FROM maintenance FINAL)"
    ).result_rows[0]
    return {
        "month_setup_s": round(time.perf_counter() - began, 2),
        "rollup_1d_rows": counts[0],
        "segment_rows": counts[1],
        "live_segments": counts[2],
        "maintenance_windows": counts[3],
    }


def _add_history(client: Any) -> None:
    """Copy the month's rollup and segments into the HISTORY_MONTHS months before it."""
    for k in range(1, HISTORY_MONTHS + 1):
        client.command(f"""
            INSERT INTO probe_results_1d
            SELECT site, region, addMonths(day, -{k}), checks, failures, degraded, total_ms_q
            FROM probe_results_1d WHERE toStartOfMonth(day) = toDate('{MONTH}-01')
        """)
        client.command(f"""
            INSERT INTO segments (id, site, outage_id, label, reason, maintenance_id, start,
                                  `end`, version, deleted)
            SELECT concat(id, '|h{k}'), site, outage_id, label, reason, maintenance_id,
                   addMonths(start, -{k}), addMonths(`end`, -{k}), version, deleted
            FROM segments
            WHERE start >= toDateTime64('{MONTH}-01 00:00:00', 3, 'UTC')
              AND NOT match(id, '\\|h[0-9]+$')
        """)


def _median_seconds(client: Any, sql: str, runs: int = 3) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(runs):
        began = time.perf_counter()
        rows = len(client.query(sql).result_rows)
        times.append(time.perf_counter() - began)
    return round(statistics.median(times), 3), rows


def child(path: str) -> dict[str, Any]:
    """Everything above, in this (child) process's engine."""
    from slawatch import store
    from slawatch.store.migrations import migrate_database

    dsn = f"chdb://{path}"
    migrate_database(dsn, "bench")
    client = store.connect(dsn, database="bench")
    figures: dict[str, Any] = {"sites": SITES, "regions": len(REGIONS)}
    figures |= _sink_rows(client)
    figures |= _server_insert(client)
    figures |= _month_of_fleet(client)
    monthly, rows = _median_seconds(client, f"SELECT * FROM sla_monthly WHERE month = '{MONTH}'")
    figures |= {"sla_monthly_s": monthly, "sla_monthly_rows": rows}
    month, rows = _median_seconds(client, f"SELECT * FROM sla_month(month = '{MONTH}')")
    figures |= {"sla_month_s": month, "sla_month_rows": rows}
    _add_history(client)
    month, _ = _median_seconds(client, f"SELECT * FROM sla_month(month = '{MONTH}')")
    monthly, _ = _median_seconds(client, f"SELECT * FROM sla_monthly WHERE month = '{MONTH}'")
    figures |= {
        "history_months": 1 + HISTORY_MONTHS,
        "sla_month_with_history_s": month,
        "sla_monthly_with_history_s": monthly,
    }
    week, rows = _median_seconds(
        client,
        "SELECT * FROM sla_availability(range_start = '2026-01-05 00:00:00',"
        " range_end = '2026-01-12 00:00:00')",
    )
    figures |= {"sla_availability_week_s": week, "sla_availability_rows": rows}
    return figures


def run() -> dict[str, Any]:
    """Run the child process and return its figures."""
    with tempfile.TemporaryDirectory(prefix="bench-sinks-") as folder:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_sinks", str(Path(folder) / "chdb")],
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
    if done.returncode != 0:
        raise RuntimeError(f"bench_sinks child failed:\n{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    print(json.dumps(child(sys.argv[1])))
