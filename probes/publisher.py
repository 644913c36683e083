"""Moves results from the bounded buffer to Kafka (``probe-results``, keyed by site id).

The producer is idempotent with ``acks=all``. A result whose delivery fails is sent again
(never dropped); while Kafka is slow the buffer fills and the scheduler waits on it. Only
at shutdown, when ``flush`` runs out of time, are the remaining results given up and
counted as shed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from probes.stats import ProbeStats
from sla.model import CheckResult

log = logging.getLogger(__name__)
_RETRY_PAUSE_S = 0.5


def encode(result: CheckResult) -> tuple[bytes, bytes]:
    """Key and value of a result's Kafka record."""
    return result.site.encode(), result.model_dump_json().encode()


class ResultPublisher:
    """Drains ``buffer`` into ``topic``; counts what Kafka acknowledged."""

    def __init__(
        self,
        producer: AIOKafkaProducer,
        topic: str,
        buffer: asyncio.Queue[CheckResult],
        stats: ProbeStats,
        max_in_flight: int = 10_000,
    ) -> None:
        self._producer = producer
        self._topic = topic
        self._buffer = buffer
        self._stats = stats
        self._retry: deque[CheckResult] = deque()  # failed deliveries, sent first
        self._in_flight: set[asyncio.Future[Any]] = set()
        # Bounds what waits inside the producer, so that buffer + in flight is the whole
        # memory a Kafka outage can cost; past it, the buffer fills and the checks slow down.
        self._room = asyncio.Semaphore(max_in_flight)

    @property
    def pending(self) -> int:
        """Results not yet acknowledged by Kafka (buffered, to retry, or in flight)."""
        return self._buffer.qsize() + len(self._retry) + len(self._in_flight)

    async def run(self) -> None:
        """Publish until cancelled."""
        while True:
            result = self._retry.popleft() if self._retry else await self._buffer.get()
            self._stats.buffered.set(self._buffer.qsize())
            await self._send(result)

    async def _send(self, result: CheckResult) -> None:
        key, value = encode(result)
        await self._room.acquire()
        while True:
            try:
                delivery = await self._producer.send(self._topic, key=key, value=value)
            except KafkaError as exc:  # the producer's own buffer stayed full: Kafka is away
                log.warning("cannot hand result of %s to Kafka (%s); retrying", result.site, exc)
                self._stats.retried()
                await asyncio.sleep(_RETRY_PAUSE_S)
                continue
            self._in_flight.add(delivery)
            delivery.add_done_callback(lambda done, r=result: self._delivered(done, r))
            return

    def _delivered(self, delivery: asyncio.Future[Any], result: CheckResult) -> None:
        self._in_flight.discard(delivery)
        self._room.release()
        if delivery.cancelled() or delivery.exception() is not None:
            reason = "cancelled" if delivery.cancelled() else delivery.exception()
            log.warning("delivery of result of %s failed (%s); retrying", result.site, reason)
            self._stats.retried()
            self._retry.append(result)
        else:
            self._stats.was_published()

    async def flush(self, timeout_s: float) -> None:
        """Publish what is left within ``timeout_s``; count the rest as shed."""
        runner = asyncio.create_task(self.run())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self.pending and loop.time() < deadline:
            await asyncio.sleep(0.05)
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        left = self.pending
        if left:
            log.error("shutdown: %d results could not be published and are shed", left)
            self._stats.was_shed(left)
