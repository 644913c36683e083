"""Per-site check loops on the fixed grid, feeding a bounded result buffer.

One asyncio task per site runs ``sleep until slot → check → put result``. The loop is
sequential, so a site is never checked twice at once; if a check (or a full buffer) holds
the loop past the next slot, that slot is skipped and counted, and the grid stays put: the
schedule never drifts. Each slot of a site is checked at most once by a scheduler, even when
the site's loop is restarted (a rebalance, a changed definition): a new loop starts after
the last slot checked here, and a loop that is no longer the site's current one never
starts or delivers a check, even if its cancellation was lost (Python 3.11's
``asyncio.wait_for`` swallows a cancellation that lands as its inner future completes).
``put`` on a full buffer waits, which is the backpressure: when Kafka is slow the checks
slow down instead of the memory growing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from probes.schedule import first_slot_at_or_after, next_slot_index, phase_s, slot_time
from probes.sites import Site
from probes.stats import ProbeStats
from sla.model import CheckResult

log = logging.getLogger(__name__)

CheckFn = Callable[[Site, datetime], Awaitable[CheckResult]]
"""Runs one check of a site for a scheduled slot (``CheckRunner.run`` with the reference)."""


class Clock(Protocol):
    """Wall time in epoch seconds, and a way to wait for a moment."""

    def now(self) -> float: ...

    async def sleep_until(self, moment: float) -> None: ...


class WallClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()

    async def sleep_until(self, moment: float) -> None:
        delay = moment - time.time()
        if delay > 0:
            await asyncio.sleep(delay)


class CheckSlots:
    """At most ``limit`` checks at once; the others wait their turn, first come first served.

    Not :class:`asyncio.Semaphore`: on Python 3.11 a woken waiter stays in its queue until
    it runs, so every release scans past all those woken before, and every waiter removes
    itself with a linear search. With hundreds of checks queued (a worker offered more than
    it can check) that cost about 160 calls per check. Here a release hands its slot
    straight to the next waiter still waiting: constant work per check.
    """

    def __init__(self, limit: int) -> None:
        self._free = limit
        # Waiters in arrival order; a cancelled one stays until a release pops and skips it.
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def __aenter__(self) -> None:
        # A free slot means nobody is waiting: release() hands slots to waiters first.
        if self._free > 0:
            self._free -= 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if not turn.cancelled():  # handed a slot just as it was cancelled: pass it on
                self._release()
            raise

    async def __aexit__(self, *_exc: object) -> None:
        self._release()

    def _release(self) -> None:
        while self._waiters:
            turn = self._waiters.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1


class Scheduler:
    """Owns the check loops of the sites currently assigned to this worker."""

    def __init__(
        self,
        check: CheckFn,
        buffer: asyncio.Queue[CheckResult],
        stats: ProbeStats,
        clock: Clock | None = None,
        max_concurrent_checks: int = 256,
    ) -> None:
        self._check = check
        self._buffer = buffer
        self._stats = stats
        self._clock = clock or WallClock()
        self._slots = CheckSlots(max_concurrent_checks)  # bounds open sockets
        self._sites: dict[str, Site] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        # site id -> epoch seconds of the last slot a check started for; kept when a site is
        # removed, so that a site coming back never repeats a slot (one float per site seen)
        self._last_slot: dict[str, float] = {}

    @property
    def site_ids(self) -> set[str]:
        """The sites being checked now."""
        return set(self._tasks)

    def upsert(self, site: Site) -> None:
        """Start checking ``site``, or restart its loop if its definition changed."""
        if self._sites.get(site.id) == site:
            return
        self.remove(site.id)
        self._sites[site.id] = site
        self._tasks[site.id] = asyncio.create_task(self._loop(site), name=f"check:{site.id}")
        self._stats.assigned_sites.set(len(self._tasks))

    def remove(self, site_id: str) -> None:
        """Stop checking ``site_id`` (a check in flight is cancelled: its slot is not ours)."""
        self._sites.pop(site_id, None)
        task = self._tasks.pop(site_id, None)
        if task is not None:
            task.cancel()
        self._stats.assigned_sites.set(len(self._tasks))

    async def stop(self) -> None:
        """Stop every loop and wait for them to end."""
        tasks = list(self._tasks.values())
        for site_id in list(self._tasks):
            self.remove(site_id)
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self, site: Site) -> None:
        interval = site.interval_s
        phase = phase_s(site.id, interval)
        index = self._first_slot(site.id, phase, interval)
        while True:
            slot = slot_time(index, phase, interval)
            await self._clock.sleep_until(slot)
            if not await self._run_slot(site, slot):
                return  # removed: the site's slots belong to a new loop or another worker
            following = next_slot_index(index, self._clock.now(), phase, interval)
            if following > index + 1:
                self._stats.skipped(following - index - 1)
            index = following

    def _first_slot(self, site_id: str, phase: float, interval: float) -> int:
        """The first slot of a (re)started loop: not in the past, after any already checked."""
        index = first_slot_at_or_after(self._clock.now(), phase, interval)
        last = self._last_slot.get(site_id)
        if last is not None:
            after_last = first_slot_at_or_after(last, phase, interval)
            if slot_time(after_last, phase, interval) <= last:
                after_last += 1
            index = max(index, after_last)
        return index

    def _is_current(self, site_id: str) -> bool:
        """Whether the running task is the site's loop now (not one removed or replaced)."""
        return self._tasks.get(site_id) is asyncio.current_task()

    async def _run_slot(self, site: Site, slot: float) -> bool:
        """Check ``slot``; false when the loop was removed, so it must end."""
        async with self._slots:
            if not self._is_current(site.id):
                return False
            self._last_slot[site.id] = slot
            lateness = self._clock.now() - slot
            try:
                result = await self._check(site, datetime.fromtimestamp(slot, UTC))
            except asyncio.CancelledError:
                raise
            except Exception:  # the runner never raises; this guards the loop all the same
                log.exception("check of %s failed outside the runner", site.id)
                return True
        if not self._is_current(site.id):
            # Removed while checking and the cancellation was swallowed on the way: the
            # check was meant to be cancelled (its slot is not ours), so it is not delivered.
            log.debug("check of %s ended after its loop was removed; dropped", site.id)
            return False
        self._stats.checked(result, lateness)
        if self._buffer.full():
            # Wait for room: backpressure. Shielded, so that a site removed (partition
            # revoked) while waiting still delivers the check it already made.
            await asyncio.shield(self._buffer.put(result))
        else:
            self._buffer.put_nowait(result)
        self._stats.buffered.set(self._buffer.qsize())
        return True
