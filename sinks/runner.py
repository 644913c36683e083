"""The sink's consumer loop: Kafka → batches → ClickHouse → offset commits.

Guarantees (tested in tests/sinks):

* offsets are committed only after ``flush()`` returned, i.e. after the store holds the
  rows (aiokafka with ``enable_auto_commit=False``); a crash anywhere re-reads from the
  last commit and the idempotent writes make the replay harmless;
* while a flush fails (store away) every assigned partition is paused, the same batch is
  retried with exponential backoff (``retry_initial_seconds`` doubling up to
  ``retry_max_seconds``) and nothing more is buffered: memory stays at one batch, and
  rows are never reordered or dropped; the consumer keeps polling so the group does not
  evict it;
* a message that does not validate goes to the dead-letter topic with the reason, the
  source topic, partition and offset, before its offset is committed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from sinks import metrics
from sinks.batching import Batch, BatchingSink, Record
from sinks.rows import MalformedMessage, Received, TableSpec, utc_from_ms
from slawatch.dead_letters import dead_letter_json

log = logging.getLogger("slawatch.sink")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff while the store is away."""

    initial_seconds: float = 0.5
    max_seconds: float = 30.0

    def delays(self) -> Any:
        """0.5, 1, 2, 4, … capped at ``max_seconds`` (endless)."""
        delay = self.initial_seconds
        while True:
            yield delay
            delay = min(delay * 2, self.max_seconds)


def decode(message: Any, specs: Mapping[str, TableSpec]) -> Record:
    """An aiokafka ConsumerRecord as a :class:`Record` (with a row, or with an error)."""
    spec = specs[message.topic]
    received = Received(topic=message.topic, timestamp_ms=message.timestamp)
    try:
        row = spec.decode(message.value, received)
    except MalformedMessage as exc:
        return Record(
            message.topic,
            message.partition,
            message.offset,
            None,
            error=str(exc),
            raw=message.value,
            key=message.key,
        )
    return Record(message.topic, message.partition, message.offset, spec.table, row)


def dead_letter_value(record: Record, now_ms: int) -> bytes:
    """The dead-letter message: where the bad message was, why, and its bytes as text.

    ``value`` quotes the start of the original (see :mod:`slawatch.dead_letters`: a huge
    message must not make an unpublishable dead letter), ``value_bytes`` gives its size.
    """
    return dead_letter_json(
        component="sink",
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.raw,
        reason=record.error or "",
        at=utc_from_ms(now_ms),
    )


class _DropRevoked(ConsumerRebalanceListener):
    def __init__(self, runner: SinkRunner) -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: Any) -> None:
        async with self.runner.lock:
            lost = {(tp.topic, tp.partition) for tp in revoked}
            dropped = self.runner.sink.discard(lost)
            if dropped:
                log.info("dropped %d uncommitted records of revoked partitions", dropped)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        if self.runner.paused:
            self.runner.consumer.pause(*assigned)


class SinkRunner:
    """Runs one sink against one consumer until ``stop`` is set."""

    def __init__(
        self,
        sink: BatchingSink,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        specs: Mapping[str, TableSpec],
        dead_letter_topic: str,
        retry: RetryPolicy,
        clock: Callable[[], float] = time.monotonic,
        poll_ms: int = 200,
        shutdown_seconds: float = 30.0,
    ) -> None:
        self.sink = sink
        self.consumer = consumer
        self.producer = producer
        self.specs = dict(specs)
        self.dead_letter_topic = dead_letter_topic
        self.retry = retry
        self.clock = clock
        self.poll_ms = poll_ms
        self.shutdown_seconds = shutdown_seconds
        self.lock = asyncio.Lock()
        self.paused = False
        self.failed_flushes = 0
        self.max_buffered = 0
        self._dead_letters_sent: set[tuple[str, int, int]] = set()

    def subscribe(self) -> None:
        """Subscribe to every topic of ``specs`` (uncommitted buffers dropped on revoke)."""
        self.consumer.subscribe(list(self.specs), listener=_DropRevoked(self))

    async def run(self, stop: asyncio.Event) -> None:
        """Consume, batch and flush until ``stop`` is set; then flush what is buffered."""
        while not stop.is_set():
            await self._poll(self.sink.room())
            if self.sink.due(self.clock()):
                await self.flush_until_stored(stop)
        if len(self.sink):
            await self._last_flush()

    async def _last_flush(self) -> None:
        """Store what is buffered, trying for ``shutdown_seconds`` at most.

        Giving up loses nothing: those records' offsets are not committed, so whoever
        consumes the partitions next reads them again.
        """
        give_up = asyncio.Event()
        timer = asyncio.get_running_loop().call_later(self.shutdown_seconds, give_up.set)
        try:
            if not await self.flush_until_stored(give_up):
                log.warning(
                    "stopping with %d records not stored (store away); they are not "
                    "committed and will be read again",
                    len(self.sink),
                )
        finally:
            timer.cancel()

    async def _poll(self, room: int) -> None:
        fetched = await self.consumer.getmany(timeout_ms=self.poll_ms, max_records=max(room, 1))
        now = self.clock()
        async with self.lock:
            for messages in fetched.values():
                for message in messages:
                    self.sink.add(decode(message, self.specs), now)
            self.max_buffered = max(self.max_buffered, len(self.sink))
            metrics.BUFFERED.set(len(self.sink))

    async def flush_until_stored(self, stop: asyncio.Event | None) -> bool:
        """Flush, retrying with backoff (partitions paused) until it works or ``stop``.

        ``stop=None`` retries for as long as it takes. Returns whether the buffered batch
        was stored.
        """
        for delay in self.retry.delays():
            try:
                await self._flush_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the store (or the dead-letter topic) is away
                self.failed_flushes += 1
                metrics.FLUSH_FAILURES.inc()
                log.warning(
                    "flush failed (%s: %s); retrying in %.1f s, consumption paused",
                    type(exc).__name__,
                    exc,
                    delay,
                )
                self._pause()
                if await self._wait(delay, stop):
                    return False
                continue
            self._resume()
            return True
        return False  # pragma: no cover - delays() never ends

    async def _flush_once(self) -> None:
        async with self.lock:
            with metrics.FLUSH_SECONDS.time():
                await self._send_dead_letters()
                batch = await asyncio.to_thread(self.sink.flush)
            self._dead_letters_sent.clear()
            metrics.BUFFERED.set(len(self.sink))
        await self._commit(batch)
        metrics.BATCHES.inc()

    async def _send_dead_letters(self) -> None:
        pending = [
            r
            for r in self.sink.buffered().dead_letters()
            if (r.topic, r.partition, r.offset) not in self._dead_letters_sent
        ]
        for record in pending:
            now_ms = int(time.time() * 1000)
            await self.producer.send_and_wait(
                self.dead_letter_topic,
                dead_letter_value(record, now_ms),
                key=f"{record.topic}|{record.partition}|{record.offset}".encode(),
            )
            self._dead_letters_sent.add((record.topic, record.partition, record.offset))
            metrics.DEAD_LETTERS.labels(record.topic).inc()
            log.warning(
                "dead-lettered %s[%d]@%d: %s",
                record.topic,
                record.partition,
                record.offset,
                record.error,
            )

    async def _commit(self, batch: Batch) -> None:
        offsets = {TopicPartition(t, p): o for (t, p), o in batch.offsets_to_commit().items()}
        if not offsets:
            return
        try:
            await self.consumer.commit(offsets)
        except KafkaError as exc:
            # The rows are stored; the records will be read again and written idempotently.
            log.warning("offset commit failed after a stored batch (%s); will be replayed", exc)

    def _pause(self) -> None:
        assignment = self.consumer.assignment()
        if assignment:
            self.consumer.pause(*assignment)
        self.paused = True
        metrics.PAUSED.set(1)

    def _resume(self) -> None:
        if self.paused:
            assignment = self.consumer.assignment()
            if assignment:
                self.consumer.resume(*assignment)
            self.paused = False
            metrics.PAUSED.set(0)

    async def _wait(self, seconds: float, stop: asyncio.Event | None) -> bool:
        """Wait ``seconds`` while polling the paused consumer; True if ``stop`` was set."""
        deadline = self.clock() + seconds
        while (remaining := deadline - self.clock()) > 0:
            if stop is not None and stop.is_set():
                return True
            self._pause()  # partitions assigned by a rebalance meanwhile stay paused too
            # Paused partitions return nothing; polling keeps the group membership alive.
            await self._poll(room=0)
            if remaining > self.poll_ms / 1000:
                continue
            await asyncio.sleep(max(0.0, remaining))
        return stop is not None and stop.is_set()
