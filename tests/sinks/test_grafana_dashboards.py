"""Every Grafana panel's SQL, expanded as Grafana would, runs on the embedded engine with
data in it and returns rows with the columns its panel type needs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from sinks.grafana_dashboards import DASHBOARDS, DASHBOARDS_DIR, render
from slawatch.store.migrations import REPO_MIGRATIONS
from tests.conftest import fresh_database
from tests.sinks.grafana_macros import expand
from tests.sinks.populated import RANGE, populate

OURS = sorted(DASHBOARDS)
PROVIDER = DASHBOARDS_DIR.parent / "provisioning" / "dashboards" / "slawatch.yaml"


def load(name: str) -> dict[str, Any]:
    return dict(json.loads((DASHBOARDS_DIR / name).read_text()))


@pytest.mark.parametrize("name", OURS)
def test_committed_json_is_what_the_generator_writes(name: str) -> None:
    assert (DASHBOARDS_DIR / name).read_text() == render(DASHBOARDS[name])


def test_every_dashboard_json_is_provisioned_with_the_plugin_datasource() -> None:
    provider = yaml.safe_load(PROVIDER.read_text())["providers"][0]
    assert provider["options"]["path"] == "/etc/grafana/slawatch/dashboards"
    uids = set()
    for path in sorted(DASHBOARDS_DIR.glob("*.json")):
        board = json.loads(path.read_text())
        uids.add(board["uid"])
        for item in board["panels"]:
            for target in item["targets"]:
                assert target["datasource"]["type"] == "grafana-clickhouse-datasource"
    assert len(uids) == len(list(DASHBOARDS_DIR.glob("*.json")))  # unique uids


def variable_values(store: Any, board: dict[str, Any]) -> dict[str, str]:
    """Run each template variable's query, as Grafana does, and take its first value."""
    values: dict[str, str] = {}
    for variable in board["templating"]["list"]:
        sql = expand(variable["query"], *RANGE, 60, values)
        rows = store.query(sql).result_rows
        assert rows, f"variable {variable['name']} has no values"
        values[variable["name"]] = str(rows[0][0])
    return values


def panel_results(store: Any, name: str) -> list[tuple[dict[str, Any], Any]]:
    board = load(name)
    values = variable_values(store, board)
    out = []
    for item in board["panels"]:
        sql = expand(item["targets"][0]["rawSql"], *RANGE, 60, values)
        out.append((item, store.query(sql)))
    return out


@pytest.fixture(scope="module")
def results_by_dashboard(clickhouse_dsn: str) -> Any:
    """Every panel of every dashboard run once on one populated database."""
    with fresh_database(clickhouse_dsn, REPO_MIGRATIONS) as store:
        populate(store)
        yield {name: panel_results(store, name) for name in OURS}


@pytest.mark.parametrize("name", OURS)
def test_every_panel_query_returns_rows(results_by_dashboard: Any, name: str) -> None:
    for item, result in results_by_dashboard[name]:
        assert result.result_rows, f"{name}: panel {item['title']!r} returned no rows"
        if item["targets"][0]["format"] == 0:  # time series: a time column first
            assert result.column_names[0] == "time", item["title"]
            assert isinstance(result.result_rows[0][0], datetime)


def by_title(results_by_dashboard: Any, name: str, title: str) -> Any:
    return next(r for p, r in results_by_dashboard[name] if p["title"] == title)


def test_fleet_overview_values(results_by_dashboard: Any) -> None:
    board = "fleet-overview.json"
    assert by_title(results_by_dashboard, board, "Sites down now").result_rows == [(1,)]
    below = by_title(results_by_dashboard, board, "Sites below target this month")
    assert below.result_rows == [(1, 3)]  # site-000: 20 + 30 min down > 44.6 min budget
    availability = by_title(results_by_dashboard, board, "Availability this month vs target (%)")
    assert availability.result_rows[0][:2] == ("site-000", round(100 * (44600 - 50) / 44600, 3))


def test_maintenance_calendar_flags_the_broken_rules(results_by_dashboard: Any) -> None:
    calendar = by_title(results_by_dashboard, "maintenance-calendar.json", "Calendar")
    rows = {r[3]: r for r in calendar.result_rows}  # by id
    columns = calendar.column_names
    kind, compliant, violations = (columns.index(c) for c in ("kind", "compliant", "violations"))
    assert rows["m-hotfix"][kind] == "emergency" and rows["m-hotfix"][compliant]
    assert rows["m-patch-2"][violations] == "weekly_limit"
    assert rows["m-patch-1"][compliant] and rows["m-patch-1"][kind] == "regular"
    assert rows["m-upgrade"][compliant]  # a Saturday: outside business hours


def test_expand_follows_the_plugin() -> None:
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    sql = expand(
        "SELECT $__timeInterval(t) FROM x WHERE $__timeFilter(t) AND s = '${site}'"
        " AND $__fromTime < $__toTime_ms",
        start,
        end,
        30,
        {"site": "a"},
    )
    assert sql == (
        "SELECT toStartOfInterval(toDateTime(t), INTERVAL 30 second) FROM x WHERE "
        "t >= toDateTime(1767225600) AND t <= toDateTime(1767312000) AND s = 'a'"
        " AND toDateTime(1767225600) < fromUnixTimestamp64Milli(1767312000000)"
    )
    with pytest.raises(KeyError, match="month"):
        expand("SELECT '${month}'", start, end, 30, {})
