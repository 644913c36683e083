"""The README's SRE cookbook: every SQL block runs on a populated store and answers right."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from slawatch.store.migrations import REPO_MIGRATIONS
from tests.conftest import fresh_database
from tests.sinks.populated import populate

README = Path(__file__).resolve().parents[2] / "README.md"
PARAMETERS = {
    "month": "2026-01",
    "week_start": "2026-01-19 00:00:00",
    "week_end": "2026-01-26 00:00:00",
    "from": "2026-01-01 00:00:00",
    "to": "2026-02-01 00:00:00",
    "from_day": "2026-01-01",
    "to_day": "2026-02-01",
    "min_minutes": 20,
    "now": "2026-01-10 12:40:00",
}


def cookbook() -> dict[str, str]:
    """``#### title`` → the SQL block under it, from the README's cookbook section."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### SRE cookbook", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"^#### (.+?)\n+```sql\n(.*?)```", section, re.DOTALL | re.MULTILINE)
    return {title.strip(): sql for title, sql in blocks}


@pytest.fixture(scope="module")
def answers(clickhouse_dsn: str) -> Any:
    with fresh_database(clickhouse_dsn, REPO_MIGRATIONS) as store:
        populate(store)
        yield {title: store.query(sql, parameters=PARAMETERS) for title, sql in cookbook().items()}


def rows(answers: Any, title: str) -> list[dict[str, Any]]:
    result = answers[title]
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def test_the_cookbook_has_its_queries() -> None:
    assert len(cookbook()) == 7


def test_worst_sites_this_month(answers: Any) -> None:
    worst = rows(answers, "Worst sites this month")
    assert [r["site"] for r in worst] == ["site-000", "site-002", "site-001"]
    assert worst[0]["downtime_minutes"] == 50.0 and worst[0]["met"] == 0
    assert worst[1]["met"] == 1 and worst[1]["downtime_minutes"] == 3.0  # 6 min, 3 excluded


def test_budget_burned_this_week(answers: Any) -> None:
    burned = rows(answers, "Budget burned this week (share of the month's downtime budget)")
    # site-000: 30 of 44.6 budget minutes (44640 - 40 maintenance minutes, 0.1 %)
    assert burned == [{"site": "site-000", "downtime_minutes": 30.0, "pct_of_month_budget": 67.3}]


def test_failures_by_region_and_error_kind(answers: Any) -> None:
    failures = rows(answers, "Failures by region and error kind")
    by_key = {(r["region"], r["error_kind"]): r["failures"] for r in failures}
    assert by_key == {("eu", "timeout"): 12, ("us", "timeout"): 12, ("us", "connect"): 1}


def test_p95_latency_by_site(answers: Any) -> None:
    p95 = rows(answers, "p95 latency by site")
    assert {r["site"] for r in p95} == {"site-000", "site-001", "site-002"}
    # totals are 100 + slot ms over 40 slots (down checks have none): p95 ≈ 138
    assert all(130 < r["p95_ms"] < 140 for r in p95)
    assert sum(r["checks"] for r in p95) == 3 * 2 * 40 + 2


def test_outages_longer_than_n_minutes(answers: Any) -> None:
    long_ones = rows(answers, "Outages longer than N minutes")
    assert [(r["site"], r["minutes"]) for r in long_ones] == [
        ("site-000", 40.0),
        ("site-000", 30.0),
    ]


def test_maintenance_that_broke_the_rules(answers: Any) -> None:
    broke = rows(answers, "Maintenance that broke the rules")
    assert [(r["id"], r["violations"]) for r in broke] == [("m-patch-2", ["weekly_limit"])]


def test_sites_that_went_silent(answers: Any) -> None:
    silent = rows(answers, "Sites that went silent (no result from any region for 10 minutes)")
    assert sorted(r["site"] for r in silent) == ["site-000", "site-001", "site-002"]
