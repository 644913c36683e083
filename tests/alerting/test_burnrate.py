"""Multi-window burn-rate rules on plain data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.burnrate import DEFAULT_RULES, BurnState, evaluate
from sla.calendar import month_interval

APRIL = month_interval("2026-04", "Europe/Brussels")  # 30 days, no DST change
PERIOD = APRIL.end - APRIL.start
BUDGET_S = PERIOD.total_seconds() * 0.001  # 43.2 minutes
NOW = datetime(2026, 4, 20, 12, 0, tzinfo=UTC)


def firing(state: BurnState, maintenance=()) -> set[str]:
    readings = evaluate(
        state, NOW, target_pct=99.9, budget_period=PERIOD, maintenance=list(maintenance)
    )
    return {r.rule.name for r in readings if r.firing}


def test_the_workbook_factors_for_a_30_day_month() -> None:
    assert timedelta(days=30) == PERIOD
    assert [round(rule.factor(PERIOD), 6) for rule in DEFAULT_RULES] == [14.4, 6.0, 1.0]


def test_two_percent_of_the_budget_within_an_hour_pages() -> None:
    state = BurnState()
    state.observe("o1", NOW - timedelta(seconds=0.02 * BUDGET_S), NOW)
    assert firing(state) == {"burn-rate-fast"}
    fast = evaluate(state, NOW, target_pct=99.9, budget_period=PERIOD)[0]
    assert fast.long_rate == pytest.approx(14.4)


def test_slightly_less_than_two_percent_within_an_hour_does_not_page() -> None:
    state = BurnState()
    state.observe("o1", NOW - timedelta(seconds=0.019 * BUDGET_S), NOW)
    assert firing(state) == set()


def test_an_open_outage_burns_until_now() -> None:
    state = BurnState()
    state.observe("o1", NOW - timedelta(minutes=2), None)
    assert "burn-rate-fast" in firing(state)


def test_a_slow_burn_tickets_and_does_not_page() -> None:
    # 15 s down every 2 hours for 3 days: about 2x the allowed rate, never 6x.
    state = BurnState()
    for n in range(36):
        end = NOW - timedelta(hours=2 * n, minutes=10)
        state.observe(f"o{n}", end - timedelta(seconds=15), end)
    assert firing(state) == {"burn-rate-slow"}


def test_an_outage_that_ended_stops_the_fast_page_quickly() -> None:
    # The long window still sees it, the 5-minute window no longer does.
    state = BurnState()
    state.observe("o1", NOW - timedelta(minutes=20), NOW - timedelta(minutes=10))
    readings = {r.rule.name: r for r in evaluate(state, NOW, target_pct=99.9, budget_period=PERIOD)}
    assert readings["burn-rate-fast"].long_rate > 14.4
    assert not readings["burn-rate-fast"].firing


def test_downtime_inside_maintenance_does_not_burn() -> None:
    state = BurnState()
    state.observe("o1", NOW - timedelta(minutes=30), NOW)
    assert firing(state, [(NOW - timedelta(hours=1), NOW + timedelta(hours=1))]) == set()


def test_replaying_an_outage_does_not_count_it_twice() -> None:
    state = BurnState()
    for _ in range(3):
        state.observe("o1", NOW - timedelta(seconds=40), NOW)
    assert firing(state) == set()


def test_prune_keeps_open_and_recent_spans_only() -> None:
    state = BurnState()
    state.observe("old", NOW - timedelta(days=5), NOW - timedelta(days=4))
    state.observe("open", NOW - timedelta(days=5), None)
    state.observe("recent", NOW - timedelta(days=1), NOW - timedelta(hours=23))
    state.prune(NOW)
    assert set(state.spans) == {"open", "recent"}
    assert BurnState.model_validate_json(state.model_dump_json()) == state


def test_a_healthy_site_never_alerts() -> None:
    assert firing(BurnState()) == set()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3 * 24 * 3600), st.integers(1, 10)), min_size=0, max_size=20)
)
def test_short_blips_well_inside_the_budget_never_alert(blips: list[tuple[int, int]]) -> None:
    # Blips of up to 10 s anywhere in 3 days, 50 s in total: under 2 % of the budget
    # (51.84 s) even if all fall in one hour, and far under the 6 h and 3 d shares.
    state = BurnState()
    total = 0
    for n, (offset, seconds) in enumerate(blips):
        if total + seconds > 50:
            break
        total += seconds
        end = NOW - timedelta(seconds=offset)
        state.observe(f"b{n}", end - timedelta(seconds=seconds), end)
    assert firing(state) == set()
