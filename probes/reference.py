"""The region's vantage-point self-check: a few reference targets checked on a timer.

A reference target is an ``http(s)://`` URL (any HTTP answer counts: the network reached
it) or ``host:port`` (a TCP connect). The region is healthy (``reference_ok``) when at least
one reference target answered in the last round; when all fail, the region's own network is
the likely culprit and every result it publishes says so.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from probes import tcp
from probes.outcome import PhaseTimer
from probes.stats import ProbeStats
from probes.targets import parse_host_port, parse_http_target

log = logging.getLogger(__name__)


def check_reference_target(target: str) -> None:
    """Raise ValueError when a configured reference target cannot be parsed."""
    if "://" in target:
        parse_http_target(target)
    else:
        parse_host_port(target)


class ReferenceChecker:
    """Keeps ``ok``: None without targets, else whether any target answered last round."""

    def __init__(
        self,
        targets: list[str],
        session: aiohttp.ClientSession,
        stats: ProbeStats,
        interval_s: float = 30.0,
        timeout_s: float = 5.0,
    ) -> None:
        for target in targets:
            check_reference_target(target)
        self.targets = targets
        self.ok: bool | None = None
        self._session = session
        self._stats = stats
        self._interval_s = interval_s
        self._timeout_s = min(timeout_s, interval_s)

    async def check_round(self) -> bool | None:
        """Check every target once (concurrently) and update ``ok``."""
        if not self.targets:
            return None
        answers = await asyncio.gather(*(self._answers(t) for t in self.targets))
        ok = any(answers)
        if ok != self.ok:
            log.log(
                logging.INFO if ok else logging.WARNING,
                "reference targets: %d of %d answer",
                sum(answers),
                len(answers),
            )
        self.ok = ok
        self._stats.reference_ok.set(1 if ok else 0)
        return ok

    async def run(self) -> None:
        """Check a round every ``interval_s`` until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await self.check_round()
            await asyncio.sleep(max(0.0, self._interval_s - (loop.time() - started)))

    async def _answers(self, target: str) -> bool:
        try:
            async with asyncio.timeout(self._timeout_s):
                if "://" in target:
                    async with self._session.get(target) as response:
                        await response.content.read(1024)
                else:
                    host, port = parse_host_port(target)
                    _reader, writer = await tcp.connect(host, port, PhaseTimer())
                    await tcp.close(writer)
            return True
        except (TimeoutError, OSError, aiohttp.ClientError) as exc:
            log.debug("reference target %s failed: %s", target, exc)
            return False
