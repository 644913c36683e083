"""build_report on plain events: which sites, which windows, which version of a window."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from sla.model import ExclusionEvent, MaintenanceEvent, OutageEvent
from sla.render import render_json, render_text
from sla.report import build_report
from tests.sla.fixtures import CONTRACT, utc

EARLY = utc("2025-12-01T12:00")


def window(id: str, sites: list[str] | str, start: str, end: str, **kw: bool) -> MaintenanceEvent:
    return MaintenanceEvent(
        id=id, sites=sites, start=utc(start), end=utc(end), announced_at=EARLY, **kw
    )  # type: ignore[arg-type]


def outage(site: str, start: str, end: str) -> OutageEvent:
    return OutageEvent(site=site, start=utc(start), end=utc(end))


def test_reported_sites_are_every_named_site_never_star() -> None:
    events = [
        outage("c", "2026-03-01T10:00", "2026-03-01T11:00"),  # outside January: still reported
        window("m", ["b", "a"], "2026-01-10T02:00", "2026-01-10T03:00"),
        window("all", "*", "2026-01-11T02:00", "2026-01-11T03:00"),
        ExclusionEvent(
            site="*",
            start=utc("2026-01-01T00:00"),
            end=utc("2026-01-02T00:00"),
            reason="third_party",
        ),
        ExclusionEvent(
            site="d",
            start=utc("2026-01-01T00:00"),
            end=utc("2026-01-02T00:00"),
            reason="client_action",
        ),
    ]
    report = build_report(CONTRACT, events, "2026-01")
    assert [s.site for s in report.sites] == ["a", "b", "c", "d"]
    # "*" maintenance counts for every reported site, listed ones only for themselves.
    assert [s.maintenance_minutes for s in report.sites] == [120, 120, 60, 60]
    assert [s.availability_float for s in report.sites] == [100.0] * 4
    assert build_report(CONTRACT, events, "2026-01", site="c").sites[0].site == "c"
    assert build_report(CONTRACT, events, "2026-01", site="zz").sites == []


def test_maintenance_listed_when_it_overlaps_the_month_and_covers_the_site() -> None:
    events = [
        window("dec", ["a"], "2025-12-31T20:00", "2025-12-31T23:00"),  # ends at Jan's first instant
        window("straddle", ["a"], "2025-12-31T22:00", "2026-01-01T01:00"),
        window("b-only", ["b"], "2026-01-15T02:00", "2026-01-15T03:00"),
        window("all", "*", "2026-01-20T02:00", "2026-01-20T03:00"),
        window("feb", ["a"], "2026-01-31T23:00", "2026-02-01T01:00"),  # February in Brussels
        window("cancelled", ["a"], "2026-01-21T02:00", "2026-01-21T03:00", cancelled=True),
    ]
    ids = [a.window.id for a in build_report(CONTRACT, events, "2026-01").maintenance]
    assert ids == ["straddle", "b-only", "all"]
    ids = [a.window.id for a in build_report(CONTRACT, events, "2026-01", site="a").maintenance]
    assert ids == ["straddle", "all"]


def test_last_version_of_a_window_wins() -> None:
    events = [
        window("m", ["a"], "2026-01-10T02:00", "2026-01-10T03:00"),
        window("m", ["a"], "2026-01-17T02:00", "2026-01-17T05:00"),  # moved and lengthened
    ]
    report = build_report(CONTRACT, events, "2026-01")
    assert report.sites[0].maintenance_minutes == 180
    assert [a.window.start for a in report.maintenance] == [utc("2026-01-17T02:00")]


def test_exclusions_with_the_same_id_are_versions_without_id_all_count() -> None:
    def excl(id: str | None, start: str, end: str) -> ExclusionEvent:
        return ExclusionEvent(id=id, site="a", start=utc(start), end=utc(end), reason="client_isp")

    events = [
        outage("a", "2026-01-10T10:00", "2026-01-10T12:00"),
        excl("x", "2026-01-10T10:00", "2026-01-10T12:00"),
        excl("x", "2026-01-10T10:00", "2026-01-10T10:30"),  # narrowed: 30 min excluded
        excl(None, "2026-01-10T11:00", "2026-01-10T11:15"),
        excl(None, "2026-01-10T11:30", "2026-01-10T11:45"),
    ]
    got = build_report(CONTRACT, events, "2026-01").sites[0]
    assert (got.excluded_minutes, got.downtime_minutes) == (60, 60)


def test_weekly_limit_looks_at_the_previous_month() -> None:
    # Tue 27 Jan and Sat 31 Jan 21:00 EST are both in ISO week 5; the second lies in
    # February in Brussels (February starts at 2026-01-31T23:00Z).
    events = [
        window("jan", ["a"], "2026-01-27T02:00", "2026-01-27T03:00", regular=True),
        window("feb", ["a"], "2026-02-01T02:00", "2026-02-01T03:00", regular=True),
    ]
    (feb,) = build_report(CONTRACT, events, "2026-02").maintenance
    assert (feb.window.id, feb.violations) == ("feb", ("weekly_limit",))


def test_renderings_share_one_report() -> None:
    events = [outage("a", "2026-04-10T10:00", "2026-04-10T10:43:12")]
    report = build_report(CONTRACT, events, "2026-04")
    assert '"availability_pct": 99.9, "target_pct": 99.9, "met": true' in render_json(report)
    row = render_text(report).splitlines()[3].split()
    # Exactly 99.9 %: shown as 99.90000, budget exactly 0.
    assert row[-4:] == ["99.90000", "%", "yes", "0.00"]


def test_text_never_rounds_up_to_the_target() -> None:
    # 43.2 min + 0.1 s: A = 99.9 - 0.1 / 25 920 = 99.8999961..., shown cut (99.89999), not
    # rounded (99.90000). Budget: -0.1 s = -0.00166 min, cut down to -0.01.
    events = [
        OutageEvent(site="a", start=utc("2026-04-10T10:00"), end=utc("2026-04-10T10:43:12.100"))
    ]
    row = render_text(build_report(CONTRACT, events, "2026-04")).splitlines()[3].split()
    assert row[-4:] == ["99.89999", "%", "NO", "-0.01"]


# --- an independent oracle: every minute of the month classified one by one ------------


# February 2026 in Brussels: [2026-01-31T23:00Z, 2026-02-28T23:00Z), 40 320 minutes.
FEB_START = utc("2026-01-31T23:00")
FEB_MINUTES = 28 * 1440
SITES = ["a", "b"]


@st.composite
def minute_events(draw: st.DrawFn) -> list[object]:
    def bounds() -> tuple[int, int]:
        # Minutes relative to February's start; some spill into January and March.
        start = draw(st.integers(-300, FEB_MINUTES + 100))
        return start, start + draw(st.integers(0, 400))

    def at(minute: int):  # type: ignore[no-untyped-def]
        return FEB_START + timedelta(minutes=minute)

    events: list[object] = []
    for _ in range(draw(st.integers(0, 5))):
        s, e = bounds()
        events.append(OutageEvent(site=draw(st.sampled_from(SITES)), start=at(s), end=at(e)))
    for n in range(draw(st.integers(0, 3))):
        s, e = bounds()
        sites = draw(st.sampled_from([["a"], ["b"], ["a", "b"], "*"]))
        cancelled = draw(st.booleans())
        events.append(
            window(
                f"m{n}", sites, at(s).isoformat()[:16], at(e).isoformat()[:16], cancelled=cancelled
            )
        )
    for _ in range(draw(st.integers(0, 3))):
        s, e = bounds()
        site = draw(st.sampled_from([*SITES, "*"]))
        events.append(ExclusionEvent(site=site, start=at(s), end=at(e), reason="third_party"))
    return events


def _minutes(start, end) -> set[int]:  # type: ignore[no-untyped-def]
    first = int((start - FEB_START) / timedelta(minutes=1))
    last = int((end - FEB_START) / timedelta(minutes=1))
    return set(range(max(first, 0), min(last, FEB_MINUTES)))


@settings(max_examples=60, deadline=None)
@given(minute_events())
def test_report_matches_a_minute_by_minute_oracle(events: list[object]) -> None:
    report = build_report(CONTRACT, events, "2026-02")  # type: ignore[arg-type]
    named = {e.site for e in events if isinstance(e, OutageEvent | ExclusionEvent)}
    named |= {
        s for e in events if isinstance(e, MaintenanceEvent) and e.sites != "*" for s in e.sites
    }
    assert [s.site for s in report.sites] == sorted(named - {"*"})
    for got in report.sites:
        site = got.site
        down: set[int] = set()
        maintained: set[int] = set()
        excluded: set[int] = set()
        for event in events:
            if isinstance(event, OutageEvent) and event.site == site:
                down |= _minutes(event.start, event.end)
            elif isinstance(event, MaintenanceEvent) and not event.cancelled and event.covers(site):
                maintained |= _minutes(event.start, event.end)
            elif isinstance(event, ExclusionEvent) and event.site in (site, "*"):
                excluded |= _minutes(event.start, event.end)
        downtime = down - maintained - excluded
        assert got.total_seconds == FEB_MINUTES * 60
        assert got.maintenance_seconds == 60 * len(maintained)
        assert got.downtime_seconds == 60 * len(downtime)
        assert got.excluded_seconds == 60 * len((down - maintained) & excluded)
        measured = FEB_MINUTES - len(maintained)
        expected = None if measured == 0 else Fraction(measured - len(downtime), measured) * 100
        assert got.availability == expected
