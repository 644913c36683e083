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
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from probes.stats import ProbeStats
from sla.model import CheckResult

log = logging.getLogger(__name__)
_RETRY_PAUSE_S = 0.5


def encode(result: CheckResult) -> tuple[bytes, bytes]:
    """Key and value of a result's Kafka record (the value is ``model_dump_json()``'s text)."""
    # The serializer's bytes as they are: model_dump_json() decodes them to a str that
    # would only be encoded back here.
    return result.site.encode(), result.__pydantic_serializer__.to_json(result)


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
        # Bounds what waits inside the producer (or for a resend), so that buffer + in flight
        # is the whole memory a Kafka outage can cost; past it, the buffer fills and the
        # checks slow down.
        self._room = asyncio.Semaphore(max_in_flight)
        self._holding = 0  # results taken from the buffer and not yet acknowledged
        self._resends: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Results not yet acknowledged by Kafka (buffered, in flight or waiting to resend)."""
        return self._buffer.qsize() + self._holding

    def start(self) -> None:
        """Publish in the background until :meth:`flush`."""
        if self._runner is None:
            self._runner = asyncio.get_running_loop().create_task(self.run(), name="publisher")

    async def run(self) -> None:
        """Publish until cancelled (:meth:`start` runs it in the background)."""
        while True:
            result = await self._buffer.get()
            self._holding += 1  # from here on the result is ours until Kafka acknowledges it
            self._stats.buffered.set(self._buffer.qsize())
            await self._room.acquire()
            await self._submit(result)

    async def _submit(self, result: CheckResult) -> None:
        key, value = encode(result)
        while True:
            try:
                delivery = await self._producer.send(self._topic, key=key, value=value)
            except KafkaError as exc:  # the producer's own buffer stayed full: Kafka is away
                log.warning("cannot hand result of %s to Kafka (%s); retrying", result.site, exc)
                self._stats.retried()
                await asyncio.sleep(_RETRY_PAUSE_S)
                continue
            delivery.add_done_callback(lambda done, r=result: self._delivered(done, r))
            return

    def _delivered(self, delivery: asyncio.Future[Any], result: CheckResult) -> None:
        if delivery.cancelled() or delivery.exception() is not None:
            reason = "cancelled" if delivery.cancelled() else delivery.exception()
            log.warning("delivery of result of %s failed (%s); retrying", result.site, reason)
            self._stats.retried()
            task = asyncio.get_running_loop().create_task(self._resend(result))
            self._resends.add(task)
            task.add_done_callback(self._resends.discard)
            return
        self._holding -= 1
        self._room.release()
        self._stats.was_published()

    async def _resend(self, result: CheckResult) -> None:
        await asyncio.sleep(_RETRY_PAUSE_S)
        await self._submit(result)  # still holding its room: the bound stays

    async def flush(self, timeout_s: float) -> None:
        """Publish what is left within ``timeout_s``, stop; count the rest as shed."""
        self.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self.pending and loop.time() < deadline:
            await asyncio.sleep(0.05)
        tasks = [t for t in [self._runner, *self._resends] if t is not None]
        self._runner = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        left = self.pending
        if left:
            log.error("shutdown: %d results could not be published and are shed", left)
            self._stats.was_shed(left)
