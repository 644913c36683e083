"""A short-lived cache of the service's answers, shared by concurrent requests.

Every open page polls its live JSON; a thousand readers must not mean a thousand queries
per poll. Answers are kept ``ttl_s`` seconds per key, and concurrent misses of one key
wait for the same computation (single flight). Failures are not cached. Keys always
include the audience's site ids, so one reader's answer never reaches another audience.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class TtlCache:
    """Answers by key for ``ttl_s`` seconds (0 disables caching)."""

    def __init__(
        self, ttl_s: float, clock: Callable[[], float] = time.monotonic, max_entries: int = 1024
    ) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, asyncio.Future[Any]]] = {}

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """The cached answer for ``key``, or ``compute()``'s (once for concurrent callers)."""
        if self._ttl_s <= 0:
            return await compute()
        now = self._clock()
        entry = self._entries.get(key)
        if entry is None or (entry[0] <= now and entry[1].done()):
            self._evict(now)
            # A task of its own: a reader who hangs up does not cancel the others' answer.
            task: asyncio.Future[Any] = asyncio.ensure_future(compute())
            task.add_done_callback(lambda done: self._forget_failure(key, done))
            entry = (now + self._ttl_s, task)
            self._entries[key] = entry
        result: T = await asyncio.shield(entry[1])
        return result

    def _forget_failure(self, key: Hashable, done: asyncio.Future[Any]) -> None:
        if done.cancelled() or done.exception() is not None:
            current = self._entries.get(key)
            if current is not None and current[1] is done:
                del self._entries[key]

    def _evict(self, now: float) -> None:
        expired = [k for k, (until, f) in self._entries.items() if until <= now and f.done()]
        for key in expired:
            del self._entries[key]
        while len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]
