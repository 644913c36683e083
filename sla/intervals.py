"""Interval arithmetic on half-open ``[start, end)`` intervals of timezone-aware instants.

Every function accepts any iterable of intervals (in any order, overlapping, in any time
zone) and returns a *normalised* list: sorted, disjoint, non-adjacent, non-empty, every
bound converted to UTC. Normalising first matters because Python compares and subtracts
two datetimes that share a ``tzinfo`` by their wall-clock fields, ignoring DST offsets;
in UTC that pitfall cannot occur. Naive datetimes are rejected.

The functions work on sorted lists with linear merges (after an ``O(n log n)`` sort), so
they are cheap enough for the stream's hot path.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import NamedTuple

_MICROSECOND = timedelta(microseconds=1)


class Interval(NamedTuple):
    """A half-open interval ``[start, end)`` of timezone-aware instants."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> Fraction:
        """Exact length in seconds (microsecond resolution); negative if end < start."""
        return Fraction((self.end - self.start) // _MICROSECOND, 1_000_000)


def to_utc(instant: datetime) -> datetime:
    """The same instant in UTC; raises ``ValueError`` for a naive datetime."""
    zone = instant.tzinfo
    if zone is UTC:  # the common case, checked first: this runs for every bound
        return instant
    if zone is None or zone.utcoffset(instant) is None:
        raise ValueError(f"naive datetime {instant.isoformat()} (an offset is required)")
    return instant.astimezone(UTC)


def normalize(intervals: Iterable[tuple[datetime, datetime]]) -> list[Interval]:
    """The union of ``intervals`` as a sorted list of disjoint, non-adjacent intervals.

    Empty intervals (``end <= start``) are dropped; adjacent ones (``a.end == b.start``)
    are merged, so equal unions always have equal representations.
    """
    spans = sorted((s, e) for s, e in ((to_utc(a), to_utc(b)) for a, b in intervals) if s < e)
    merged: list[Interval] = []
    for start, end in spans:
        if merged and start <= merged[-1].end:
            if end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, end)
        else:
            merged.append(Interval(start, end))
    return merged


def union(*groups: Iterable[tuple[datetime, datetime]]) -> list[Interval]:
    """The union of every interval in every group, normalised."""
    return normalize(interval for group in groups for interval in group)


def intersection(
    a: Iterable[tuple[datetime, datetime]], b: Iterable[tuple[datetime, datetime]]
) -> list[Interval]:
    """The instants that are in both ``a`` and ``b``, normalised."""
    return intersect_normalized(normalize(a), normalize(b))


def subtract(
    a: Iterable[tuple[datetime, datetime]], b: Iterable[tuple[datetime, datetime]]
) -> list[Interval]:
    """The instants of ``a`` that are not in ``b``, normalised."""
    return subtract_normalized(normalize(a), normalize(b))


def intersect_normalized(left: list[Interval], right: list[Interval]) -> list[Interval]:
    """:func:`intersection` of two lists that :func:`normalize` returned (not checked).

    For hot paths that already hold normalised lists: it skips the sort and conversion.
    """
    result: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i].start, right[j].start)
        end = min(left[i].end, right[j].end)
        if start < end:
            result.append(Interval(start, end))
        # Advance whichever interval finishes first: it cannot meet anything further.
        if left[i].end <= right[j].end:
            i += 1
        else:
            j += 1
    return result


def subtract_normalized(left: list[Interval], cut: list[Interval]) -> list[Interval]:
    """:func:`subtract` on two lists that :func:`normalize` returned (not checked)."""
    result: list[Interval] = []
    j = 0
    for start, end in left:
        # Skip the parts of ``cut`` entirely before this interval.
        while j < len(cut) and cut[j].end <= start:
            j += 1
        k = j
        cursor = start
        while k < len(cut) and cut[k].start < end:
            if cut[k].start > cursor:
                result.append(Interval(cursor, cut[k].start))
            cursor = max(cursor, cut[k].end)
            k += 1
        if cursor < end:
            result.append(Interval(cursor, end))
    return result


def clip(
    intervals: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime
) -> list[Interval]:
    """The parts of ``intervals`` inside ``[start, end)``, normalised."""
    low, high = to_utc(start), to_utc(end)
    return [
        Interval(max(s, low), min(e, high)) for s, e in normalize(intervals) if s < high and e > low
    ]


def total_seconds(intervals: Iterable[tuple[datetime, datetime]]) -> Fraction:
    """Exact length of the union of ``intervals`` in seconds (overlaps counted once)."""
    return seconds_of_normalized(normalize(intervals))


def seconds_of_normalized(intervals: list[Interval]) -> Fraction:
    """:func:`total_seconds` of a list that :func:`normalize` returned (not checked)."""
    # Sum whole microseconds first: one Fraction instead of one per interval.
    micros = sum((end - start) // _MICROSECOND for start, end in intervals)
    return Fraction(micros, 1_000_000)


def overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    """Whether two half-open intervals share at least one instant."""
    return to_utc(a[0]) < to_utc(b[1]) and to_utc(b[0]) < to_utc(a[1])
