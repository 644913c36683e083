"""The formula on plain data, the exact boundary, and hypothesis properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from sla.availability import (
    SiteMonth,
    availability_pct,
    budget_left_seconds,
    compute_site_month,
    meets_target,
)
from sla.calendar import month_interval
from sla.contract import Contract
from sla.intervals import Interval, clip, subtract
from tests.sla.fixtures import CONTRACT, span, utc


def month(name: str, outages=(), maintenance=(), exclusions=()) -> SiteMonth:  # type: ignore[no-untyped-def]
    return compute_site_month(CONTRACT, "acme", name, outages, maintenance, exclusions)


def test_43_2_minutes_in_a_30_day_month_is_exactly_99_90_and_meets_99_9() -> None:
    # April 2026 in Brussels: 30 days, no DST change, T = 43 200 min; 0.1 % of it is 43.2 min.
    got = month("2026-04", outages=[span("2026-04-10T10:00", "2026-04-10T10:43:12")])
    assert got.total_minutes == 43_200.0
    assert got.downtime_seconds == Fraction(2592)
    assert got.availability == Fraction(999, 10)
    assert got.met is True
    assert got.budget_left == 0


def test_one_microsecond_more_misses_the_target() -> None:
    outage = (utc("2026-04-10T10:00"), utc("2026-04-10T10:43:12") + timedelta(microseconds=1))
    got = month("2026-04", outages=[outage])
    assert got.met is False
    assert got.budget_left == Fraction(-1, 1_000_000)


def test_the_issue_example() -> None:
    # Jan 2026: T = 44 640 min, M = 120, D = 30 (42.5 min of outage, 12.5 excluded).
    got = month(
        "2026-01",
        outages=[span("2026-01-20T10:00", "2026-01-20T10:42:30")],
        maintenance=[span("2026-01-10T02:00", "2026-01-10T04:00")],
        exclusions=[span("2026-01-20T10:30", "2026-01-20T11:00")],
    )
    assert (got.total_minutes, got.maintenance_minutes) == (44_640.0, 120.0)
    assert (got.downtime_minutes, got.excluded_minutes) == (30.0, 12.5)
    # (44640 - 120 - 30) / (44640 - 120) * 100 = 44490 / 44520 * 100
    assert got.availability == Fraction(44_490, 44_520) * 100
    assert got.availability_float == 99.93261455525607
    assert got.met is True


def test_ledger_row_carries_the_figures() -> None:
    got = month("2026-04", outages=[span("2026-04-10T10:00", "2026-04-10T10:43:12")])
    row = got.to_ledger_row(version=3, computed_at=utc("2026-04-30T00:00"))
    assert (row.site, row.month, row.version) == ("acme", "2026-04", 3)
    assert (row.total_minutes, row.downtime_minutes, row.availability_pct) == (43_200, 43.2, 99.9)
    assert (row.met, row.budget_left_minutes, row.target_pct) == (True, 0.0, 99.9)


def test_outage_straddling_the_month_end_is_split_between_months() -> None:
    # January ends at 2026-01-31T23:00Z in Brussels: 30 min in January, 60 in February.
    outage = [span("2026-01-31T22:30", "2026-02-01T00:00")]
    assert month("2026-01", outages=outage).downtime_minutes == 30.0
    assert month("2026-02", outages=outage).downtime_minutes == 60.0


def test_dst_months_have_their_real_length() -> None:
    assert month("2026-03").total_minutes == 44_580.0  # 31 days - 1 h
    assert month("2026-10").total_minutes == 44_700.0  # 31 days + 1 h


def test_maintenance_removes_outage_time_and_exclusions_cover_the_rest() -> None:
    # Outage 10:00-12:00; maintenance 10:00-11:00; exclusion 10:30-11:30.
    # M = 60. Outage outside maintenance = 11:00-12:00 (60 min): excluded 11:00-11:30 (30),
    # D = 30. The exclusion's half inside maintenance is not counted as excluded.
    got = month(
        "2026-01",
        outages=[span("2026-01-20T10:00", "2026-01-20T12:00")],
        maintenance=[span("2026-01-20T10:00", "2026-01-20T11:00")],
        exclusions=[span("2026-01-20T10:30", "2026-01-20T11:30")],
    )
    assert (got.maintenance_minutes, got.downtime_minutes, got.excluded_minutes) == (60, 30, 30)


def test_overlapping_maintenance_and_outages_are_counted_once() -> None:
    got = month(
        "2026-01",
        outages=[span("2026-01-20T10:00", "2026-01-20T12:00")] * 2
        + [span("2026-01-20T11:00", "2026-01-20T13:00")],
        maintenance=[
            span("2026-01-05T02:00", "2026-01-05T04:00"),
            span("2026-01-05T03:00", "2026-01-05T05:00"),
        ],
    )
    assert (got.maintenance_minutes, got.downtime_minutes) == (180, 180)


def test_maintenance_outside_the_month_is_clipped() -> None:
    got = month("2026-01", maintenance=[span("2025-12-31T22:00", "2026-01-01T00:00")])
    assert got.maintenance_minutes == 60  # only 23:00-00:00 UTC is in January (Brussels)


def test_availability_is_undefined_when_the_whole_month_is_maintenance() -> None:
    got = month("2026-02", maintenance=[span("2026-01-01T00:00", "2026-03-01T00:00")])
    assert got.availability is None
    assert got.met is None and got.budget_left is None and got.budget_left_minutes is None
    assert availability_pct(Fraction(10), Fraction(10), Fraction(0)) is None


def test_helpers() -> None:
    assert meets_target(Fraction(999, 10), Decimal("99.9")) is True
    assert meets_target(Fraction(999, 10) - Fraction(1, 10**12), Decimal("99.9")) is False
    assert meets_target(None, Decimal("99.9")) is None
    # 30-day month, target 99.9: budget 43.2 min; 10 min used -> 33.2 min left.
    assert budget_left_seconds(
        Fraction(2_592_000), Fraction(0), Fraction(600), Decimal("99.9")
    ) == (Fraction(1992))


def test_target_comes_from_the_contract() -> None:
    strict = Contract(target_pct=Decimal("99.95"))
    got = compute_site_month(
        strict, "acme", "2026-04", [span("2026-04-01T10:00", "2026-04-01T10:30")], [], []
    )
    # 30 min of 43 200: 99.930555... < 99.95
    assert got.met is False and got.target_pct == Decimal("99.95")


# --- properties -------------------------------------------------------------------------

BASE = datetime(2026, 1, 25, tzinfo=UTC)  # spans run into February: clipping is exercised


@st.composite
def spans(draw: st.DrawFn) -> Interval:
    start = BASE + timedelta(minutes=draw(st.integers(0, 20_000)))
    return Interval(start, start + timedelta(minutes=draw(st.integers(0, 5_000))))


span_lists = st.lists(spans(), max_size=6)


@given(span_lists, span_lists, span_lists)
def test_downtime_is_between_zero_and_the_measured_time(o, m, e) -> None:  # type: ignore[no-untyped-def]
    got = month("2026-01", o, m, e)
    assert 0 <= got.downtime_seconds <= got.total_seconds - got.maintenance_seconds
    assert got.excluded_seconds >= 0
    assert got.availability is None or 0 <= got.availability <= 100


@given(span_lists, span_lists, span_lists, spans())
def test_adding_an_outage_never_raises_availability(o, m, e, extra) -> None:  # type: ignore[no-untyped-def]
    before = month("2026-01", o, m, e).availability
    after = month("2026-01", [*o, extra], m, e).availability
    assert before is None or after is None or after <= before


@given(span_lists, span_lists, span_lists, spans())
def test_adding_maintenance_never_raises_downtime(o, m, e, extra) -> None:  # type: ignore[no-untyped-def]
    before = month("2026-01", o, m, e)
    after = month("2026-01", o, [*m, extra], e)
    assert after.downtime_seconds <= before.downtime_seconds
    assert after.maintenance_seconds >= before.maintenance_seconds


@given(
    span_lists, span_lists, span_lists, st.integers(0, 5), st.integers(0, 100), st.integers(1, 100)
)
def test_adding_maintenance_over_downtime_never_lowers_availability(  # type: ignore[no-untyped-def]
    o, m, e, pick, offset_pct, length_pct
) -> None:
    before = month("2026-01", o, m, e)
    # A window inside the month's downtime (outages minus maintenance minus exclusions).
    downtime = subtract(subtract(clip(o, *month_interval("2026-01", CONTRACT.timezone)), m), e)
    if not downtime:
        return
    piece = downtime[pick % len(downtime)]
    start = piece.start + (piece.end - piece.start) * offset_pct // 100
    end = min(piece.end, start + (piece.end - piece.start) * length_pct // 100)
    after = month("2026-01", o, [*m, (start, end)], e)
    assert before.availability is not None
    assert after.availability is None or after.availability >= before.availability


@given(span_lists, span_lists, span_lists, spans())
def test_adding_maintenance_lowers_availability_only_when_it_covers_less_than_its_share(  # type: ignore[no-untyped-def]
    o, m, e, extra
) -> None:
    # The exact rule behind "maintenance never lowers A": with A = 1 - D/(T-M), adding a
    # window of x new maintenance seconds, y of which were downtime, gives
    # A' >= A  <=>  y * (T - M) >= D * x. A window that only covers uptime (y = 0) while
    # the month has downtime (D > 0) therefore lowers A slightly: T - M shrinks.
    before = month("2026-01", o, m, e)
    after = month("2026-01", o, [*m, extra], e)
    if before.availability is None or after.availability is None:
        return
    x = after.maintenance_seconds - before.maintenance_seconds
    y = before.downtime_seconds - after.downtime_seconds
    measured = before.total_seconds - before.maintenance_seconds
    covers_its_share = y * measured >= before.downtime_seconds * x
    assert (after.availability >= before.availability) is covers_its_share


def test_maintenance_on_uptime_lowers_availability_when_there_is_downtime() -> None:
    # April (43 200 min), 60 min down: A = 43140/43200. One hour of maintenance on uptime:
    # A = 43080/43140, lower. The formula removes M from both T and the uptime.
    down = [span("2026-04-10T10:00", "2026-04-10T11:00")]
    plain = month("2026-04", outages=down)
    maintained = month(
        "2026-04", outages=down, maintenance=[span("2026-04-11T10:00", "2026-04-11T11:00")]
    )
    assert plain.availability == Fraction(43_140, 43_200) * 100
    assert maintained.availability == Fraction(43_080, 43_140) * 100
    assert maintained.availability < plain.availability
