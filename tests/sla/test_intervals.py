"""Interval arithmetic: examples on plain data and hypothesis properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sla.intervals import (
    Interval,
    clip,
    intersection,
    normalize,
    overlaps,
    subtract,
    total_seconds,
    union,
)
from tests.sla.fixtures import span, utc

BRUSSELS = ZoneInfo("Europe/Brussels")


def test_normalize_sorts_merges_overlapping_and_adjacent_and_drops_empty() -> None:
    got = normalize(
        [
            span("2026-01-01T10:00", "2026-01-01T11:00"),
            span("2026-01-01T09:00", "2026-01-01T10:00"),  # adjacent: merged
            span("2026-01-01T10:30", "2026-01-01T12:00"),  # overlapping: merged
            span("2026-01-01T13:00", "2026-01-01T13:00"),  # empty: dropped
            span("2026-01-01T15:00", "2026-01-01T14:00"),  # reversed: empty, dropped
            span("2026-01-01T14:00", "2026-01-01T14:30"),
        ]
    )
    assert got == [
        span("2026-01-01T09:00", "2026-01-01T12:00"),
        span("2026-01-01T14:00", "2026-01-01T14:30"),
    ]


def test_normalize_converts_every_bound_to_utc() -> None:
    local = datetime(2026, 7, 1, 12, 0, tzinfo=BRUSSELS)  # CEST, UTC+2
    (got,) = normalize([(local, local + timedelta(hours=1))])
    assert got == span("2026-07-01T10:00", "2026-07-01T11:00")
    assert got.start.tzinfo is UTC


def test_lengths_across_dst_use_real_elapsed_time() -> None:
    # Same tzinfo on both ends: plain subtraction would say 24 h, the night of
    # 2026-03-29 in Brussels lasts 23 h.
    start = datetime(2026, 3, 29, 0, 0, tzinfo=BRUSSELS)
    end = datetime(2026, 3, 30, 0, 0, tzinfo=BRUSSELS)
    assert total_seconds([(start, end)]) == 23 * 3600


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        normalize([(datetime(2026, 1, 1), datetime(2026, 1, 2))])


def test_intersection() -> None:
    a = [span("2026-01-01T00:00", "2026-01-01T02:00"), span("2026-01-01T03:00", "2026-01-01T05:00")]
    b = [span("2026-01-01T01:00", "2026-01-01T04:00")]
    assert intersection(a, b) == [
        span("2026-01-01T01:00", "2026-01-01T02:00"),
        span("2026-01-01T03:00", "2026-01-01T04:00"),
    ]
    assert intersection(a, []) == []
    # Touching intervals share no instant.
    assert (
        intersection(
            [span("2026-01-01T00:00", "2026-01-01T01:00")],
            [span("2026-01-01T01:00", "2026-01-01T02:00")],
        )
        == []
    )


def test_subtract_punches_holes_and_trims_ends() -> None:
    a = [span("2026-01-01T00:00", "2026-01-01T10:00")]
    b = [
        span("2025-12-31T23:00", "2026-01-01T01:00"),
        span("2026-01-01T03:00", "2026-01-01T04:00"),
        span("2026-01-01T05:00", "2026-01-01T06:00"),
        span("2026-01-01T09:30", "2026-01-01T11:00"),
    ]
    assert subtract(a, b) == [
        span("2026-01-01T01:00", "2026-01-01T03:00"),
        span("2026-01-01T04:00", "2026-01-01T05:00"),
        span("2026-01-01T06:00", "2026-01-01T09:30"),
    ]
    assert subtract(a, []) == a
    assert subtract([], b) == []
    assert subtract(a, a) == []


def test_subtract_one_cut_spanning_several_intervals() -> None:
    a = [span("2026-01-01T00:00", "2026-01-01T01:00"), span("2026-01-01T02:00", "2026-01-01T03:00")]
    b = [span("2026-01-01T00:30", "2026-01-01T02:30")]
    assert subtract(a, b) == [
        span("2026-01-01T00:00", "2026-01-01T00:30"),
        span("2026-01-01T02:30", "2026-01-01T03:00"),
    ]


def test_clip_and_total_seconds_with_microseconds() -> None:
    a = [span("2026-01-31T23:00", "2026-02-01T01:00")]
    assert clip(a, utc("2026-02-01T00:00"), utc("2026-03-01T00:00")) == [
        span("2026-02-01T00:00", "2026-02-01T01:00")
    ]
    tiny = [(utc("2026-01-01T00:00"), utc("2026-01-01T00:00:00.000001"))]
    assert total_seconds(tiny) == Fraction(1, 1_000_000)
    assert total_seconds(a + a) == 7200  # overlaps are counted once


def test_overlaps_is_half_open() -> None:
    a = span("2026-01-01T00:00", "2026-01-01T01:00")
    assert overlaps(a, span("2026-01-01T00:59", "2026-01-01T02:00"))
    assert not overlaps(a, span("2026-01-01T01:00", "2026-01-01T02:00"))


# --- properties -------------------------------------------------------------------------

BASE = datetime(2026, 1, 1, tzinfo=UTC)
OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))])


@st.composite
def intervals(draw: st.DrawFn) -> Interval:
    start = draw(st.integers(0, 10_000))
    length = draw(st.integers(-5, 3_000))
    zone = draw(OFFSETS)
    begin = (BASE + timedelta(minutes=start)).astimezone(zone)
    return Interval(begin, begin + timedelta(minutes=length))


interval_lists = st.lists(intervals(), max_size=12)


def _is_normal(spans: list[Interval]) -> bool:
    return all(s.start < s.end for s in spans) and all(a.end < b.start for a, b in pairwise(spans))


def _minutes(spans: list[Interval]) -> set[int]:
    """The set of whole minutes covered (every bound here is on a whole minute)."""
    covered: set[int] = set()
    for s in normalize(spans):
        first = int((s.start - BASE).total_seconds() // 60)
        last = int((s.end - BASE).total_seconds() // 60)
        covered.update(range(first, last))
    return covered


@given(interval_lists, st.randoms())
def test_union_is_idempotent_and_order_free(spans: list[Interval], rnd) -> None:  # type: ignore[no-untyped-def]
    once = union(spans)
    assert union(once) == once
    assert union(spans, spans) == once
    shuffled = list(spans)
    rnd.shuffle(shuffled)
    assert union(shuffled) == once
    assert _is_normal(once)


@given(interval_lists, interval_lists)
def test_set_operations_match_sets_of_minutes(a: list[Interval], b: list[Interval]) -> None:
    assert _minutes(union(a, b)) == _minutes(a) | _minutes(b)
    assert _minutes(intersection(a, b)) == _minutes(a) & _minutes(b)
    assert _minutes(subtract(a, b)) == _minutes(a) - _minutes(b)
    assert _is_normal(intersection(a, b)) and _is_normal(subtract(a, b))
    assert total_seconds(union(a, b)) == 60 * len(_minutes(a) | _minutes(b))
