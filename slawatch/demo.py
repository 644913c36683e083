"""The bundled demo target that `slawatch run` serves on 127.0.0.1.

Its ``/health`` endpoint fails on a fixed schedule so that a new user sees a confirmed
outage, a maintenance window and a ledger within minutes of ``make run``:

* every ``cycle_s`` seconds (default 10 minutes), counted from the server's start,
  ``/health`` answers 503 from ``fail_after_s`` for ``fail_for_s`` seconds;
* ``/`` always answers 200, ``/slow`` answers after ``slow_ms`` (a degraded check).

The schedule is a pure function of the elapsed time, so tests can check it directly.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web


@dataclass(frozen=True)
class FailureSchedule:
    """When the demo's health endpoint fails, relative to the server's start."""

    cycle_s: float = 600.0
    fail_after_s: float = 90.0
    fail_for_s: float = 120.0

    def failing(self, elapsed_s: float) -> bool:
        """Whether ``/health`` fails ``elapsed_s`` seconds after the start."""
        position = elapsed_s % self.cycle_s
        return self.fail_after_s <= position < self.fail_after_s + self.fail_for_s


def create_demo_app(
    schedule: FailureSchedule = FailureSchedule(),
    *,
    clock: Callable[[], float] = time.monotonic,
    slow_ms: float = 1500.0,
) -> web.Application:
    """An aiohttp application serving the demo target."""
    started = clock()

    async def health(_: web.Request) -> web.Response:
        if schedule.failing(clock() - started):
            return web.json_response({"status": "failing", "db": "down"}, status=503)
        return web.json_response({"status": "ok", "db": "up"})

    async def home(_: web.Request) -> web.Response:
        return web.Response(text="slawatch demo target\n")

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(slow_ms / 1000)
        return web.Response(text="slow but fine\n")

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/", home)
    app.router.add_get("/slow", slow)
    return app


async def serve_demo(
    host: str = "127.0.0.1", port: int = 8099, schedule: FailureSchedule = FailureSchedule()
) -> web.AppRunner:
    """Start the demo target; the caller stops it with ``await runner.cleanup()``."""
    runner = web.AppRunner(create_demo_app(schedule), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
