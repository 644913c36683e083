"""Migration 0051: ``support_requests`` counts business hours exactly as ``sla.support`` does.

The store's ``business_hours`` table is seeded from the contract's calendar
(``sinks.clickhouse.record_business_hours``); the view's ``response_business_hours`` and
``resolution_business_hours`` must equal ``sla.support.measure`` on the same events.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sinks.clickhouse import record_business_hours
from sinks.rows import Received
from sinks.service import prepare_store
from sla.calendar import BusinessCalendar
from sla.contract import Contract
from sla.model import SupportEvent
from sla.support import fold, measure
from slawatch.alerting.rows import support_row
from slawatch.config import Settings
from slawatch.store.migrations import REPO_MIGRATIONS
from tests.conftest import fresh_database

CONTRACT = Contract()  # 09:00-17:30 EST (UTC-5) on Belgian business days
CALENDAR = BusinessCalendar.from_contract(CONTRACT)
SEEDED_AT = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 1, tzinfo=UTC)  # after every instant below
_ids = itertools.count()


def est(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A 2026 instant given in EST (UTC-5), returned in UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC) + timedelta(hours=5)


def events(
    received: datetime,
    acknowledged: datetime | None = None,
    resolved: datetime | None = None,
) -> list[SupportEvent]:
    """The steps of one new request (a fresh id, so tests share a store)."""
    request_id = f"R{next(_ids)}"
    steps = [("received", received), ("acknowledged", acknowledged), ("resolved", resolved)]
    return [
        SupportEvent(request_id=request_id, step=step, at=at, priority="high")
        for step, at in steps
        if at is not None
    ]


def store_events(client: Any, batch: list[SupportEvent]) -> None:
    got = Received(topic="support", timestamp_ms=1)
    rows = [support_row(e.model_dump_json().encode(), got) for e in batch]
    columns = list(rows[0])
    client.insert("support_events", [[r[c] for c in columns] for r in rows], column_names=columns)


def sql_hours(client: Any, batch: list[SupportEvent]) -> dict[str, tuple[Any, Any]]:
    """request id → (response, resolution) business hours, as the view says."""
    ids = sorted({e.request_id for e in batch})
    result = client.query(
        "SELECT request_id, response_business_hours, resolution_business_hours "
        "FROM support_requests WHERE request_id IN {ids:Array(String)}",
        parameters={"ids": ids},
    )
    return {r[0]: (r[1], r[2]) for r in result.result_rows}


def domain_hours(
    batch: list[SupportEvent], contract: Contract = CONTRACT
) -> dict[str, tuple[Any, Any]]:
    """request id → (response, resolution) business hours, as the alert engine counts them."""
    calendar = BusinessCalendar.from_contract(contract)
    measured = (measure(r, contract, calendar, NOW) for r in fold(batch).values())
    return {m.request.request_id: (m.response_hours, m.resolution_hours) for m in measured}


def approx(hours: dict[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
    # SQL counts milliseconds in Float64, the domain exact microseconds: equal to 1e-9 h.
    return {
        k: tuple(None if v is None else pytest.approx(v, abs=1e-9) for v in pair)
        for k, pair in hours.items()
    }


@pytest.fixture(scope="module")
def store(clickhouse_dsn: str) -> Iterator[Any]:
    """A migrated database of this module with the default contract's calendar seeded."""
    with fresh_database(clickhouse_dsn, REPO_MIGRATIONS) as client:
        assert record_business_hours(client, CALENDAR, SEEDED_AT) > 5000
        yield client


CASES = {
    # Friday 15:00 EST → Monday 11:00 EST: 2.5 h on Friday, 2 h on Monday.
    "across a weekend": (events(est(4, 17, 15), acknowledged=est(4, 20, 11)), (4.5, None)),
    # Friday 3 April 16:00 EST → Tuesday 7 April 10:00 EST: the weekend and Easter Monday
    # (6 April) do not count; resolved without an acknowledgement answers the request too.
    "across Easter Monday": (events(est(4, 3, 16), resolved=est(4, 7, 10)), (2.5, 2.5)),
    # Tuesday 10 November 17:00 → Thursday 12 November 09:30 (resolved Monday 16, 09:00):
    # Armistice Day (Wednesday 11) and the weekend do not count.
    "across 11 November": (
        events(est(11, 10, 17), acknowledged=est(11, 12, 9, 30), resolved=est(11, 16, 9)),
        (1.0, 17.5),
    ),
    # Received on Sunday night (EST), answered Monday 10:00 EST: only Monday's hour counts.
    "received outside business hours": (
        events(est(4, 19, 22), acknowledged=est(4, 20, 10)),
        (1.0, None),
    ),
    # Received and acknowledged the same evening: no business hour in between.
    "inside one night": (events(est(4, 21, 18), acknowledged=est(4, 21, 23, 59)), (0.0, None)),
    "open request": (events(est(4, 22, 10)), (None, None)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hand_picked_requests_match_the_domain(store: Any, case: str) -> None:
    batch, expected = CASES[case]
    store_events(store, batch)
    ((request_id, domain),) = domain_hours(batch).items()
    assert domain == expected  # the case is what its comment says
    assert sql_hours(store, batch) == approx({request_id: domain})


def test_every_column_of_0050_is_kept(store: Any) -> None:
    batch = events(est(4, 17, 15), acknowledged=est(4, 20, 11))
    store_events(store, batch)
    ((request_id, received_at, acknowledged_at, wall),) = store.query(
        "SELECT request_id, received_at, acknowledged_at, response_wall_hours "
        "FROM support_requests WHERE request_id = {id:String}",
        parameters={"id": batch[0].request_id},
    ).result_rows
    assert (request_id, received_at.replace(tzinfo=UTC), acknowledged_at.replace(tzinfo=UTC)) == (
        batch[0].request_id,
        batch[0].at,
        batch[1].at,
    )
    assert wall == (batch[1].at - batch[0].at) / timedelta(hours=1)


# Instants over a few months around Easter, at millisecond resolution (the store's).
_START = datetime(2026, 3, 1, tzinfo=UTC)
instants = st.integers(0, 120 * 24 * 3600 * 1000).map(
    lambda ms: _START + timedelta(milliseconds=ms)
)
delays = st.none() | st.integers(0, 20 * 24 * 3600 * 1000).map(
    lambda ms: timedelta(milliseconds=ms)
)
requests = st.tuples(instants, delays, delays)


@settings(max_examples=50, deadline=None)
@given(st.lists(requests, min_size=1, max_size=4))
def test_random_requests_match_the_domain(store: Any, drawn: list[Any]) -> None:
    batch = [
        event
        for received, ack, res in drawn
        for event in events(
            received,
            acknowledged=None if ack is None else received + ack,
            resolved=None if res is None else received + res,
        )
    ]
    store_events(store, batch)
    assert sql_hours(store, batch) == approx(domain_hours(batch))


def test_a_changed_calendar_reseeds_the_table(migrated_clickhouse: Any) -> None:
    client = migrated_clickhouse
    assert record_business_hours(client, CALENDAR, SEEDED_AT, years=(2026, 2026)) > 200
    assert record_business_hours(client, CALENDAR, SEEDED_AT, years=(2026, 2026)) == 0
    # Auckland's 09:00-17:30 is the previous UTC date's evening: the view must look a day
    # around each UTC date. New Zealand's holidays replace Belgium's.
    contract = Contract.model_validate(
        {
            "holidays": "NZ",
            "business_hours": {"start": "09:00", "end": "17:30", "timezone": "Pacific/Auckland"},
        }
    )
    auckland = BusinessCalendar.from_contract(contract)
    later = SEEDED_AT + timedelta(days=1)
    written = record_business_hours(client, auckland, later, years=(2026, 2026))
    assert written == len(auckland.business_days(date(2026, 1, 1), date(2026, 12, 31)))
    held = client.query(
        "SELECT DISTINCT country, hours_start, hours_end, timezone, seeded_at FROM business_hours"
    ).result_rows
    assert held == [("NZ", "09:00:00", "17:30:00", "Pacific/Auckland", later.replace(tzinfo=None))]
    # Monday 4 May 2026 16:00 NZST (04:00 UTC) → Tuesday 5 May 10:00 NZST (Monday 22:00 UTC).
    batch = events(
        datetime(2026, 5, 4, 4, tzinfo=UTC), acknowledged=datetime(2026, 5, 4, 22, tzinfo=UTC)
    )
    store_events(client, batch)
    ((request_id, hours),) = domain_hours(batch, contract).items()
    assert hours == (2.5, None)
    assert sql_hours(client, batch) == approx({request_id: hours})


def test_business_hours_are_the_contract_windows() -> None:
    # Windows are local 09:00-17:30 in the contract's zone, on Belgian business days only.
    days = CALENDAR.business_days(date(2026, 4, 3), date(2026, 4, 7))
    assert [(d.isoformat(), w.start.time(), w.end.time()) for d, w in days] == [
        ("2026-04-03", time(14), time(22, 30)),
        ("2026-04-07", time(14), time(22, 30)),
    ]


def test_the_readme_query_runs_on_business_hours(store: Any) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Store and dashboard", 1)[1].split("\n### ", 1)[0]
    (sql,) = re.findall(r"```sql\n(.*?)```", section, re.DOTALL)
    batch = events(est(4, 17, 15), acknowledged=est(4, 20, 11))
    store_events(store, batch)
    result = store.query(sql)
    assert result.column_names == ("priority", "requests", "mean_response_h", "max_response_h")
    ((priority, requests, mean, longest),) = result.result_rows  # every request here is high
    assert priority == "high" and requests >= 1 and longest >= 4.5 and 0 <= mean <= longest


def test_prepare_store_seeds_once_per_calendar(migrated_clickhouse: Any) -> None:
    client = migrated_clickhouse
    settings = Settings()
    prepare_store(client, settings)
    first = client.query("SELECT count(), min(day), max(day), any(seeded_at) FROM business_hours")
    ((count, low, high, seeded),) = first.result_rows
    expected = CALENDAR.business_days(date(2020, 1, 1), date(2040, 12, 31))
    assert (count, low, high) == (len(expected), expected[0][0], expected[-1][0])
    prepare_store(client, settings)  # a restart with the same contract rewrites nothing
    assert client.query("SELECT count(), any(seeded_at) FROM business_hours").result_rows == [
        (count, seeded)
    ]
