"""Confirmation across regions, in event time: plain data, no Faust."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.confirmation import (
    ConfirmationConfig,
    DetectorState,
    Emitted,
    Late,
    Rejected,
    flush,
    new_state,
    step,
)
from sla.model import CheckResult, Outage, OutageState, SiteState, SiteStatus

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
DEFAULT = ConfirmationConfig()


def check(
    t: float, region: str = "eu", outcome: str = "down", ref: bool | None = None, site: str = "s1"
) -> CheckResult:
    """A check of ``site`` from ``region`` started ``t`` seconds after T0."""
    at = T0 + timedelta(seconds=t)
    return CheckResult(
        site=site,
        client="acme",
        region=region,
        worker=f"{region}-1",
        scheduled_at=at,
        started_at=at,
        outcome=outcome,  # type: ignore[arg-type]
        reference_ok=ref,
    )


def feed(
    results: list[CheckResult],
    config: ConfirmationConfig = DEFAULT,
    lag: float = 1.0,
    roundtrip: bool = False,
) -> tuple[DetectorState, list[Emitted]]:
    """Feed results in the given order (processed ``lag`` s after the latest start), then flush."""
    state = new_state("s1")
    out: list[Emitted] = []
    latest = T0
    for result in results:
        latest = max(latest, result.started_at)
        if roundtrip:  # what the stream's table does between batches
            state = DetectorState.from_dict(json.loads(json.dumps(state.to_dict())))
        state, events = step(state, result, latest + timedelta(seconds=lag), config)
        out += events
    state, events = flush(state, latest + timedelta(days=1), config)
    return state, out + events


def outages(events: list[Emitted]) -> list[tuple[str, float, float | None, str]]:
    """(state, start s, end s, classification) of every outage event."""
    return [
        (
            e.state.value,
            (e.start - T0).total_seconds(),
            None if e.end is None else (e.end - T0).total_seconds(),
            e.classification,
        )
        for e in events
        if isinstance(e, Outage)
    ]


def test_one_region_confirms_after_two_failures_and_ends_at_first_success() -> None:
    _, events = feed([check(0, outcome="up"), check(30), check(60), check(90, outcome="up")])
    assert outages(events) == [
        ("opened", 30.0, None, "downtime"),
        ("closed", 30.0, 90.0, "downtime"),
    ]
    closed = [e for e in events if isinstance(e, Outage)][-1]
    assert closed.id == f"s1|{(T0 + timedelta(seconds=30)).isoformat()}"
    assert closed.version == 1 and closed.regions_down == ["eu"]


def test_a_single_failure_is_not_an_outage() -> None:
    _, events = feed([check(0), check(30, outcome="up"), check(60), check(90, outcome="up")])
    assert outages(events) == []


def test_majority_of_three_regions_needed_and_start_is_the_quorum_completing_vote() -> None:
    results = [
        check(0, "a"),
        check(1, "a"),  # a votes down since 0
        check(10, "b"),
        check(11, "b"),  # b votes down since 10: quorum 2 of 3 reached
        check(12, "c", "up"),
        check(40, "a", "up"),  # a up since 40: quorum broken
        check(41, "b"),
    ]
    _, events = feed(results, ConfirmationConfig(regions=("a", "b", "c")))
    assert outages(events) == [
        ("opened", 10.0, None, "downtime"),
        ("closed", 10.0, 40.0, "downtime"),
    ]


def test_one_region_of_three_down_is_not_an_outage() -> None:
    results = [check(t, "a") for t in (0, 30, 60)] + [
        check(t, r, "up") for t in (1, 31, 61) for r in ("b", "c")
    ]
    state, events = feed(sorted(results, key=lambda r: r.started_at))
    assert outages(events) == []
    assert state.status == SiteState.UP.value


def test_quorum_rule_all_and_any() -> None:
    results = [check(0, "a"), check(1, "a"), check(2, "b", "up"), check(30, "a", "up")]
    _, any_events = feed(results, ConfirmationConfig(quorum="any", regions=("a", "b")))
    _, all_events = feed(results, ConfirmationConfig(quorum="all", regions=("a", "b")))
    assert outages(any_events) == [
        ("opened", 0.0, None, "downtime"),
        ("closed", 0.0, 30.0, "downtime"),
    ]
    assert outages(all_events) == []


def test_unhealthy_region_votes_do_not_count() -> None:
    # b's own network is broken (reference checks fail): a alone decides, and says up.
    results = [
        check(0, "a", "up", ref=True),
        check(1, "b", ref=False),
        check(2, "b", ref=False),
        check(30, "a", "up", ref=True),
        check(31, "b", ref=False),
    ]
    _, events = feed(results)
    assert outages(events) == []


def test_expected_regions_that_have_not_reported_count_as_up() -> None:
    results = [check(0, "a"), check(1, "a"), check(30, "a", "up")]
    assert outages(feed(results)[1]) != []
    assert outages(feed(results, ConfirmationConfig(regions=("a", "b")))[1]) == []


def test_too_few_healthy_regions_is_internet_systemic() -> None:
    results = [
        check(0, "a", ref=False),
        check(1, "b", ref=False),
        check(30, "a", ref=False),
        check(31, "b", ref=False),
        check(60, "a", "up", ref=True),
        check(61, "b", "up", ref=True),
    ]
    _, events = feed(results)
    assert outages(events) == [
        ("opened", 1.0, None, "internet_systemic"),  # b's first failure completed the quorum
        ("closed", 1.0, 60.0, "internet_systemic"),
    ]


def test_classification_change_splits_the_interval() -> None:
    # Single region: downtime while its reference is fine, systemic once it fails too.
    results = [check(0, ref=True), check(30, ref=True), check(60, ref=False), check(90, "up")]
    _, events = feed(results)
    assert outages(events) == [
        ("opened", 0.0, None, "downtime"),
        ("closed", 0.0, 60.0, "downtime"),
        ("opened", 60.0, None, "internet_systemic"),
        ("closed", 60.0, 90.0, "internet_systemic"),
    ]


def test_degraded_is_degraded_time_never_downtime() -> None:
    results = [check(0, outcome="degraded"), check(30, outcome="degraded"), check(60, "eu", "up")]
    _, events = feed(results)
    assert outages(events) == []
    statuses = [
        (e.state, (e.since - T0).total_seconds()) for e in events if isinstance(e, SiteStatus)
    ]
    assert statuses == [(SiteState.DEGRADED, 0.0), (SiteState.UP, 60.0)]


def test_up_after_two_ends_at_the_first_of_the_successes() -> None:
    config = ConfirmationConfig(up_after=2)
    results = [check(0), check(30), check(60, outcome="up"), check(90), check(120, outcome="up")]
    results += [check(150, outcome="up")]
    _, events = feed(results, config)
    assert outages(events) == [
        ("opened", 0.0, None, "downtime"),
        ("closed", 0.0, 120.0, "downtime"),
    ]


def test_site_status_follows_the_outage() -> None:
    _, events = feed([check(0, outcome="up"), check(30), check(60), check(90, outcome="up")])
    statuses = [
        (e.state, (e.since - T0).total_seconds(), e.version)
        for e in events
        if isinstance(e, SiteStatus)
    ]
    assert statuses == [(SiteState.UP, 0.0, 1), (SiteState.DOWN, 30.0, 2), (SiteState.UP, 90.0, 3)]


def test_regions_joining_an_open_outage_update_it() -> None:
    results = [check(0, "a"), check(1, "a"), check(30, "a"), check(31, "b"), check(32, "b")]
    results += [check(60, "a", "up"), check(61, "b", "up")]
    _, events = feed(results, ConfirmationConfig(quorum="any"))
    kinds = [(e.state, e.regions_down, e.version) for e in events if isinstance(e, Outage)]
    assert kinds == [
        (OutageState.OPENED, ["a"], 0),
        (OutageState.UPDATED, ["a", "b"], 1),
        (OutageState.UPDATED, ["b"], 2),
        (OutageState.CLOSED, ["b"], 3),  # the regions down until it closed
    ]


def test_result_older_than_the_watermark_is_late_and_not_applied() -> None:
    state, events = feed([check(0, outcome="up"), check(200, outcome="up"), check(100), check(101)])
    late = [e for e in events if isinstance(e, Late)]
    assert [(e.result.started_at - T0).total_seconds() for e in late] == [100.0, 101.0]
    assert "before the watermark" in late[0].reason
    assert state.late_count == 2
    assert outages(events) == []


def test_result_from_the_future_is_rejected() -> None:
    state = new_state("s1")
    state, events = step(state, check(200), T0 + timedelta(seconds=100), DEFAULT)
    assert len(events) == 1 and isinstance(events[0], Rejected)
    assert "clock skew" in events[0].reason and "100.0 s after" in events[0].reason
    assert state.rejected_count == 1 and state.buffer == []


def test_exact_redelivery_is_applied_once() -> None:
    once = feed([check(0), check(30), check(60, outcome="up")])[1]
    twice = feed(
        [check(0), check(30), check(30), check(60, outcome="up"), check(60, outcome="up")]
    )[1]
    assert outages(twice) == outages(once)


def test_flush_waits_for_the_idle_time() -> None:
    state = new_state("s1")
    for t in (0, 30):
        state, _ = step(state, check(t), T0 + timedelta(seconds=t), DEFAULT)
    state, events = flush(state, T0 + timedelta(seconds=60), DEFAULT)
    assert events == [] and len(state.buffer) == 2  # idle 30 s < 60 s grace
    state, events = flush(state, T0 + timedelta(seconds=91), DEFAULT)
    assert outages(events) == [("opened", 0.0, None, "downtime")]
    assert state.buffer == []


def test_state_survives_a_json_roundtrip_between_every_result() -> None:
    results = [
        check(t, r, o)
        for t, r, o in [
            (0, "a", "down"),
            (1, "b", "down"),
            (30, "a", "down"),
            (31, "b", "down"),
            (60, "a", "up"),
            (61, "b", "up"),
        ]
    ]
    assert outages(feed(results, roundtrip=True)[1]) == outages(feed(results)[1])


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="down_after"):
        ConfirmationConfig(down_after=0)
    with pytest.raises(ValueError, match="min_healthy_regions"):
        ConfirmationConfig(min_healthy_regions=0)


# --- order-insensitivity within the grace ----------------------------------------------

_check = st.builds(
    lambda t, region, outcome, ref: check(t, region, outcome, ref),
    st.integers(0, 900),
    st.sampled_from(["a", "b", "c"]),
    st.sampled_from(["up", "down", "down", "degraded"]),
    st.sampled_from([None, True, True, False]),
)


@settings(max_examples=150, deadline=None)
@given(
    results=st.lists(_check, min_size=1, max_size=40, unique_by=lambda r: r.id),
    jitter=st.lists(st.floats(0, 59.9), min_size=40, max_size=40),
    quorum=st.sampled_from(["majority", "any", "all"]),
)
def test_reordering_within_the_grace_gives_the_sorted_intervals(
    results: list[CheckResult], jitter: list[float], quorum: str
) -> None:
    config = ConfirmationConfig(quorum=quorum)  # type: ignore[arg-type]
    in_order = sorted(results, key=lambda r: (r.started_at, r.region))
    # Arrival order: each result delayed by less than the grace.
    arrival = sorted(
        zip(results, jitter, strict=False),
        key=lambda pair: pair[0].started_at + timedelta(seconds=pair[1]),
    )
    shuffled = [r for r, _ in arrival]
    sorted_state, sorted_events = feed(in_order, config)
    shuffled_state, shuffled_events = feed(shuffled, config)
    assert [e for e in shuffled_events if isinstance(e, (Late, Rejected))] == []
    assert shuffled_events == sorted_events
    assert shuffled_state.to_dict()["r"] == sorted_state.to_dict()["r"]


def test_a_slot_checked_twice_across_a_rebalance_is_one_vote() -> None:
    # Two workers of one region checked the 10 s slot (the old one just before it lost the
    # site, the new one just after): one failed slot is one failure, not the two that would
    # confirm an outage with down_after=2.
    first = check(10)
    again = first.model_copy(
        update={"worker": "eu-2", "started_at": first.started_at + timedelta(seconds=0.3)}
    )
    results = [check(0, outcome="up"), first, again, check(20, outcome="up")]
    _, events = feed(results)
    assert [e for e in events if isinstance(e, Outage)] == []
    # while two distinct failed slots do confirm one
    _, events = feed([check(0, outcome="up"), check(10), check(20), check(30, outcome="up")])
    assert [e.state for e in events if isinstance(e, Outage)] == [
        OutageState.OPENED,
        OutageState.CLOSED,
    ]
