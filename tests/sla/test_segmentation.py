"""Segmentation of outages and the ledger row: plain data, no Faust."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sla.availability import compute_site_month
from sla.model import ExclusionEvent, MaintenanceEvent, Segment
from sla.segmentation import (
    ClosedOutage,
    Piece,
    contract_events,
    ledger_row,
    reconcile,
    segment,
)
from tests.sla.fixtures import CONTRACT, utc

OUTAGE = ClosedOutage("s1|o", "s1", utc("2026-11-02T10:00"), utc("2026-11-02T11:00"))


def maint(
    start: str, end: str, sites: list[str] | str = "*", mid: str = "m1", **kw: object
) -> MaintenanceEvent:
    return MaintenanceEvent(
        id=mid,
        sites=sites,  # type: ignore[arg-type]
        start=utc(start),
        end=utc(end),
        announced_at=utc("2026-10-01T00:00"),
        **kw,  # type: ignore[arg-type]
    )


def excl(start: str, end: str, reason: str = "client_isp", site: str = "s1") -> ExclusionEvent:
    return ExclusionEvent(site=site, start=utc(start), end=utc(end), reason=reason)  # type: ignore[arg-type]


def labels(pieces: list[Piece]) -> list[tuple[str, str, str, str | None]]:
    return [
        (p.start.strftime("%H:%M"), p.end.strftime("%H:%M"), p.label, p.reason or p.maintenance_id)
        for p in pieces
    ]


def test_plain_outage_is_one_downtime_segment() -> None:
    assert labels(segment(OUTAGE, [], [])) == [("10:00", "11:00", "downtime", None)]


def test_maintenance_wins_over_exclusion_and_both_cut_the_downtime() -> None:
    pieces = segment(
        OUTAGE,
        [maint("2026-11-02T10:10", "2026-11-02T10:30")],
        [excl("2026-11-02T10:20", "2026-11-02T10:40", "force_majeure")],
    )
    assert labels(pieces) == [
        ("10:00", "10:10", "downtime", None),
        ("10:10", "10:30", "maintenance", "m1"),
        ("10:30", "10:40", "excluded", "force_majeure"),
        ("10:40", "11:00", "downtime", None),
    ]


def test_cancelled_windows_and_other_sites_do_not_count() -> None:
    pieces = segment(
        OUTAGE,
        [
            maint("2026-11-02T10:00", "2026-11-02T11:00", cancelled=True),
            maint("2026-11-02T10:00", "2026-11-02T11:00", sites=["s2"], mid="m2"),
        ],
        [excl("2026-11-02T10:00", "2026-11-02T11:00", site="s2")],
    )
    assert labels(pieces) == [("10:00", "11:00", "downtime", None)]


def test_systemic_outage_is_excluded_outside_maintenance() -> None:
    systemic = ClosedOutage("s1|o", "s1", OUTAGE.start, OUTAGE.end, "internet_systemic")
    pieces = segment(systemic, [maint("2026-11-02T10:30", "2026-11-02T12:00")], [])
    assert labels(pieces) == [
        ("10:00", "10:30", "excluded", "internet_systemic"),
        ("10:30", "11:00", "maintenance", "m1"),
    ]


def test_reconcile_emits_changes_with_a_higher_version_and_tombstones() -> None:
    first, emitted = reconcile(OUTAGE, {}, segment(OUTAGE, [], []))
    assert [(s.label, s.version, s.deleted) for s in emitted] == [("downtime", 1, False)]
    again, emitted = reconcile(OUTAGE, first, segment(OUTAGE, [], []))
    assert emitted == [] and again == first
    late = [maint("2026-11-02T09:00", "2026-11-02T10:30")]
    second, emitted = reconcile(OUTAGE, first, segment(OUTAGE, late, []))
    got = sorted((s.start.strftime("%H:%M"), s.label, s.version, s.deleted) for s in emitted)
    # Same id (same start) re-labelled as maintenance; the new downtime piece is new.
    assert got == [("10:00", "maintenance", 2, False), ("10:30", "downtime", 2, False)]
    cancelled = [late[0].model_copy(update={"cancelled": True})]
    _, emitted = reconcile(OUTAGE, second, segment(OUTAGE, cancelled, []))
    got = sorted((s.start.strftime("%H:%M"), s.label, s.version, s.deleted) for s in emitted)
    assert got == [("10:00", "downtime", 3, False), ("10:30", "downtime", 3, True)]


def test_segment_ids_are_deterministic() -> None:
    a = reconcile(OUTAGE, {}, segment(OUTAGE, [], []))[1]
    b = reconcile(OUTAGE, {}, segment(OUTAGE, [], []))[1]
    assert [s.id for s in a] == [s.id for s in b] == ["s1|2026-11-02T10:00:00+00:00"]


def test_contract_events_of_a_systemic_outage_include_the_exclusion() -> None:
    systemic = ClosedOutage("s1|o", "s1", OUTAGE.start, OUTAGE.end, "internet_systemic")
    kinds = [(e.type, getattr(e, "reason", None)) for e in contract_events(systemic)]
    assert kinds == [("outage", None), ("exclusion", "internet_systemic")]


def test_ledger_row_matches_the_formula_and_the_segments() -> None:
    windows = [maint("2026-11-02T10:10", "2026-11-02T10:30")]
    exclusions = [excl("2026-11-02T10:40", "2026-11-02T10:50")]
    row = ledger_row(CONTRACT, "s1", "2026-11", [OUTAGE], windows, exclusions, 4, OUTAGE.end)
    assert row.maintenance_minutes == 20 and row.excluded_minutes == 10
    assert row.downtime_minutes == 30 and row.version == 4
    assert row.total_minutes == 30 * 24 * 60
    assert row.availability_pct is not None
    assert abs(row.availability_pct - (43200 - 20 - 30) / (43200 - 20) * 100) < 1e-9
    # The budget is (T − M) × 0.1 % = 43.18 minutes: 30 minutes of downtime meet the target.
    assert row.met is True
    assert row.budget_left_minutes is not None
    assert abs(row.budget_left_minutes - ((43200 - 20) * 0.001 - 30)) < 1e-9


_minute = st.integers(0, 180)


@settings(max_examples=100, deadline=None)
@given(
    outage=st.tuples(_minute, st.integers(1, 120)),
    windows=st.lists(st.tuples(_minute, st.integers(1, 60), st.booleans()), max_size=3),
    exclusions=st.lists(st.tuples(_minute, st.integers(1, 60)), max_size=3),
)
def test_segments_partition_the_outage_and_add_up_to_the_ledger(
    outage: tuple[int, int],
    windows: list[tuple[int, int, bool]],
    exclusions: list[tuple[int, int]],
) -> None:
    base = utc("2026-11-02T10:00")

    def at(m: int) -> datetime:
        return base + timedelta(minutes=m)

    out = ClosedOutage("s1|x", "s1", at(outage[0]), at(outage[0] + outage[1]))
    maints = [
        MaintenanceEvent(
            id=f"m{i}", sites="*", start=at(s), end=at(s + d), announced_at=base, cancelled=c
        )
        for i, (s, d, c) in enumerate(windows)
    ]
    excls = [
        ExclusionEvent(site="s1", start=at(s), end=at(s + d), reason="client_isp")
        for s, d in exclusions
    ]
    pieces = segment(out, maints, excls)
    assert pieces[0].start == out.start and pieces[-1].end == out.end
    for left, right in itertools.pairwise(pieces):
        assert left.end == right.start
    minutes = {"downtime": 0.0, "maintenance": 0.0, "excluded": 0.0}
    for p in pieces:
        minutes[p.label] += (p.end - p.start).total_seconds() / 60
    row = ledger_row(CONTRACT, "s1", "2026-11", [out], maints, excls, 1, base)
    assert abs(row.downtime_minutes - minutes["downtime"]) < 1e-9
    assert abs(row.excluded_minutes - minutes["excluded"]) < 1e-9
    figures = compute_site_month(
        CONTRACT,
        "s1",
        "2026-11",
        [(out.start, out.end)],
        [(m.start, m.end) for m in maints if not m.cancelled],
        [(e.start, e.end) for e in excls],
    )
    assert row.availability_pct == figures.availability_float


def test_segment_model_roundtrips_through_json() -> None:
    _, emitted = reconcile(OUTAGE, {}, segment(OUTAGE, [], []))
    assert Segment.model_validate_json(emitted[0].model_dump_json()) == emitted[0]
