"""deploy/grafana/dashboards/alerting.json: every panel's SQL runs on the migrated schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

DASHBOARD = Path(__file__).parents[2] / "deploy/grafana/dashboards/alerting.json"


def test_every_panel_query_runs_on_the_real_schema(migrated_clickhouse) -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    panels = dashboard["panels"]
    assert dashboard["uid"] == "slawatch-alerting" and len(panels) == 6
    for panel in panels:
        assert panel["datasource"]["uid"] == "slawatch-clickhouse", panel["title"]
        for target in panel["targets"]:
            # Grafana's macro becomes a plain range here; the rest is sent as written.
            sql = re.sub(
                r"\$__timeFilter\((\w+)\)", r"\1 >= now() - INTERVAL 7 DAY", target["rawSql"]
            )
            migrated_clickhouse.query(sql)  # raises on an unknown table, column or syntax
