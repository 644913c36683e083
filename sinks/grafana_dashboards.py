"""The Grafana dashboards of deploy/grafana/dashboards, generated from one place.

    python -m sinks.grafana_dashboards      # rewrite the JSON files

Panels query the tables of deploy/clickhouse/migrations through the
grafana-clickhouse-datasource plugin (data source uid ``slawatch-clickhouse``) with its
macros: ``$__timeFilter(col)``, ``$__fromTime``, ``$__toTime``, ``$__timeInterval(col)``,
``$__interval_s``, and template variables (``${site}``). Versioned tables are read with
FINAL. "This month" is the contract month (Europe/Brussels) of the time picker's end.
tests/sinks/test_grafana_dashboards.py expands the macros and runs every panel's SQL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DASHBOARDS_DIR = Path(__file__).resolve().parents[1] / "deploy" / "grafana" / "dashboards"
DATASOURCE = {"type": "grafana-clickhouse-datasource", "uid": "slawatch-clickhouse"}
TABLE, TIMESERIES = 1, 0  # the plugin's query formats
THIS_MONTH = "formatDateTime(toTimeZone($__toTime, 'Europe/Brussels'), '%Y-%m')"
TARGET_STEPS: list[dict[str, Any]] = [
    {"color": "red", "value": None},
    {"color": "orange", "value": 99.5},
    {"color": "green", "value": 99.9},
]


def panel(
    title: str,
    kind: str,
    sql: str,
    grid: tuple[int, int, int, int],
    *,
    description: str = "",
    fmt: int = TABLE,
    unit: str | None = None,
    steps: list[dict[str, Any]] | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One panel with one raw-SQL query."""
    x, y, w, h = grid
    defaults: dict[str, Any] = {}
    if unit:
        defaults["unit"] = unit
    if steps:
        defaults["thresholds"] = {"mode": "absolute", "steps": steps}
    return {
        "title": title,
        "type": kind,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options or {},
        "targets": [
            {
                "datasource": DATASOURCE,
                "refId": "A",
                "editorType": "sql",
                "queryType": "timeseries" if fmt == TIMESERIES else "table",
                "format": fmt,
                "rawSql": sql.strip(),
            }
        ],
    }


def query_variable(name: str, label: str, sql: str, *, multi: bool = False) -> dict[str, Any]:
    """A template variable filled by a query."""
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "query": sql.strip(),
        "definition": sql.strip(),
        "refresh": 2,
        "sort": 0,
        "multi": multi,
        "includeAll": multi,
    }


def dashboard(
    uid: str,
    title: str,
    panels: list[dict[str, Any]],
    *,
    variables: list[dict[str, Any]] | None = None,
    time_from: str = "now-24h",
    description: str = "",
) -> dict[str, Any]:
    """A dashboard with ids assigned to its panels."""
    for number, item in enumerate(panels, start=1):
        item["id"] = number
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["slawatch"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "1m",
        "time": {"from": time_from, "to": "now"},
        "templating": {"list": variables or []},
        "panels": panels,
    }


SITE_VARIABLE = query_variable(
    "site", "Site", "SELECT DISTINCT site FROM probe_results_1d ORDER BY site"
)
MONTH_VARIABLE = query_variable(
    "month",
    "Month",
    "SELECT DISTINCT formatDateTime(day, '%Y-%m') AS month FROM probe_results_1d "
    "ORDER BY month DESC",
)


def fleet_overview() -> dict[str, Any]:
    """Sites down now, this month's availability against the target, budget left."""
    return dashboard(
        "slawatch-fleet",
        "slawatch · fleet overview",
        [
            panel(
                "Sites down now",
                "stat",
                """
SELECT countIf(state = 'down') AS down FROM site_status FINAL
""",
                (0, 0, 4, 5),
                steps=[{"color": "green", "value": None}, {"color": "red", "value": 1}],
                description="Sites whose latest status is down.",
            ),
            panel(
                "Sites below target this month",
                "stat",
                f"""
SELECT countIf(NOT met) AS below_target, count() AS sites
FROM sla_month(month = {THIS_MONTH})
""",
                (4, 0, 4, 5),
                description="Contract month of the time picker's end (Europe/Brussels).",
            ),
            panel(
                "Sites not up",
                "table",
                """
SELECT site, state, since FROM site_status FINAL WHERE state != 'up' ORDER BY since
""",
                (8, 0, 16, 5),
            ),
            panel(
                "Availability this month vs target (%)",
                "bargauge",
                f"""
SELECT site, round(availability_pct, 3) AS availability_pct, target_pct
FROM sla_month(month = {THIS_MONTH})
ORDER BY availability_pct ASC LIMIT 50
""",
                (0, 5, 12, 12),
                unit="percent",
                steps=TARGET_STEPS,
                description="The 50 lowest sites; green at or above the 99.90 % target.",
                options={"orientation": "horizontal", "displayMode": "basic"},
            ),
            panel(
                "Downtime budget left this month (minutes)",
                "table",
                f"""
SELECT site, round(budget_left_minutes, 1) AS budget_left_minutes,
       round(downtime_minutes, 1) AS downtime_minutes,
       round(maintenance_minutes, 1) AS maintenance_minutes, met
FROM sla_month(month = {THIS_MONTH})
ORDER BY budget_left_minutes ASC LIMIT 100
""",
                (12, 5, 12, 12),
                unit="m",
            ),
            panel(
                "Fleet checks and failures",
                "timeseries",
                """
SELECT $__timeInterval(minute) AS time,
       countMerge(checks) AS checks, countIfMerge(failures) AS failures,
       countIfMerge(degraded) AS degraded
FROM probe_results_1m WHERE $__timeFilter(minute)
GROUP BY time ORDER BY time
""",
                (0, 17, 24, 8),
                fmt=TIMESERIES,
            ),
        ],
        description="The whole fleet against the contract's 99.90 % per month.",
    )


def site_detail() -> dict[str, Any]:
    """One site: status by region, latency quantiles, segments with their reasons."""
    return dashboard(
        "slawatch-site",
        "slawatch · site detail",
        [
            panel(
                "Status by region",
                "state-timeline",
                """
SELECT $__timeInterval(minute) AS time, region,
       multiIf(countIfMerge(failures) = countMerge(checks), 2,
               countIfMerge(failures) + countIfMerge(degraded) > 0, 1, 0) AS status
FROM probe_results_1m WHERE site = '${site}' AND $__timeFilter(minute)
GROUP BY time, region ORDER BY time
""",
                (0, 0, 24, 7),
                fmt=TIMESERIES,
                description="0 up, 1 degraded or some checks failed, 2 every check failed.",
            ),
            panel(
                "Total latency quantiles (ms)",
                "timeseries",
                """
SELECT $__timeInterval(minute) AS time, region,
       quantilesMerge(0.5, 0.9, 0.95, 0.99)(total_ms_q)[1] AS p50,
       quantilesMerge(0.5, 0.9, 0.95, 0.99)(total_ms_q)[3] AS p95,
       quantilesMerge(0.5, 0.9, 0.95, 0.99)(total_ms_q)[4] AS p99
FROM probe_results_1m WHERE site = '${site}' AND $__timeFilter(minute)
GROUP BY time, region ORDER BY time
""",
                (0, 7, 16, 8),
                fmt=TIMESERIES,
                unit="ms",
            ),
            panel(
                "This month",
                "table",
                f"""
SELECT month, round(availability_pct, 4) AS availability_pct, target_pct, met,
       round(downtime_minutes, 1) AS downtime_minutes,
       round(maintenance_minutes, 1) AS maintenance_minutes,
       round(excluded_minutes, 1) AS excluded_minutes,
       round(budget_left_minutes, 1) AS budget_left_minutes
FROM sla_month(month = {THIS_MONTH}) WHERE site = '${{site}}'
""",
                (16, 7, 8, 8),
            ),
            panel(
                "Segments with reasons",
                "table",
                """
SELECT start, `end`, round(dateDiff('second', start, `end`) / 60, 1) AS minutes,
       label, reason, maintenance_id, outage_id, version
FROM segments FINAL
WHERE site = '${site}' AND deleted = 0
  AND start <= $__toTime AND `end` >= $__fromTime
ORDER BY start DESC LIMIT 500
""",
                (0, 15, 14, 9),
            ),
            panel(
                "Failures by error kind",
                "table",
                """
SELECT region, error_kind, count() AS failures, max(scheduled_at) AS last_seen
FROM probe_results FINAL
WHERE site = '${site}' AND outcome != 'up' AND $__timeFilter(scheduled_at)
GROUP BY region, error_kind ORDER BY failures DESC
""",
                (14, 15, 10, 9),
            ),
        ],
        variables=[SITE_VARIABLE],
        time_from="now-6h",
    )


def monthly_statements() -> dict[str, Any]:
    """The month's statement per site, from segments, next to the stream's ledger."""
    return dashboard(
        "slawatch-monthly",
        "slawatch · monthly SLA statements",
        [
            panel(
                "Sites meeting the target",
                "stat",
                """
SELECT countIf(met) AS met, count() AS sites FROM sla_month(month = '${month}')
""",
                (0, 0, 6, 5),
            ),
            panel(
                "Lowest availability (%)",
                "stat",
                """
SELECT round(min(availability_pct), 4) AS lowest FROM sla_month(month = '${month}')
""",
                (6, 0, 6, 5),
                unit="percent",
                steps=TARGET_STEPS,
            ),
            panel(
                "Statement per site",
                "table",
                """
SELECT site, total_minutes, round(maintenance_minutes, 2) AS maintenance_minutes,
       round(downtime_minutes, 2) AS downtime_minutes,
       round(excluded_minutes, 2) AS excluded_minutes,
       round(availability_pct, 4) AS availability_pct, target_pct, met,
       round(budget_left_minutes, 2) AS budget_left_minutes
FROM sla_month(month = '${month}')
ORDER BY availability_pct ASC, site
""",
                (0, 5, 24, 12),
                description="A = (T - M - D) / (T - M) x 100 from the disjoint segments.",
            ),
            panel(
                "Stream ledger vs segments",
                "table",
                """
SELECT m.site AS site, round(m.availability_pct, 4) AS from_segments,
       round(l.availability_pct, 4) AS ledger, l.computed_at AS ledger_computed_at,
       round(abs(coalesce(l.availability_pct, 100) - m.availability_pct), 4) AS difference
FROM sla_month(month = '${month}') AS m
LEFT JOIN (SELECT * FROM ledger FINAL WHERE month = '${month}') AS l ON l.site = m.site
ORDER BY difference DESC, site
""",
                (0, 17, 24, 9),
                description="The ledger the stream keeps, next to the same month from the store.",
            ),
        ],
        variables=[MONTH_VARIABLE],
        time_from="now-30d",
    )


def regions_health() -> dict[str, Any]:
    """Each probe region's view: failure ratio, reference targets, error kinds, latency."""
    return dashboard(
        "slawatch-regions",
        "slawatch · regions' health",
        [
            panel(
                "Failure ratio by region (%)",
                "timeseries",
                """
SELECT $__timeInterval(minute) AS time, region,
       100 * countIfMerge(failures) / countMerge(checks) AS failure_pct
FROM probe_results_1m WHERE $__timeFilter(minute)
GROUP BY time, region ORDER BY time
""",
                (0, 0, 12, 8),
                fmt=TIMESERIES,
                unit="percent",
            ),
            panel(
                "p95 total latency by region (ms)",
                "timeseries",
                """
SELECT $__timeInterval(minute) AS time, region,
       quantilesMerge(0.5, 0.9, 0.95, 0.99)(total_ms_q)[3] AS p95
FROM probe_results_1m WHERE $__timeFilter(minute)
GROUP BY time, region ORDER BY time
""",
                (12, 0, 12, 8),
                fmt=TIMESERIES,
                unit="ms",
            ),
            panel(
                "Failures by region and error kind",
                "table",
                """
SELECT region, error_kind, count() AS failures, uniqExact(site) AS sites
FROM probe_results FINAL
WHERE outcome = 'down' AND $__timeFilter(scheduled_at)
GROUP BY region, error_kind ORDER BY failures DESC
""",
                (0, 8, 12, 9),
            ),
            panel(
                "Reference targets failing (region's own network)",
                "table",
                """
SELECT region, countIf(reference_ok = false) AS reference_failures,
       countIf(reference_ok IS NOT NULL) AS results_with_reference,
       max(if(reference_ok = false, scheduled_at, NULL)) AS last_failure
FROM probe_results FINAL WHERE $__timeFilter(scheduled_at)
GROUP BY region ORDER BY reference_failures DESC
""",
                (12, 8, 12, 9),
            ),
            panel(
                "Checks per region per interval",
                "timeseries",
                """
SELECT $__timeInterval(minute) AS time, region,
       countMerge(checks) / greatest(1, $__interval_s / 60) AS checks_per_minute
FROM probe_results_1m WHERE $__timeFilter(minute)
GROUP BY time, region ORDER BY time
""",
                (0, 17, 24, 7),
                fmt=TIMESERIES,
                description="A region that stops reporting shows as a drop here.",
            ),
        ],
        time_from="now-24h",
    )


def maintenance_calendar() -> dict[str, Any]:
    """Maintenance windows with their kind and whether they kept the contract's rules."""
    return dashboard(
        "slawatch-maintenance",
        "slawatch · maintenance calendar",
        [
            panel(
                "Windows in range",
                "stat",
                """
SELECT count() AS windows, countIf(NOT compliant) AS broke_rules
FROM maintenance_assessed WHERE start <= $__toTime AND `end` >= $__fromTime
""",
                (0, 0, 6, 5),
            ),
            panel(
                "Calendar",
                "table",
                """
SELECT start, `end`, round(duration_minutes, 1) AS minutes, id, title, kind,
       notice_business_days, compliant, arrayStringConcat(violations, ', ') AS violations,
       if(all_sites, '*', arrayStringConcat(sites, ', ')) AS sites, impact
FROM maintenance_assessed WHERE start <= $__toTime AND `end` >= $__fromTime
ORDER BY start
""",
                (0, 5, 24, 12),
                description="kind: emergency (notice below the contract's minimum), regular or "
                "scheduled; violations: business_hours, weekly_limit.",
            ),
            panel(
                "Maintenance minutes by kind",
                "barchart",
                """
SELECT toStartOfWeek(start) AS week, kind, round(sum(duration_minutes), 1) AS minutes
FROM maintenance_assessed WHERE start <= $__toTime AND `end` >= $__fromTime
GROUP BY week, kind ORDER BY week
""",
                (0, 17, 24, 8),
            ),
        ],
        time_from="now-30d",
    )


DASHBOARDS = {
    "fleet-overview.json": fleet_overview,
    "site-detail.json": site_detail,
    "monthly-statements.json": monthly_statements,
    "regions-health.json": regions_health,
    "maintenance-calendar.json": maintenance_calendar,
}


def render(builder: Any) -> str:
    """A dashboard as the JSON text kept in the repository."""
    return json.dumps(builder(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """Write every dashboard into deploy/grafana/dashboards."""
    for name, builder in DASHBOARDS.items():
        (DASHBOARDS_DIR / name).write_text(render(builder), encoding="utf-8")
        print(f"wrote {DASHBOARDS_DIR / name}")


if __name__ == "__main__":
    main()
