"""The check grid and the scheduler, on a virtual clock (no real waiting)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import defaultdict
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from probes.schedule import first_slot_at_or_after, next_slot_index, phase_s, slot_time
from probes.scheduler import CheckSlots, Scheduler
from probes.sites import Site
from probes.stats import ProbeStats
from sla.model import CheckResult, Outcome

START = 1_800_000_000.0  # an epoch second, 2027-01-15


class VirtualClock:
    """Time moves only when the test advances it; sleepers wake in time order."""

    def __init__(self, start: float) -> None:
        self.t = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self.t

    async def sleep_until(self, moment: float) -> None:
        if moment <= self.t:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (moment, next(self._seq), future))
        await future

    async def run_until(self, until: float) -> None:
        while True:
            for _ in range(20):  # let every woken task reach its next sleep
                await asyncio.sleep(0)
            if not self._sleepers or self._sleepers[0][0] > until:
                break
            moment, _, future = heapq.heappop(self._sleepers)
            self.t = max(self.t, moment)
            if not future.cancelled():
                future.set_result(None)
        self.t = until


class FakeChecks:
    """A check that takes ``duration`` virtual seconds and records every call."""

    def __init__(
        self, clock: VirtualClock, duration: float = 0.0, swallow_cancel: bool = False
    ) -> None:
        self.clock = clock
        self.duration = duration
        # Like Python 3.11's asyncio.wait_for (probes.tcp.close) when the cancellation lands as
        # its inner future completes: the check ends normally, the cancellation is lost.
        self.swallow_cancel = swallow_cancel
        self.calls: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
        self.running: dict[str, int] = defaultdict(int)
        self.max_running: dict[str, int] = defaultdict(int)

    async def __call__(self, site: Site, scheduled_at: datetime) -> CheckResult:
        started = self.clock.now()
        self.calls[site.id].append((scheduled_at, started))
        self.running[site.id] += 1
        self.max_running[site.id] = max(self.max_running[site.id], self.running[site.id])
        try:
            await self.clock.sleep_until(started + self.duration)
        except asyncio.CancelledError:
            if not self.swallow_cancel:
                raise
        finally:
            self.running[site.id] -= 1
        return CheckResult(
            site=site.id,
            client=site.client,
            region="r",
            worker="w",
            scheduled_at=scheduled_at,
            started_at=datetime.fromtimestamp(started, UTC),
            outcome=Outcome.UP,
        )


def make_site(site_id: str, interval: float) -> Site:
    return Site(id=site_id, client="c", kind="tcp", target="127.0.0.1:1", interval_s=interval)


async def drain(buffer: asyncio.Queue[CheckResult]) -> None:
    while True:
        await buffer.get()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(START)


async def test_slots_follow_the_grid_without_drift(clock: VirtualClock) -> None:
    checks, stats = FakeChecks(clock, duration=0.7), ProbeStats()
    buffer: asyncio.Queue[CheckResult] = asyncio.Queue(maxsize=100)
    scheduler = Scheduler(checks, buffer, stats, clock)
    drainer = asyncio.create_task(drain(buffer))
    sites = [make_site("shop", 10), make_site("api", 3)]
    for site in sites:
        scheduler.upsert(site)
    await clock.run_until(START + 600)
    for site in sites:
        phase = phase_s(site.id, site.interval_s)
        calls = checks.calls[site.id]
        first = first_slot_at_or_after(START, phase, site.interval_s)
        expected = [
            datetime.fromtimestamp(slot_time(first + k, phase, site.interval_s), UTC)
            for k in range(len(calls))
        ]
        assert [scheduled for scheduled, _ in calls] == expected
        assert all(started == scheduled.timestamp() for scheduled, started in calls)
        assert len(calls) == pytest.approx(600 / site.interval_s, abs=1)
    in_flight = sum(checks.running.values())
    assert stats.skipped_slots == 0
    assert stats.checks == sum(map(len, checks.calls.values())) - in_flight
    await scheduler.stop()
    drainer.cancel()


async def test_overrunning_check_skips_slots_and_never_overlaps(clock: VirtualClock) -> None:
    checks, stats = FakeChecks(clock, duration=25), ProbeStats()
    buffer: asyncio.Queue[CheckResult] = asyncio.Queue(maxsize=100)
    scheduler = Scheduler(checks, buffer, stats, clock)
    drainer = asyncio.create_task(drain(buffer))
    scheduler.upsert(make_site("slow", 10))
    await clock.run_until(START + 300)
    calls = checks.calls["slow"]
    gaps = {round(b[0].timestamp() - a[0].timestamp(), 6) for a, b in itertools.pairwise(calls)}
    assert gaps == {30.0}  # every check overruns two slots, the grid stays
    assert checks.max_running["slow"] == 1
    assert stats.skipped_slots == 2 * (len(calls) - checks.running["slow"])
    await scheduler.stop()
    drainer.cancel()


async def test_full_buffer_slows_the_schedule_instead_of_growing(clock: VirtualClock) -> None:
    checks, stats = FakeChecks(clock), ProbeStats()
    buffer: asyncio.Queue[CheckResult] = asyncio.Queue(maxsize=3)
    scheduler = Scheduler(checks, buffer, stats, clock)
    scheduler.upsert(make_site("a", 1))
    await clock.run_until(START + 60)
    assert buffer.qsize() == 3  # nobody drains: the fourth result waits in put()
    assert len(checks.calls["a"]) == 4
    assert stats.shed == 0
    drainer = asyncio.create_task(drain(buffer))
    await clock.run_until(START + 70)
    assert stats.skipped_slots >= 50  # the slots missed while blocked are counted
    assert len(checks.calls["a"]) >= 13  # and checking resumed on the grid
    await scheduler.stop()
    drainer.cancel()


async def test_remove_and_change_of_a_site(clock: VirtualClock) -> None:
    checks, stats = FakeChecks(clock), ProbeStats()
    buffer: asyncio.Queue[CheckResult] = asyncio.Queue(maxsize=1000)
    scheduler = Scheduler(checks, buffer, stats, clock)
    scheduler.upsert(make_site("a", 5))
    scheduler.upsert(make_site("b", 5))
    await clock.run_until(START + 20)
    scheduler.remove("a")
    scheduler.upsert(make_site("b", 5))  # unchanged: the loop keeps running
    scheduler.upsert(make_site("c", 2))
    before = len(checks.calls["a"])
    await clock.run_until(START + 40)
    assert len(checks.calls["a"]) == before
    assert scheduler.site_ids == {"b", "c"}
    assert len(checks.calls["b"]) == pytest.approx(8, abs=1)
    assert stats.assigned_sites._value.get() == 2
    await scheduler.stop()
    assert scheduler.site_ids == set()


async def collect(buffer: asyncio.Queue[CheckResult], into: list[CheckResult]) -> None:
    while True:
        into.append(await buffer.get())


def called_slots(checks: FakeChecks, site_id: str) -> list[datetime]:
    return [scheduled for scheduled, _ in checks.calls[site_id]]


def _collecting_scheduler(
    checks: FakeChecks, clock: VirtualClock
) -> tuple[Scheduler, list[CheckResult], asyncio.Task[None]]:
    """A scheduler over ``checks`` and a task collecting what it delivers."""
    buffer: asyncio.Queue[CheckResult] = asyncio.Queue(maxsize=1000)
    scheduler = Scheduler(checks, buffer, ProbeStats(), clock)
    delivered: list[CheckResult] = []
    return scheduler, delivered, asyncio.create_task(collect(buffer, delivered))


def _site_a_upserted(scheduler: Scheduler) -> tuple[Site, float, int]:
    """Site "a" every 5 s, upserted at START: the site, its phase and its first slot."""
    site = make_site("a", 5)
    phase = phase_s("a", 5)
    scheduler.upsert(site)
    return site, phase, first_slot_at_or_after(START, phase, 5)


async def test_a_restarted_loop_never_repeats_a_slot(clock: VirtualClock) -> None:
    """Revoked and re-assigned (re-read from the partition's start), then a new version of
    the site: each restart, at the very moment slot k was checked, goes on after slot k."""
    checks = FakeChecks(clock)
    scheduler, delivered, collector = _collecting_scheduler(checks, clock)
    site, phase, first = _site_a_upserted(scheduler)
    await clock.run_until(slot_time(first + 2, phase, 5))  # slot first+2 checked just now
    scheduler.remove("a")  # partition revoked ...
    scheduler.upsert(site)  # ... and assigned back, in the same instant
    await clock.run_until(slot_time(first + 4, phase, 5))  # first+4 checked just now
    scheduler.upsert(site.model_copy(update={"timeout_s": 2.0}))  # a new version
    await clock.run_until(START + 60)
    slots = called_slots(checks, "a")
    assert len(slots) == len(set(slots)), slots
    assert len(slots) == pytest.approx(60 / 5, abs=1)  # and no slot lost either
    assert sorted(r.scheduled_at for r in delivered) == slots
    await scheduler.stop()
    collector.cancel()


async def test_a_removed_loop_whose_cancellation_is_lost_stops(clock: VirtualClock) -> None:
    """A site removed mid-check, whose check swallows the cancellation, then assigned again:
    the old loop neither delivers that check nor goes on checking next to the new loop."""
    checks = FakeChecks(clock, duration=2, swallow_cancel=True)
    scheduler, delivered, collector = _collecting_scheduler(checks, clock)
    site, phase, first = _site_a_upserted(scheduler)
    try:
        await clock.run_until(slot_time(first + 1, phase, 5) + 1)  # slot first+1 in flight
        scheduler.remove("a")
        scheduler.upsert(site)
        await clock.run_until(START + 60)
        slots = called_slots(checks, "a")
        assert len(slots) == len(set(slots)), slots
        assert checks.max_running["a"] == 1  # never two checks of the site at once
        removed_slot = datetime.fromtimestamp(slot_time(first + 1, phase, 5), UTC)
        assert removed_slot not in {r.scheduled_at for r in delivered}  # not ours any more
        assert len(delivered) == len(slots) - 1 - checks.running["a"]
    finally:
        checks.swallow_cancel = False  # so that every loop's check can be cancelled now
        await scheduler.stop()
        collector.cancel()


def test_phase_is_stable_and_spreads_sites() -> None:
    assert phase_s("shop", 30) == phase_s("shop", 30)
    phases = {phase_s(f"site-{i}", 60) for i in range(200)}
    assert all(0 <= p < 60 for p in phases)
    assert len(phases) > 190
    assert sum(p < 30 for p in phases) == pytest.approx(100, abs=25)


@given(
    now=st.floats(min_value=0, max_value=4e9, allow_nan=False),
    interval=st.floats(min_value=1, max_value=86400, allow_nan=False),
    site_id=st.text(min_size=1, max_size=20),
)
def test_first_slot_is_the_earliest_not_in_the_past(
    now: float, interval: float, site_id: str
) -> None:
    phase = phase_s(site_id, interval)
    index = first_slot_at_or_after(now, phase, interval)
    assert slot_time(index, phase, interval) >= now - 1e-6 * max(1.0, now / 1e3)
    assert slot_time(index - 1, phase, interval) < now
    assert next_slot_index(index, now, phase, interval) == index + 1


async def _hold(slots: CheckSlots, name: str, log: list[str], release: asyncio.Event) -> None:
    async with slots:
        log.append(name)
        await release.wait()


async def test_check_slots_admit_at_most_the_limit_in_arrival_order() -> None:
    slots, release = CheckSlots(2), asyncio.Event()
    log: list[str] = []
    tasks = [asyncio.create_task(_hold(slots, f"c{i}", log, release)) for i in range(5)]
    await asyncio.sleep(0)
    assert log == ["c0", "c1"]  # the others wait
    release.set()
    await asyncio.gather(*tasks)
    assert log == ["c0", "c1", "c2", "c3", "c4"]
    async with asyncio.timeout(1), slots, slots:  # both slots are free again
        pass


async def test_a_cancelled_waiter_never_takes_or_loses_a_slot() -> None:
    slots, release = CheckSlots(1), asyncio.Event()
    log: list[str] = []
    holder = asyncio.create_task(_hold(slots, "holder", log, release))
    waiter = asyncio.create_task(_hold(slots, "cancelled", log, release))
    last = asyncio.create_task(_hold(slots, "last", log, release))
    await asyncio.sleep(0)
    waiter.cancel()
    release.set()
    async with asyncio.timeout(1):  # a lost slot would leave `last` waiting for ever
        await asyncio.gather(holder, last, return_exceptions=True)
    assert waiter.cancelled() and log == ["holder", "last"]
    async with asyncio.timeout(1), slots:  # the slot came back
        pass


async def test_a_waiter_cancelled_as_its_turn_comes_passes_the_slot_on() -> None:
    slots, release = CheckSlots(1), asyncio.Event()
    log: list[str] = []
    release.set()
    await slots.__aenter__()  # held here
    waiter = asyncio.create_task(_hold(slots, "cancelled", log, release))
    last = asyncio.create_task(_hold(slots, "last", log, release))
    await asyncio.sleep(0)
    await slots.__aexit__(None, None, None)  # hands the slot to `waiter`...
    waiter.cancel()  # ...which is cancelled before it runs
    async with asyncio.timeout(1):  # a lost slot would leave `last` waiting for ever
        await asyncio.gather(waiter, last, return_exceptions=True)
    assert waiter.cancelled() and log == ["last"]
    async with asyncio.timeout(1), slots:
        pass
